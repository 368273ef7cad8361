"""Known upstream issues of this bug class, and which of them a finding or a compiler error is.

The data is `known_issues.json` beside this module, curated by hand: the PyTorch and transformers
issues and pull requests of the class (a `tmpN` used where no declaration reaches it in Inductor's
C++ kernels, and the bounds-check placement around it), each with its number, type, exact title and
status as checked on the tracker, and the side effect no upstream issue reports (`unreported`).
`load` reads it into the dataclasses below and refuses, in one line, a file that lacks a required
field or breaks the rules `_check` states. `match` answers which entries a finding corresponds to.

Standard library only, and no torch import: `scan` calls it on kernels from anywhere. The release
parser is `identity.release` (with `identity.release_key` and `identity.is_prerelease`), the
project's own.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from analyzer import identity

SCHEMA_VERSION = 1
DATA = Path(__file__).with_name("known_issues.json")

PROJECTS = ("pytorch", "transformers")
TYPES = ("issue", "pr", "unreported")
# the tracker's state as read, and what it means once read
TRACKER_STATES = ("open", "closed", "merged")
STATUSES = ("open", "closed", "closed-fixed", "closed-unmerged", "merged", "not reported upstream")
FINDING_KINDS = identity.KINDS
_CHECKED = re.compile(r"^\d{4}-\d{2}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BadKnownIssues(ValueError):
    """The data file cannot be used; the message is one line naming the entry and the field."""


class BadVersion(ValueError):
    """Text that holds no torch release number; one line."""


# ---------------------------------------------------------------------------------------------
# torch versions


@dataclasses.dataclass(frozen=True)
class TorchVersion:
    """A torch version as `torch.__version__` or pip writes it. `release` is the release it belongs
    to, three numbers; `prerelease` is true for a build made before that release (`.devN`, `aN`,
    `bN`, `rcN`), which may hold the code of any point up to it. A local label (`+cpu`, `+cu128`)
    is a build of the release itself."""

    text: str
    release: tuple[int, int, int]
    prerelease: bool


def parse_version(text: str) -> TorchVersion:
    """`2.8.0+cu128`, `2.13.0+cpu`, `2.13.0.dev20260101+cpu`, `2.14.0a0`, `2.12.0rc1`; BadVersion for
    text with no release number (`main`)."""
    stripped = text.strip()
    try:
        return TorchVersion(stripped, identity.release_key(stripped), identity.is_prerelease(stripped))
    except identity.BadVersion:
        raise BadVersion(f"not a torch version: {text!r}") from None


def installed_torch() -> str | None:
    """The installed torch's version as pip records it, read without importing torch; None when
    torch is not installed in this Python."""
    try:
        return version("torch")
    except PackageNotFoundError:
        return None


# ---------------------------------------------------------------------------------------------
# the data


@dataclasses.dataclass(frozen=True)
class Message:
    """A compiler's wording of the error; `form` as in `Signature.forms`; `seen` says where."""

    compiler: str  # gcc | clang
    form: str
    seen: str


@dataclasses.dataclass(frozen=True)
class TorchRange:
    """Releases `first` (inclusive) to `before` (exclusive; None: no end known)."""

    first: str
    before: str | None


@dataclasses.dataclass(frozen=True)
class Signature:
    """What identifies an entry in a finding or a compiler error (see `match` for how each is used).

    `forms` are texts of the kernel line, `messages` of the compiler's error; in both, `tmpN`, `ksM`
    and `xN` stand for any such name (`tmp3`, `ks2`, `x0`) and the rest is literal."""

    kinds: tuple[str, ...]
    torch: TorchRange | None
    affected_hashes: tuple[str, ...]  # sha256 of CppKernel.check_bounds sources that have the bug
    fixed_hashes: tuple[str, ...]  # ... and sources that do not
    forms: tuple[str, ...]
    messages: tuple[Message, ...]


@dataclasses.dataclass(frozen=True)
class FixedIn:
    """Where the failure stops: the project whose release fixes it, the release (None: not known)
    and the pull request (None: not known)."""

    project: str
    release: str | None
    pr: int | None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class KnownIssue:
    """One upstream issue or pull request (`type` issue or pr), or a known defect that no upstream
    issue reports (`type` unreported, `number` None). `status` is the tracker's state read:
    `merged` for a PyTorch PR the tracker shows closed but that landed, `closed-unmerged` for one
    closed without landing. `relation` is one line on how it bears on this project's failure;
    `unconfirmed` says what the check on the tracker could not confirm."""

    project: str
    number: int | None
    type: str
    title: str
    url: str | None
    tracker_state: str | None
    status: str
    checked: str  # YYYY-MM of the check on the tracker
    relation: str
    match: Signature | None  # None: a reference only, never matched to a finding
    fixed_in: FixedIn | None
    workaround: str | None = None
    unconfirmed: str | None = None
    caused_by: str | None = None  # `project#number` of the change that caused an unreported defect

    @property
    def ref(self) -> str:
        """`pytorch#178244`, `transformers#44845`, or `pytorch (unreported)`."""
        return f"{self.project}#{self.number}" if self.number is not None else f"{self.project} (unreported)"

    def summary(self, torch: str | None = None) -> dict[str, Any]:
        """The short form `scan --json` writes per finding; `torch` is the version matched against."""
        out = {
            "project": self.project,
            "number": self.number,
            "type": self.type,
            "title": self.title,
            "fixed_in": self.fixed_in.to_dict() if self.fixed_in else None,
        }
        if torch is not None:
            out["torch"] = torch
        return out


@dataclasses.dataclass(frozen=True)
class KnownIssues:
    """The whole file: the entries in its order (upstream ones, then the unreported), and the
    `check_bounds` sources it knows, sha256 -> (state, releases measured)."""

    schema_version: int
    check_bounds: dict[str, tuple[str, tuple[str, ...]]]
    entries: tuple[KnownIssue, ...]

    def match(self, kind: str | None, torch_version: str | TorchVersion | None, check_bounds_hash: str | None = None, message: str | None = None) -> list[KnownIssue]:
        """See the module-level `match`."""
        version = parse_version(torch_version) if isinstance(torch_version, str) else torch_version
        text = message.translate(_QUOTES) if message is not None else None
        if kind is None and text is None:
            return []  # nothing about a failure: a clean run matches nothing
        scored = []
        for index, entry in enumerate(self.entries):
            if entry.match is None:
                continue
            score = _score(entry.match, kind, version, check_bounds_hash, text)
            if score is not None:
                scored.append((-score, index, entry))
        return [entry for _, _, entry in sorted(scored, key=lambda s: s[:2])]


# evidence weights: the installed code outweighs the rest, and the kernel line or error text and
# the kind outweigh the version number
_CODE, _KIND, _FORM, _MESSAGE, _VERSION = 3, 2, 2, 1, 1
# g++ quotes identifiers as ‘tmp2’ under a UTF-8 locale and as 'tmp2' under C
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'"})
_PLACEHOLDERS = {"tmpN": r"tmp\d+", "ksM": r"ks\d+", "xN": r"x\d+", "zufN": r"zuf\d+"}


@functools.lru_cache(maxsize=None)
def _pattern(form: str) -> re.Pattern[str]:
    regex = re.escape(form).replace("'", "['\u2018\u2019]")  # gcc quotes with ‘ ’ where its locale allows
    for placeholder, replacement in _PLACEHOLDERS.items():
        regex = regex.replace(placeholder, replacement)
    return re.compile(regex)


def _in_range(v: TorchVersion, r: TorchRange) -> bool:
    low = parse_version(r.first).release
    high = parse_version(r.before).release if r.before else None
    if v.prerelease:  # may hold anything up to its release: it counts for the range ending there
        return low <= v.release and (high is None or v.release <= high)
    return low <= v.release and (high is None or v.release < high)


def _score(sig: Signature, kind: str | None, version: TorchVersion | None, code: str | None, text: str | None) -> int | None:
    """The evidence that a failure is this signature's, or None when something rules it out or
    nothing but the kind speaks for it (a kind is shared by unrelated bugs: the source, the release
    range or the text must point here too)."""
    score = 0
    pointed = False
    code_known = False
    if code is not None:
        if code in sig.fixed_hashes:
            return None
        if code in sig.affected_hashes:
            score += _CODE
            pointed = code_known = True  # the code decides, whatever its version number says
    if kind is not None:
        if kind not in sig.kinds:
            return None
        score += _KIND
    if version is not None and sig.torch is not None and not code_known:
        if not _in_range(version, sig.torch):
            return None
        score += _VERSION
        pointed = True
    if text is not None and (sig.forms or sig.messages):
        form_hit = any(_pattern(f).search(text) for f in sig.forms)
        message_hit = any(_pattern(m.form).search(text) for m in sig.messages)
        if not (form_hit or message_hit):
            return None
        score += (_FORM if form_hit else 0) + (_MESSAGE if message_hit else 0)
        pointed = True
    return score if pointed else None


# ---------------------------------------------------------------------------------------------
# loading


def _field(raw: dict[str, Any], name: str, where: str, types: tuple[type, ...], optional: bool = False) -> Any:
    if name not in raw:
        if optional:
            return None
        raise BadKnownIssues(f"{where}: no `{name}`")
    value = raw[name]
    if value is None and optional:
        return None
    if not isinstance(value, types) or isinstance(value, bool) and bool not in types:
        raise BadKnownIssues(f"{where}: `{name}` is {value!r}, not {' or '.join(t.__name__ for t in types)}")
    if isinstance(value, str) and not value.strip():
        raise BadKnownIssues(f"{where}: `{name}` is empty")
    return value


def _signature(raw: dict[str, Any], where: str, hashes: dict[str, Any]) -> Signature:
    where = f"{where} match"
    kinds = tuple(_field(raw, "kinds", where, (list,)))
    if any(k not in FINDING_KINDS for k in kinds):
        raise BadKnownIssues(f"{where}: `kinds` must be finding kinds ({', '.join(FINDING_KINDS)}), got {list(kinds)}")
    if not kinds and not raw.get("messages"):  # a compile failure no kernel finding shows is known by its wording
        raise BadKnownIssues(f"{where}: an entry without finding kinds must give the compiler's `messages`")
    torch_raw = _field(raw, "torch", where, (dict,), optional=True)
    torch = None
    if torch_raw is not None:
        torch = TorchRange(_field(torch_raw, "from", where, (str,)), _field(torch_raw, "before", where, (str,), optional=True))
        for text in filter(None, (torch.first, torch.before)):
            parse_version(text)
    code = _field(raw, "check_bounds_sha256", where, (dict,), optional=True) or {}
    affected = tuple(code.get("affected", ()))
    fixed = tuple(code.get("fixed", ()))
    for sha in affected + fixed:
        if sha not in hashes:
            raise BadKnownIssues(f"{where}: check_bounds sha256 {sha[:12]}... is not in the file's check_bounds_sha256 table")
    if set(affected) & set(fixed):
        raise BadKnownIssues(f"{where}: a check_bounds sha256 is both affected and fixed")
    forms = tuple(_field(raw, "forms", where, (list,), optional=True) or ())
    messages = tuple(
        Message(_field(m, "compiler", where, (str,)), _field(m, "form", where, (str,)), _field(m, "seen", where, (str,)))
        for m in _field(raw, "messages", where, (list,), optional=True) or ()
    )
    if any(m.compiler not in ("gcc", "clang") for m in messages):
        raise BadKnownIssues(f"{where}: a message's compiler must be gcc or clang")
    return Signature(kinds, torch, affected, fixed, forms, messages)


def _entry(raw: Any, where: str, hashes: dict[str, Any]) -> KnownIssue:
    if not isinstance(raw, dict):
        raise BadKnownIssues(f"{where}: not an object")
    project = _field(raw, "project", where, (str,))
    number = _field(raw, "number", where, (int,), optional=True)
    where = f"{project}#{number}" if number is not None else f"{where} ({project})"
    fixed_raw = _field(raw, "fixed_in", where, (dict,), optional=True)
    fixed_in = None
    if fixed_raw is not None:
        fixed_in = FixedIn(
            _field(fixed_raw, "project", f"{where} fixed_in", (str,)),
            _field(fixed_raw, "release", f"{where} fixed_in", (str,), optional=True),
            _field(fixed_raw, "pr", f"{where} fixed_in", (int,), optional=True),
        )
    caused = _field(raw, "caused_by", where, (dict,), optional=True)
    match_raw = _field(raw, "match", where, (dict,), optional=True)
    entry = KnownIssue(
        project=project,
        number=number,
        type=_field(raw, "type", where, (str,)),
        title=_field(raw, "title", where, (str,)),
        url=_field(raw, "url", where, (str,), optional=True),
        tracker_state=_field(raw, "tracker_state", where, (str,), optional=True),
        status=_field(raw, "status", where, (str,)),
        checked=_field(raw, "checked", where, (str,)),
        relation=_field(raw, "relation", where, (str,)),
        match=_signature(match_raw, where, hashes) if match_raw is not None else None,
        fixed_in=fixed_in,
        workaround=_field(raw, "workaround", where, (str,), optional=True),
        unconfirmed=_field(raw, "unconfirmed", where, (str,), optional=True),
        caused_by=f"{caused['project']}#{caused['number']}" if caused else None,
    )
    _check(entry, where)
    return entry


def _check(e: KnownIssue, where: str) -> None:
    """The rules an entry keeps: a known project, type and status; a number and URL exactly for
    upstream entries, the URL the tracker's for that project, type and number; the status
    consistent with the tracker's state; the month it was checked; a release number in `fixed_in`."""
    if e.project not in PROJECTS:
        raise BadKnownIssues(f"{where}: project {e.project!r} is not one of {', '.join(PROJECTS)}")
    if e.type not in TYPES:
        raise BadKnownIssues(f"{where}: type {e.type!r} is not one of {', '.join(TYPES)}")
    if e.status not in STATUSES:
        raise BadKnownIssues(f"{where}: status {e.status!r} is not one of {', '.join(STATUSES)}")
    if not _CHECKED.match(e.checked):
        raise BadKnownIssues(f"{where}: checked {e.checked!r} is not YYYY-MM")
    if e.type == "unreported":
        if e.number is not None or e.url is not None or e.tracker_state is not None or e.status != "not reported upstream":
            raise BadKnownIssues(f"{where}: an unreported entry has no number, url or tracker_state, and status 'not reported upstream'")
        return
    if e.number is None or e.number <= 0:
        raise BadKnownIssues(f"{where}: an upstream entry needs a positive number")
    repo = {"pytorch": "pytorch/pytorch", "transformers": "huggingface/transformers"}[e.project]
    url = f"https://github.com/{repo}/{'issues' if e.type == 'issue' else 'pull'}/{e.number}"
    if e.url != url:
        raise BadKnownIssues(f"{where}: url {e.url!r} is not {url}")
    if e.tracker_state not in TRACKER_STATES:
        raise BadKnownIssues(f"{where}: tracker_state {e.tracker_state!r} is not one of {', '.join(TRACKER_STATES)}")
    allowed = {
        "open": ("open",),
        "closed": ("closed",),
        "closed-fixed": ("closed",),
        "closed-unmerged": ("closed",),
        "merged": ("closed", "merged") if e.type == "pr" else (),
        "not reported upstream": (),
    }[e.status]
    if e.tracker_state not in allowed:
        raise BadKnownIssues(f"{where}: status {e.status!r} does not fit tracker_state {e.tracker_state!r} of a {e.type}")
    if e.status == "merged" and e.tracker_state == "closed" and not e.unconfirmed:
        raise BadKnownIssues(f"{where}: merged although the tracker shows closed: `unconfirmed` must say how that is known")
    if e.fixed_in is not None and e.fixed_in.release is not None:
        parse_version(e.fixed_in.release)


def load(path: Path = DATA) -> KnownIssues:
    """Read and check the data file; BadKnownIssues with one line on the first problem."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadKnownIssues(f"{path}: cannot read: {exc}") from None
    if not isinstance(raw, dict) or raw.get("schema_version") != SCHEMA_VERSION:
        raise BadKnownIssues(f"{path}: schema_version {raw.get('schema_version') if isinstance(raw, dict) else None!r}, expected {SCHEMA_VERSION}")
    table = raw.get("check_bounds_sha256")
    if not isinstance(table, dict):
        raise BadKnownIssues(f"{path}: no check_bounds_sha256 table")
    hashes: dict[str, tuple[str, tuple[str, ...]]] = {}
    for sha, record in table.items():
        if sha == "source":
            continue
        if not _SHA256.match(sha) or not isinstance(record, dict) or not isinstance(record.get("torch"), list):
            raise BadKnownIssues(f"{path}: check_bounds_sha256 {sha!r} is not a sha256 with its state and torch releases")
        hashes[sha] = (record["state"], tuple(record["torch"]))
    entries = []
    for section in ("issues", "unreported"):
        items = raw.get(section)
        if not isinstance(items, list):
            raise BadKnownIssues(f"{path}: no `{section}` list")
        entries += [_entry(item, f"{section}[{i}]", hashes) for i, item in enumerate(items)]
    seen: set[tuple[str, int]] = set()
    for e in entries:
        if e.number is not None:
            if (e.project, e.number) in seen:
                raise BadKnownIssues(f"{path}: {e.ref} appears twice")
            seen.add((e.project, e.number))
    return KnownIssues(SCHEMA_VERSION, hashes, tuple(entries))


@functools.lru_cache(maxsize=1)
def known_issues() -> KnownIssues:
    """The data file shipped with the analyzer, read once."""
    return load()


def match(kind: str | None, torch_version: str | TorchVersion | None, check_bounds_hash: str | None = None, message: str | None = None) -> list[KnownIssue]:
    """The known issues a failure corresponds to, best first; [] when none does.

    - `kind`: a finding kind (`forward-reference`, ...), or None for a compiler error alone. When
      given, an entry whose signature lacks it is not a match.
    - `torch_version`: the torch the kernel or error came from (`2.8.0+cu128`, `2.14.0a0`, ...;
      BadVersion if it holds no release number), or None when unknown. An entry with a release range
      matches only inside it; a pre-release of release R counts as R and as the time just before R,
      since it may not hold R's changes yet.
    - `check_bounds_hash`: sha256 of the `CppKernel.check_bounds` source the kernel came from (as
      `matrix.installed_check_bounds` reads it). It decides over the version: a source an entry
      lists as fixed rules the entry out, one it lists as affected matches whatever the version says;
      a source the entry does not list leaves the version to decide.
    - `message`: a compiler's diagnostic (its error line and the kernel line it quotes), or the
      kernel line of the finding. When given, an entry with forms or compiler messages must match
      one of them in it.

    Without a kind and a message there is no failure to recognise, and nothing matches; the kind
    alone does not match either (unrelated bugs share it): the source hash, the release range or the
    message must point to the entry too. The order
    is by the weight of the evidence (source hash, then kernel form and kind, then compiler wording
    and version), ties in the file's order, which puts each failure's canonical report first.
    """
    return known_issues().match(kind, torch_version, check_bounds_hash, message)


def annotate(scan: dict[str, Any], torch_version: str | None, source: str) -> dict[str, Any]:
    """Add to a `scan --json` object (`ScanResult.to_dict()`) the torch version its findings were
    matched against, as `torch: {version, source}` (source: `installed` or `--torch`; None when no
    version is known), and to each finding `known`, the summaries of the entries its kind and kernel
    line match on that version (see `KnownIssue.summary`). Without a version the findings get no
    `known`: a match on the kernel text alone would claim a release range it cannot check."""
    if torch_version is None:
        scan["torch"] = None
        return scan
    parsed = parse_version(torch_version)
    scan["torch"] = {"version": parsed.text, "source": source}
    for finding in scan["findings"]:
        found = match(finding["kind"], parsed, message=finding.get("statement"))
        finding["known"] = [issue.summary(parsed.text) for issue in found]
    return scan
