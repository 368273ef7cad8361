"""Apply this project's upstream patches to a user's transformers or PyTorch: a git checkout or an
installed package directory. Every step checks before it writes, so a refusal leaves the tree as
it was: the version must have a patch series, the files it touches must be clean, the series must
not be applied already, and `git apply --check` must accept all of it before anything is written.

The shipped patches name no author: whoever sends one upstream is its author. `export` writes a
release's series with the sender's identity (from `git config`, or given) as the `From:` header,
ready for `git am --keep-non-patch` and `git send-email`.
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

PATCHES = Path(__file__).resolve().parent.parent / "patches"

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
    """`2.8.0+cu128`, `2.8.0a0`, `4.57.1.dev0` -> the release the version belongs to."""
    match = re.match(r"\d+\.\d+\.\d+", version)
    if match is None:
        raise PatchError(f"cannot read a release number from version {version!r}")
    return match.group(0)


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


def release_series(project: str, version: str) -> list[Path]:
    folder = PATCHES / project / version
    found = sorted(folder.glob("*.patch")) if folder.is_dir() else []
    if not found:
        have = sorted(p.name for p in (PATCHES / project).iterdir() if p.is_dir()) if (PATCHES / project).is_dir() else []
        raise PatchError(f"no {project} patch for release {version} (patches exist for: {', '.join(have) or 'none'})")
    return found


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


def apply(
    project: str, path: Path, check_only: bool = False, reverse: bool = False, series: list[Path] | None = None
) -> tuple[Target, list[Path]]:
    """Check the whole series, then apply (or reverse) it; raise PatchError and write nothing on any problem.

    `series` overrides the release's own (a candidate under evaluation)."""
    target = detect(project, path)
    shipped = series or release_series(project, target.version)
    with tempfile.TemporaryDirectory(prefix="analyzer-apply-") as tmp:
        patches = shipped
        if target.kind == "installed":
            patches = []
            for patch in shipped:
                cut = Path(tmp) / patch.name
                cut.write_text(package_only(patch.read_text(encoding="utf-8"), target.include), encoding="utf-8")
                patches.append(cut)
        ordered = list(reversed(patches)) if reverse else patches
        direction = ["-R"] if reverse else []
        if not reverse and _git(target, *_apply_args(target, list(reversed(patches)), "--check", "-R")).returncode == 0:
            raise PatchError(f"{target.root}: the {project} {target.version} series is already applied")
        if not reverse:  # a tree to be reversed holds the series' own changes, committed or not
            _check_clean(target, shipped)
        checked = _git(target, *_apply_args(target, ordered, "--check", *direction))
        if checked.returncode != 0:
            what = "is not applied, so it cannot be reversed" if reverse else "does not apply"
            raise PatchError(f"the {project} {target.version} series {what} to {target.root}: {_first_line(checked.stderr)}")
        if not check_only:
            result = _git(target, *_apply_args(target, ordered, *direction))
            if result.returncode != 0:  # git apply is atomic: nothing was written
                raise PatchError(f"the {project} {target.version} series failed on {target.root}: {_first_line(result.stderr)}")
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
