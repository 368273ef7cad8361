"""What a C++ compiler's message says, read without the paths around it."""
from __future__ import annotations


def first_compiler_error(message: str) -> str | None:
    """The text of the compiler's first `error:` line in a failed call's message, or None. It
    names the identifier and says nothing of paths, so it reads the same on every machine."""
    return next((line.split("error:", 1)[1].strip() for line in message.splitlines() if "error:" in line), None)
