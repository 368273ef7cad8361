"""The clock, kept apart from the evidence.

Everything else a run writes is a function of the versions and the code, so a second run on the
same versions writes the same bytes, and the committed reports can be checked by regenerating
them. Durations are not: they move to `timings.json` beside the artifacts (ignored by git), keyed
by file and by the path of the key inside it, and can be put back for whoever wants both.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from analyzer import files

TIMINGS = "timings.json"
_CLOCK_KEY = re.compile(r"(^|_)seconds$")


def split(data: Any, prefix: str = "") -> tuple[Any, dict[str, Any]]:
    """`data` without its duration keys, and those durations by slash-separated path."""
    clock: dict[str, Any] = {}
    if isinstance(data, dict):
        kept = {}
        for key, value in data.items():
            path = f"{prefix}/{key}" if prefix else str(key)
            if _CLOCK_KEY.search(str(key)) and (value is None or isinstance(value, (int, float))):
                clock[path] = value
                continue
            kept[key], inner = split(value, path)
            clock.update(inner)
        return kept, clock
    if isinstance(data, list):
        kept_list = []
        for i, value in enumerate(data):
            item, inner = split(value, f"{prefix}/{i}" if prefix else str(i))
            kept_list.append(item)
            clock.update(inner)
        return kept_list, clock
    return data, clock


def move_out(run_dir: Path) -> dict[str, dict[str, Any]]:
    """Strip durations from every JSON file of a run folder into its `timings.json` (merged with what is there)."""
    path = run_dir / TIMINGS
    recorded: dict[str, dict[str, Any]] = files.read_json(path) if path.is_file() else {}
    for json_file in sorted(run_dir.rglob("*.json")):
        if json_file.name == TIMINGS:
            continue
        stable, clock = split(files.read_json(json_file))
        if clock:
            recorded[json_file.relative_to(run_dir).as_posix()] = clock
            files.write_json(json_file, stable)
    if recorded:
        files.write_json(path, dict(sorted(recorded.items())))
    return recorded


def restore(run_dir: Path, rel: str) -> Any:
    """A run's JSON file with its durations put back where they were measured (absent ones stay absent)."""
    data = files.read_json(run_dir / rel)
    path = run_dir / TIMINGS
    clock = (files.read_json(path) if path.is_file() else {}).get(rel, {})
    for pointer, value in clock.items():
        *parents, last = pointer.split("/")
        node = data
        try:
            for part in parents:
                node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError):
            continue
        if isinstance(node, dict):
            node[last] = value
    return data
