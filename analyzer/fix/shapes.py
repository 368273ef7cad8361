"""Which shipped series fits which release: the shapes of the code the patches change.

For every release in a range, the package files the series change (`patches.package_files`) are
read from the release's wheel (`wheels`), laid out as an installed package, and each series is
tried on them with `git apply --check` (`patches.fits`). Every release must fit exactly one series;
then each series folder's `series.json` is rewritten with the releases it fits. A release that fits
none, or more than one, is named in one line and nothing is written.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from analyzer import files, identity
from analyzer.capture import wheels
from analyzer.fix import patches

PROJECT = "transformers"
DIST = {"transformers": "transformers", "pytorch": "torch"}  # the distribution on PyPI
PACKAGE = {"transformers": "transformers", "pytorch": "torch"}  # its package folder in the wheel
VERSION_FILE = {"transformers": "__init__.py", "pytorch": "version.py"}  # where `patches.detect` reads the version


class ShapeError(ValueError):
    """Releases the shipped series do not cover one to one, in one line."""


def installed_layout(root: Path, release: str, sources: dict[str, bytes], project: str = PROJECT) -> Path:
    """`root/transformers/` (or `root/torch/`): an installed-package folder of `release` holding
    `sources` (package file -> bytes) and the file that gives its version, as `patches.detect` reads it."""
    package = root / PACKAGE[project]
    package.mkdir(parents=True)
    (package / VERSION_FILE[project]).write_text(f'__version__ = "{release}"\n', encoding="utf-8")
    for name, data in sources.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_bytes(data)
    return package


def fitting(package: Path, project: str = PROJECT) -> list[str]:
    """The names of the series whose package part applies to `package`, in `patches` order."""
    target = patches.detect(project, package)
    return [folder.name for folder in patches.series_folders(project) if patches.fits(target, folder)]


def check(releases: list[str], progress: Any = None, project: str = PROJECT) -> dict[str, list[str]]:
    """release -> the series that fit it, each release's files read from its wheel."""
    members = {name: f"{PACKAGE[project]}/{name}" for name in patches.package_files(project)}
    found = {}
    with tempfile.TemporaryDirectory(prefix="analyzer-shapes-") as tmp:
        for number, release in enumerate(releases, 1):
            if progress:
                progress(f"{project} {release} ({number}/{len(releases)}): downloading its wheel, trying each series")
            folder = Path(tmp) / release
            folder.mkdir()
            contents, _ = wheels.read_members(wheels.download(DIST[project], release, folder), members)
            found[release] = fitting(installed_layout(folder / "layout", release, contents, project), project)
    return found


def manifests(found: dict[str, list[str]], command: str, project: str = PROJECT) -> dict[str, dict[str, Any]]:
    """series name -> its `series.json`; raises ShapeError unless every release fits exactly one."""
    bad = {release: names for release, names in found.items() if len(names) != 1}
    if bad:
        said = "; ".join(f"{r}: {', '.join(n) if n else 'no series'}" for r, n in bad.items())
        raise ShapeError(f"releases that do not fit exactly one {project} series: {said}")
    out = {}
    for folder in patches.series_folders(project):
        releases = [r for r, names in found.items() if names == [folder.name]]
        out[folder.name] = {
            "project": project,
            "series": folder.name,
            "checked_on": sorted(releases, key=identity.release_key),
            "check": (
                f"git apply --check of the series' changes to the package, on the {', '.join(patches.package_files(project))} "
                "of each release's wheel laid out as an installed package; each release fits exactly one series; "
                "the releases are those `pip index versions` lists (not yanked ones)"
            ),
            "command": command,
        }
    return out


def write(found: dict[str, list[str]], command: str, project: str = PROJECT) -> dict[str, dict[str, Any]]:
    """Check `found`, then write every series folder's `series.json`."""
    result = manifests(found, command, project)
    for name, manifest in result.items():
        files.write_json(patches.PATCHES / project / name / patches.MANIFEST, manifest)
    return result
