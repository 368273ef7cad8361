"""What a C++ compiler's message says, read without the paths around it."""
from __future__ import annotations

import re


def first_compiler_error(message: str) -> str | None:
    """The text of the compiler's first `error:` line in a failed call's message, or None. It
    names the identifier and says nothing of paths, so it reads the same on every machine."""
    return next((line.split("error:", 1)[1].strip() for line in message.splitlines() if "error:" in line), None)


# What a failed compile was, by the C++ compiler's first error (gcc's and clang's wordings).
LOST_DEFINITION = "lost-definition"
CLASSES = {
    LOST_DEFINITION: "a variable used where no declaration reaches it, in an index bounds check",
    "undeclared-symbol": "a name the kernel uses but never declares or receives as an argument",
    "redeclaration": "a name declared twice in one scope",
    "type-mismatch": "a call or conversion the types do not allow",
    "compile-error": "another error of the C++ compiler",
    "not-a-compile-error": "the compile failed outside the C++ compiler",
}
_UNDECLARED = re.compile(r"(?:.(?P<gcc>\w+). was not declared in this scope|use of undeclared identifier .(?P<clang>\w+).)")
_REDECLARED = re.compile(r"redeclaration of|redefinition of|conflicting declaration|has a previous declaration")
_TYPES = re.compile(
    r"no matching (?:function|constructor|member function) for call|cannot convert|invalid conversion|no viable conversion"
    r"|invalid operands|no match for .operator|cannot initialize|no member named|is not a member of|incompatible"
)
_NUMBERED = re.compile(r"\b(tmp|ks|x|s|in_ptr|out_ptr|buf|arg|tmp_acc)(\d+)\b")


def _statement_after(lines: list[str], i: int) -> str:
    """The source line the compiler quotes under its error (gcc: `  NN |   code`, clang: the next line)."""
    for line in lines[i + 1 : i + 3]:
        text = line.split("|", 1)[1] if re.match(r"\s*\d+\s*\|", line) else line
        if text.strip() and "^" not in text:
            return text.strip()
    return ""


def lost_identifier(message: str) -> str | None:
    """The `tmpN` of a lost definition: the first error about an undeclared `tmpN` whose quoted
    statement (the error line and the three after it) is an "index out of bounds" TORCH_CHECK
    using it; None when the message holds no such error."""
    lines = message.splitlines()
    for i, line in enumerate(lines):
        if "error:" not in line:
            continue
        found = _UNDECLARED.search(line.split("error:", 1)[1])
        name = found and (found["gcc"] or found["clang"])
        if name and name.startswith("tmp"):
            context = lines[i : i + 4]
            if any("TORCH_CHECK" in c and "index out of bounds" in c and name in c for c in context):
                return name
    return None


def classify(message: str) -> tuple[str, str | None]:
    """(class, the compiler's first error) of a failed compile's message; the class is one of `CLASSES`."""
    lines = message.splitlines()
    index = next((i for i, line in enumerate(lines) if "error:" in line), None)
    if index is None:
        return "not-a-compile-error", None
    first = lines[index].split("error:", 1)[1].strip()
    if lost_identifier("\n".join(lines[index : index + 4])):
        return LOST_DEFINITION, first
    if _UNDECLARED.search(first):
        return "undeclared-symbol", first
    if _REDECLARED.search(first):
        return "redeclaration", first
    if _TYPES.search(first):
        return "type-mismatch", first
    return "compile-error", first


def diagnostic(message: str) -> tuple[str, str, str] | None:
    """The compiler's first diagnostic with identifier numbers free: (class, error, statement), each
    with `tmp12` read as `tmpN`, or None when no C++ compiler error is in the message. Two failures
    with equal diagnostics are the same failure, whichever program made them."""
    kind, first = classify(message)
    if first is None:
        return None
    lines = message.splitlines()
    index = next(i for i, line in enumerate(lines) if "error:" in line)
    free = lambda text: _NUMBERED.sub(lambda m: f"{m[1]}N", text)  # noqa: E731
    error = _SUGGESTION.sub("", first.translate(_QUOTES))  # gcc's guess depends on the names around it
    return kind, free(error), free(_statement_after(lines, index))


_SUGGESTION = re.compile(r"; did you mean .*$")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'"})
