"""Write tests/data/README.md: for each captured fixture, the command, the versions, and the date
and project commit that made it (from git). Run it after `nox -s fixtures` or another capture:
`python tests/data_readme.py`. `test_data_readme.py` checks that it lists every fixture as its
capture.json records it."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
ROOT = DATA.parent.parent


def fixtures() -> list[tuple[str, dict]]:
    """(folder relative to tests/data, its capture.json), for every fixture folder."""
    return [(p.parent.relative_to(DATA).as_posix(), json.loads(p.read_text())) for p in sorted(DATA.rglob("capture.json"))]


def versions(record: dict) -> str:
    found = record.get("versions") or {}
    if record.get("project"):
        found = {record["project"]: record["release"]}
    return ", ".join(f"{k} {v}" for k, v in found.items() if k in ("torch", "transformers", "python"))


def made(folder: str) -> str:
    out = subprocess.run(
        ["git", "log", "-1", "--format=%cs %h", "--", f"tests/data/{folder}/capture.json"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    return out or "not committed yet"


def text() -> str:
    lines = [
        "# Test data",
        "",
        "Every folder here was captured by this project's own commands from real compiles or released",
        "files, never edited by hand. Each `capture.json` records its command and versions; this table adds",
        "the date and the project commit that made it (`python tests/data_readme.py` rewrites it).",
        "",
        "| fixture | command | versions | made (date, commit) |",
        "|---|---|---|---|",
    ]
    for folder, record in fixtures():
        lines.append(f"| `{folder}` | `{record.get('command', '')}` | {versions(record)} | {made(folder)} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    (DATA / "README.md").write_text(text())
