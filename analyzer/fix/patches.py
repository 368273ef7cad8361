"""Apply this project's upstream patches to a user's transformers or PyTorch: a git checkout or an
installed package directory. Every step checks before it writes, so a refusal leaves the tree as
it was: a series must fit the tree, the files it touches must be clean, the series must not be
applied already, and `git apply --check` must accept all of it before anything is written.

Which series fits a tree: each project keeps one series per *shape* of the code it changes, in
`patches/<project>/<first>-<last>/` (the releases it was checked on, listed in the folder's
`series.json`): PyTorch's `check_bounds` has two shapes (2.8-2.12, 2.13-2.14), transformers'
`masking_utils.py` four. `apply` takes the first series, in the order of their first release,
whose changes to the package (`torch/...`, `src/transformers/...`) `git apply --check` accepts on
the tree, whatever its version says. A release no series was checked on is patched when its code
has a known shape, and refused in one line naming the shapes when it has none.

The shipped patches name no author: whoever sends one upstream is its author. `export` writes a
release's series with the sender's identity (from `git config`, or given) as the `From:` header,
ready for `git am --keep-non-patch` and `git send-email`.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from analyzer import identity as run_identity

PATCHES = Path(__file__).resolve().parents[2] / "patches"

# where each project keeps its package inside an upstream checkout
PACKAGE_IN_CHECKOUT = {"transformers": "src/transformers", "pytorch": "torch"}
_VERSION = re.compile(r"""__version__\s*(?::\s*str\s*)?=\s*['"](?P<v>[^'"]+)['"]""")


class PatchError(ValueError):
    """A refusal: one line naming what is wrong; nothing on disk was changed."""


@dataclasses.dataclass
class Target:
    project: str
    root: Path  # where git apply runs
    kind: str  # "checkout" | "installed"
    version: str
    strip: int  # leading path components to drop from the patch's paths (after a/ b/)
    include: str  # only paths under this prefix are applied (an installed package has no tests)


def release(version: str) -> str:
    """`2.8.0+cu128`, `2.8.0a0`, `4.57.1.dev0` -> the release the version belongs to (`identity.release`),
    or PatchError in one line."""
    try:
        return run_identity.release(version)
    except run_identity.BadVersion:
        raise PatchError(f"cannot read a release number from version {version!r}") from None


def _read_version(path: Path) -> str | None:
    if not path.is_file():
        return None
    match = _VERSION.search(path.read_text(encoding="utf-8", errors="replace"))
    return match["v"] if match else None


def detect(project: str, path: Path) -> Target:
    """Find what PATH is (checkout or installed package) and which release it holds."""
    if project not in PACKAGE_IN_CHECKOUT:
        raise PatchError(f"unknown project {project!r} (known: {', '.join(sorted(PACKAGE_IN_CHECKOUT))})")
    if not path.is_dir():
        raise PatchError(f"{path}: not a directory")
    path = path.resolve()
    package = PACKAGE_IN_CHECKOUT[project]
    if (path / ".git").exists() and (path / package).is_dir():
        if project == "transformers":
            version = _read_version(path / package / "__init__.py")
        else:
            txt = path / "version.txt"
            version = txt.read_text().strip() if txt.is_file() else _read_version(path / "torch" / "version.py")
        if not version:
            raise PatchError(f"{path}: a {project} checkout, but its version could not be read")
        return Target(project, path, "checkout", release(version), 0, "")
    init = "version.py" if project == "pytorch" else "__init__.py"
    version = _read_version(path / init)
    expected = package.rsplit("/", 1)[-1]
    if path.name == expected and version:
        return Target(project, path, "installed", release(version), package.count("/") + 1, package + "/")
    raise PatchError(f"{path}: neither a {project} git checkout nor an installed {expected} package directory")


MANIFEST = "series.json"  # in a shape's folder: the releases the series was checked on
_SERIES_NAME = re.compile(r"(?P<first>\d+\.\d+(?:\.\d+)?)(?:-(?P<last>\d+\.\d+(?:\.\d+)?))?")


def series_key(name: str) -> tuple[int, ...]:
    """The order of series folders: `2.8.0` < `2.10.0`, `4.53-4.57` < `5.0-5.3` < `5.4-5.19`, by the
    first release each names (then the last); a folder named otherwise is not a series."""
    match = _SERIES_NAME.fullmatch(name)
    if match is None:
        raise PatchError(f"{name!r} is not a series folder name (a release, or <first>-<last>)")
    last = match["last"] or match["first"]
    return (*(int(x) for x in match["first"].split(".")), -1, *(int(x) for x in last.split(".")))


def series_folders(project: str) -> list[Path]:
    """Every series folder of `project` that holds patches, in `series_key` order."""
    root = PATCHES / project
    found = [d for d in root.iterdir() if d.is_dir() and any(d.glob("*.patch"))] if root.is_dir() else []
    return sorted(found, key=lambda d: series_key(d.name))


def _patches_in(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.patch"))


def checked_on(folder: Path) -> list[str]:
    """The releases a shape's series was checked on, from its `series.json` (empty without one)."""
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return []
    return list(json.loads(manifest.read_text(encoding="utf-8")).get("checked_on", []))


def known_series(project: str) -> str:
    """`4.53-4.57 (checked on 4.53.0 to 4.57.6, 21 releases), ...`: what a refusal names."""
    parts = []
    for folder in series_folders(project):
        releases = checked_on(folder)
        if releases:
            span = releases[0] if len(releases) == 1 else f"{releases[0]} to {releases[-1]}, {len(releases)} releases"
            parts.append(f"{folder.name} (checked on {span})")
        else:
            parts.append(folder.name)
    return ", ".join(parts) or "none"


def release_series(project: str, version: str, tree: Path | None = None) -> list[Path]:
    """The series for `version` of `project`, as `apply` would choose it.

    With `tree` (a checkout or installed package of that version), the series that fits it (see the
    module's docstring), found with `git apply --check` there. Without one, from what is recorded:
    the shape whose `series.json` lists the release. Raises PatchError, in one line, when there is none."""
    if tree is not None:
        return _select(detect(project, tree))
    wanted = release(version)
    for folder in series_folders(project):
        if wanted in checked_on(folder):
            return _patches_in(folder)
    raise PatchError(
        f"no {project} series was checked on release {version} (known shapes: {known_series(project)}); "
        f"`apply` checks which one fits an actual tree"
    )


def _git(target: Target, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if target.kind == "installed":
        # an installed package may sit inside some other repository (a virtualenv in a project);
        # git must not mistake that one for the tree being patched
        env["GIT_CEILING_DIRECTORIES"] = str(target.root.parent)
    try:
        return subprocess.run(["git", *args], cwd=target.root, capture_output=True, text=True, env=env)
    except FileNotFoundError:
        raise PatchError("git is not installed; it is needed to check and apply patches") from None


def _apply_args(target: Target, patches: list[Path], *extra: str) -> list[str]:
    """One `git apply` over the whole series: git applies it in order and all or nothing."""
    args = ["apply", *extra]
    if target.kind == "installed":
        args.append(f"-p{target.strip + 1}")
    return [*args, *(str(p) for p in patches)]


def package_only(patch_text: str, prefix: str) -> str:
    """The patch cut down to the files under `prefix`: an installed package has no tests or
    build files, and git matches --include after stripping, where that difference is gone."""
    parts = re.split(r"(?m)^(?=diff --git )", patch_text)
    kept = [part for part in parts[1:] if part.startswith(f"diff --git a/{prefix}")]
    if kept and not kept[-1].endswith("\n"):
        kept[-1] += "\n"
    return "".join(kept)


def touched_files(patch: Path) -> list[str]:
    return sorted(set(re.findall(r"^\+\+\+ b/(\S+)", patch.read_text(encoding="utf-8"), re.MULTILINE)))


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "no output")


def _check_clean(target: Target, patches: list[Path]) -> None:
    if target.kind != "checkout":
        return
    files = sorted({f for p in patches for f in touched_files(p)})
    status = _git(target, "status", "--porcelain", "--", *files)
    if status.returncode != 0:
        raise PatchError(f"{target.root}: git status failed: {_first_line(status.stderr)}")
    if status.stdout.strip():
        dirty = status.stdout.splitlines()[0][3:]
        raise PatchError(f"{target.root}: uncommitted changes in {dirty}; commit or stash them first")


def _cut(target: Target, patches: list[Path], tmp: Path, prefix: str) -> list[Path]:
    """The series cut down to the files under `prefix` (written to `tmp`), or the series itself when
    nothing is cut: what `git apply` is given."""
    if not prefix:
        return patches
    out = []
    for index, patch in enumerate(patches):
        cut = tmp / f"{index:03d}-{patch.parent.name}-{patch.name}"
        cut.write_text(package_only(patch.read_text(encoding="utf-8"), prefix), encoding="utf-8")
        out.append(cut)
    return out


def _accepts(target: Target, patches: list[Path], reverse: bool = False) -> subprocess.CompletedProcess:
    """`git apply --check` of the package part of `patches` on the tree (reversed: of their undoing)."""
    with tempfile.TemporaryDirectory(prefix="analyzer-select-") as tmp:
        cut = _cut(target, patches, Path(tmp), PACKAGE_IN_CHECKOUT[target.project] + "/")
        ordered = list(reversed(cut)) if reverse else cut
        return _git(target, *_apply_args(target, ordered, "--check", *(["-R"] if reverse else [])))


def _candidates(target: Target) -> list[Path]:
    """Every patch of every series that may fit `target`: every shape's."""
    return [p for folder in series_folders(target.project) for p in _patches_in(folder)]


def fits(target: Target, folder: Path) -> bool:
    """Whether `git apply --check` accepts the package part of the series in `folder` on the tree."""
    return _accepts(target, _patches_in(folder)).returncode == 0


def package_files(project: str) -> list[str]:
    """The package files (relative to the package, e.g. `masking_utils.py`) any shipped series changes."""
    prefix = PACKAGE_IN_CHECKOUT[project] + "/"
    touched = {f for d in series_folders(project) for p in _patches_in(d) for f in touched_files(p)}
    return sorted(f[len(prefix):] for f in touched if f.startswith(prefix))


def _select(target: Target, reverse: bool = False) -> list[Path]:
    """The series that fits `target` (see the module's docstring); reversing, the one applied there.

    The first shape whose package part `git apply --check` accepts (forward, or reversed when
    reversing); with none, a tree that holds one already is "already applied", any other is refused
    naming the shapes."""
    folders = series_folders(target.project)
    for folder in folders:
        if _accepts(target, _patches_in(folder), reverse).returncode == 0:
            return _patches_in(folder)
    if reverse:
        raise PatchError(
            f"the {target.project} series is not applied, so it cannot be reversed: {target.root} holds the changes of "
            f"none of the known shapes ({known_series(target.project)})"
        )
    for folder in folders:
        if _accepts(target, _patches_in(folder), reverse=True).returncode == 0:
            raise PatchError(f"{target.root}: the {target.project} {folder.name} series is already applied")
    raise PatchError(
        f"no {target.project} patch series applies to {target.root} (release {target.version}); the code it changes has "
        f"none of the known shapes: {known_series(target.project)}"
    )


def _name(project: str, shipped: list[Path], target: Target) -> str:
    """How a message names the series: `pytorch 2.8.0`, `transformers 5.4-5.19`."""
    folder = shipped[0].parent
    return f"{project} {folder.name}" if folder.parent == PATCHES / project else f"{project} {target.version}"


def apply(
    project: str, path: Path, check_only: bool = False, reverse: bool = False, series: list[Path] | None = None
) -> tuple[Target, list[Path]]:
    """Check the whole series, then apply (or reverse) it; raise PatchError and write nothing on any problem.

    The series is the one that fits the tree (`release_series` with the tree); `series` overrides it
    (a candidate under evaluation)."""
    target = detect(project, path)
    if not reverse and not series:  # a local edit must be refused as such, not taken for an unknown shape
        _check_clean(target, _candidates(target))
    shipped = series or _select(target, reverse)
    name = _name(project, shipped, target)
    with tempfile.TemporaryDirectory(prefix="analyzer-apply-") as tmp:
        patches = _cut(target, shipped, Path(tmp), target.include)
        ordered = list(reversed(patches)) if reverse else patches
        direction = ["-R"] if reverse else []
        if not reverse and _git(target, *_apply_args(target, list(reversed(patches)), "--check", "-R")).returncode == 0:
            raise PatchError(f"{target.root}: the {name} series is already applied")
        if not reverse:  # a tree to be reversed holds the series' own changes, committed or not
            _check_clean(target, shipped)
        checked = _git(target, *_apply_args(target, ordered, "--check", *direction))
        if checked.returncode != 0:
            what = "is not applied, so it cannot be reversed" if reverse else "does not apply"
            raise PatchError(f"the {name} series {what} to {target.root}: {_first_line(checked.stderr)}")
        if not check_only:
            result = _git(target, *_apply_args(target, ordered, *direction))
            if result.returncode != 0:  # git apply is atomic: nothing was written
                raise PatchError(f"the {name} series failed on {target.root}: {_first_line(result.stderr)}")
    return target, list(reversed(shipped)) if reverse else shipped


@contextlib.contextmanager
def applied(project: str, path: Path, series: list[Path] | None = None) -> Iterator[Target]:
    """The series applied for the duration of the block, and reversed whatever happens in it."""
    target, used = apply(project, path, series=series)
    try:
        yield target
    finally:
        apply(project, path, reverse=True, series=used if series else None)


# Domains that can never hold a real mailbox (RFC 2606, RFC 6761): an identity there is a
# placeholder, and upstream's CLA or DCO check rejects it.
RESERVED_DOMAINS = ("example", "invalid", "localhost", "test", "example.com", "example.net", "example.org")
_IDENTITY = re.compile(r"^(?P<name>[^<>\n]*\S)\s*<(?P<email>[^<>@\s]+@(?P<domain>[^<>@\s]+))>$")


def author(identity: str) -> str:
    """`Name <email>` checked: a name, one address, and a domain that can hold a real mailbox."""
    match = _IDENTITY.match(identity.strip())
    if match is None:
        raise PatchError(f"author {identity!r} is not of the form 'Name <email>'")
    domain = match["domain"].lower().rstrip(".")
    reserved = next((d for d in RESERVED_DOMAINS if domain == d or domain.endswith("." + d)), None)
    if reserved:
        raise PatchError(f"author {identity.strip()!r} has a placeholder address ({reserved} is a reserved domain); give a real one")
    return f"{match['name']} <{match['email']}>"


def git_identity(cwd: Path | None = None) -> str:
    """The identity git would commit with here: `user.name <user.email>`, checked by `author`."""
    values = []
    for key in ("user.name", "user.email"):
        try:
            run = subprocess.run(["git", "config", key], cwd=cwd, capture_output=True, text=True)
        except FileNotFoundError:
            raise PatchError("git is not installed; give the author with --author") from None
        if run.returncode != 0 or not run.stdout.strip():
            raise PatchError(f"git config {key} is not set; set it or give the author with --author")
        values.append(run.stdout.strip())
    return author(f"{values[0]} <{values[1]}>")


def stamped(patch_text: str, identity: str) -> str:
    """The patch with `identity` as its author: a `From:` header right after the mbox line, in
    place of any author header it had (a header line and its folded continuations)."""
    first, sep, rest = patch_text.partition("\n")
    if not first.startswith("From ") or not sep:
        raise PatchError("not a patch in format-patch form (no 'From <commit>' line first)")
    head, blank, body = rest.partition("\n\n")
    head = re.sub(r"(?m)^From: .*\n?(?:[ \t].*\n?)*", "", head + "\n").rstrip("\n")
    return f"{first}\nFrom: {author(identity)}\n{head}{blank}{body}"


def export(project: str, version: str, out: Path, identity: str | None = None) -> list[Path]:
    """Write the release's series into `out`, each patch stamped with `identity` (default: this
    machine's git identity). Checks everything before writing anything."""
    series = release_series(project, version)
    who = author(identity) if identity else git_identity()
    texts = [stamped(p.read_text(encoding="utf-8"), who) for p in series]
    if out.exists() and not out.is_dir():
        raise PatchError(f"{out}: exists and is not a directory")
    clash = [p.name for p in series if (out / p.name).exists()]
    if clash:
        raise PatchError(f"{out / clash[0]}: already exists; export into an empty directory")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for patch, text in zip(series, texts):
        (out / patch.name).write_text(text, encoding="utf-8")
        written.append(out / patch.name)
    return written
