"""analyzer/known.py and its data: the upstream references are what was checked on the trackers,
the source hashes are those the matrix measured, and the matcher names the right ones."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer import identity
from analyzer.analysis import known

ROOT = Path(__file__).resolve().parent.parent
MATRIX = json.loads((ROOT / "reports" / "matrix.json").read_text())

# What was checked on the trackers (December 2026): (project, number, type,
# status). The data file must say exactly this; a change there is deliberate only if made here too.
REFERENCES = {
    ("pytorch", 178244, "issue", "open"),
    ("pytorch", 187335, "issue", "closed"),
    ("transformers", 44458, "issue", "open"),
    ("pytorch", 180212, "pr", "merged"),
    ("pytorch", 187798, "pr", "closed-unmerged"),
    ("pytorch", 181621, "issue", "closed"),
    ("pytorch", 193581, "issue", "open"),
    ("pytorch", 175963, "issue", "open"),
    ("pytorch", 162188, "issue", "closed"),
    ("pytorch", 152172, "issue", "closed"),
    ("pytorch", 195482, "pr", "open"),
    ("pytorch", 195402, "issue", "open"),
    ("transformers", 44845, "pr", "closed-unmerged"),
    ("transformers", 44459, "pr", "closed-unmerged"),
    ("transformers", 37866, "pr", "merged"),
    ("transformers", 41852, "pr", "merged"),
    # other compile failures of the C++ backend, reached by the program corpus (tests/programs)
    ("pytorch", 131561, "issue", "open"),
    ("pytorch", 160800, "issue", "open"),
    ("pytorch", 178095, "issue", "open"),
}
# numbers named as fixes that could not be found on the tracker: never an entry of their own
UNFOUND = {("pytorch", 178962)}

UNFIXED = "0bf0b755fc1b10577f778c009fe07361b97ce3601ace7ad9b120a660d8e48324"
UPSTREAM_FIX = "b06c73e00e3b0e45491f022d0f20f3fe068792f33871dbe4342d91be0d24c9dd"
BOUNDS_LINE = 'TORCH_CHECK((at::vec::VecMask<int64_t,2>(tmp3 < at::vec::VectorizedN<int64_t,2>(ks2))).all_masked(), "index out of bounds: tmp3 < ks2");'


@pytest.fixture(scope="module")
def data() -> known.KnownIssues:
    return known.load()


def numbers(issues: list[known.KnownIssue]) -> list[tuple[str, int | None]]:
    return [(i.project, i.number) for i in issues]


# ---------------------------------------------------------------------------------------------
# the data file


def test_the_references_are_the_checked_ones(data):
    upstream = [e for e in data.entries if e.type != "unreported"]
    assert {(e.project, e.number, e.type, e.status) for e in upstream} == REFERENCES
    assert len(upstream) == len(REFERENCES)
    assert not {(e.project, e.number) for e in upstream} & UNFOUND


def test_no_number_twice_and_every_title_is_there(data):
    refs = [(e.project, e.number) for e in data.entries if e.number is not None]
    assert len(refs) == len(set(refs))
    for e in data.entries:
        assert e.title.strip() == e.title and len(e.title) > 10, e.ref
        assert e.relation.strip() and e.checked == "2026-12", e.ref


def test_every_entry_has_the_required_fields_in_the_file():
    raw = json.loads(known.DATA.read_text())
    assert raw["schema_version"] == known.SCHEMA_VERSION == 1
    for item in raw["issues"] + raw["unreported"]:
        assert {"project", "number", "type", "title", "url", "tracker_state", "status", "checked", "relation"} <= item.keys(), item.get("number")
        if item["type"] != "unreported":
            assert item["url"].endswith(f"/{item['number']}")


def test_the_unreported_side_effect_says_it_has_no_upstream_issue(data):
    (side,) = [e for e in data.entries if e.type == "unreported"]
    assert side.number is None and side.url is None and side.status == "not reported upstream"
    assert side.caused_by == "pytorch#180212" and side.fixed_in is None
    assert side.match.kinds == ("check-after-load",)


def test_what_could_not_be_confirmed_is_said_where_it_matters(data):
    by = {(e.project, e.number): e for e in data.entries}
    for ref in [("pytorch", 181621), ("pytorch", 193581)]:  # fixed by a PR the search did not find
        assert by[ref].fixed_in.pr == 178962 and by[ref].fixed_in.release is None
        assert "178962" in by[ref].unconfirmed
    # a PyTorch PR the tracker shows closed is recorded as merged only with how that is known
    assert by[("pytorch", 180212)].tracker_state == "closed" and "landed" in by[("pytorch", 180212)].unconfirmed


def test_the_check_bounds_hashes_are_those_the_matrix_read():
    measured: dict[str, tuple[str, set[str]]] = {}
    for cell in MATRIX["cells"].values():
        cb = cell["check_bounds"]
        state, releases = measured.setdefault(cb["sha256"], (cb["state"], set()))
        assert state == cb["state"]
        releases.add(identity.release(cell["versions"]["torch"]))
    data = known.load()
    assert {sha: (state, set(releases)) for sha, (state, releases) in data.check_bounds.items()} == measured
    assert data.check_bounds[UNFIXED][0] == "unfixed" and data.check_bounds[UPSTREAM_FIX][0] == "upstream-fix"


def test_each_signature_s_hashes_agree_with_its_release_range(data):
    """A source listed as affected was measured only on releases inside the entry's range, and one
    listed as fixed only outside it."""
    for e in data.entries:
        if e.match is None or e.match.torch is None:
            continue
        for sha in e.match.affected_hashes + e.match.fixed_hashes:
            for release in data.check_bounds[sha][1]:
                inside = known._in_range(known.parse_version(release), e.match.torch)
                assert inside == (sha in e.match.affected_hashes), (e.ref, sha[:12], release)


def test_fixed_in_2_13_0_is_where_the_matrix_sees_the_fix_begin(data):
    (issue,) = [e for e in data.entries if (e.project, e.number) == ("pytorch", 178244)]
    assert (issue.fixed_in.release, issue.fixed_in.pr) == ("2.13.0", 180212)
    fix = known.parse_version(issue.fixed_in.release).release
    for cell in MATRIX["cells"].values():
        before = known.parse_version(cell["versions"]["torch"]).release < fix
        assert cell["check_bounds"]["state"] == ("unfixed" if before else "upstream-fix"), cell["versions"]["torch"]


def test_a_fixing_pr_that_is_an_entry_is_a_merged_pr(data):
    by = {(e.project, e.number): e for e in data.entries}
    for e in data.entries:
        if e.fixed_in and e.fixed_in.release and (e.fixed_in.project, e.fixed_in.pr) in by:
            pr = by[(e.fixed_in.project, e.fixed_in.pr)]
            assert pr.type == "pr" and pr.status == "merged", e.ref


def test_the_kinds_are_the_kernel_analysis_kinds():
    from analyzer.analysis import kernel

    assert known.FINDING_KINDS == kernel.KINDS


@pytest.mark.parametrize(
    "change, complaint",
    [
        (lambda d: d["issues"].append(dict(d["issues"][0])), "appears twice"),
        (lambda d: d["issues"][0].update(title="  "), "`title` is empty"),
        (lambda d: d["issues"][0].pop("title"), "no `title`"),
        (lambda d: d["issues"][0].update(status="closed"), "does not fit tracker_state"),
        (lambda d: d["issues"][0].update(type="pr"), "url"),
        (lambda d: d["issues"][0].update(checked="December"), "not YYYY-MM"),
        (lambda d: d["issues"][0]["match"].update(kinds=["lost"]), "finding kinds"),
        (lambda d: d["issues"][0]["match"]["check_bounds_sha256"].update(affected=["ab" * 32]), "not in the file's check_bounds_sha256"),
        (lambda d: d["issues"][3].pop("unconfirmed"), "merged although the tracker shows closed"),
        (lambda d: d["unreported"][0].update(number=1), "unreported entry"),
        (lambda d: d.update(schema_version=2), "schema_version"),
    ],
)
def test_a_broken_data_file_is_refused_in_one_line(tmp_path, change, complaint):
    raw = json.loads(known.DATA.read_text())
    change(raw)
    path = tmp_path / "known_issues.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(known.BadKnownIssues, match=complaint.replace("`", ".").replace("(", r"\(")) as info:
        known.load(path)
    assert "\n" not in str(info.value)


# ---------------------------------------------------------------------------------------------
# versions


@pytest.mark.parametrize(
    "text, release, prerelease",
    [
        ("2.8.0+cu128", (2, 8, 0), False),
        ("2.13.0+cpu", (2, 13, 0), False),
        ("2.13.0.dev20260101+cpu", (2, 13, 0), True),
        ("2.14.0a0", (2, 14, 0), True),
        ("2.14.0a0+git1234abc", (2, 14, 0), True),
        ("2.12.0rc1", (2, 12, 0), True),
        ("2.12.1", (2, 12, 1), False),
        (" 2.10.0\n", (2, 10, 0), False),
    ],
)
def test_torch_versions_are_read_with_the_matrix_release_parser(text, release, prerelease):
    v = known.parse_version(text)
    assert (v.release, v.prerelease) == (release, prerelease)
    assert v.release == identity.release_key(identity.release(text))


@pytest.mark.parametrize("text", ["main", "", "torch"])
def test_text_without_a_release_is_refused(text):
    with pytest.raises(known.BadVersion, match="not a torch version"):
        known.parse_version(text)


# ---------------------------------------------------------------------------------------------
# the matcher


@pytest.mark.parametrize("torch", ["2.8.0+cu128", "2.10.0", "2.12.1", "2.12.0rc1", "2.13.0.dev20260101+cpu"])
@pytest.mark.parametrize("line", [None, BOUNDS_LINE])
def test_a_forward_reference_before_2_13_is_pytorch_178244(torch, line):
    found = known.match("forward-reference", torch, message=line)
    assert numbers(found) == [("pytorch", 178244), ("pytorch", 187335), ("transformers", 44458)]
    assert (found[0].fixed_in.release, found[0].fixed_in.pr) == ("2.13.0", 180212)
    assert "still fails" in found[1].title and "2.12" in found[1].title


@pytest.mark.parametrize("torch", ["2.13.0+cpu", "2.14.1", "2.14.0a0"])
def test_a_forward_reference_on_a_fixed_release_is_no_known_issue(torch):
    assert known.match("forward-reference", torch, message=BOUNDS_LINE) == []


@pytest.mark.parametrize("torch", ["2.13.0+cpu", "2.13.0.dev20260101+cpu", "2.14.0a0", "2.14.1"])
def test_a_check_after_load_from_2_13_is_the_unreported_side_effect_of_180212(torch):
    (found,) = known.match("check-after-load", torch, message=BOUNDS_LINE)
    assert found.type == "unreported" and found.number is None and found.caused_by == "pytorch#180212"
    assert found.summary(torch) == {"project": "pytorch", "number": None, "type": "unreported", "title": found.title, "fixed_in": None, "torch": torch}


@pytest.mark.parametrize("torch", ["2.8.0+cu128", "2.12.1", "2.12.0rc1"])
def test_a_check_after_load_before_2_13_is_no_known_issue(torch):
    assert known.match("check-after-load", torch, message=BOUNDS_LINE) == []


@pytest.mark.parametrize("torch", ["2.8.0+cu128", "2.13.0+cpu", None])
def test_a_clean_run_matches_nothing(torch):
    assert known.match(None, torch) == []
    assert known.match(None, torch, check_bounds_hash=UNFIXED) == []
    assert known.match(None, torch, message="error: expected ';' before '}' token") == []


def test_the_kind_alone_matches_nothing():
    """Unrelated bugs share a kind: the release range, the source or the text must point there too."""
    assert known.match("forward-reference", None) == []
    assert known.match("out-of-scope", "2.10.0") == []


def test_the_check_bounds_source_decides_over_the_version_number():
    # a build numbered 2.14 whose check_bounds is the unfixed one still has the bug
    assert numbers(known.match("forward-reference", "2.14.0a0", check_bounds_hash=UNFIXED))[0] == ("pytorch", 178244)
    # a build numbered 2.10 that carries the upstream fix does not
    assert known.match("forward-reference", "2.10.0", check_bounds_hash=UPSTREAM_FIX, message=BOUNDS_LINE) == []
    # a source no entry knows (this project's patch, say) leaves the version to decide
    assert numbers(known.match("forward-reference", "2.10.0", check_bounds_hash="cd" * 32))[0] == ("pytorch", 178244)


@pytest.mark.parametrize(
    "message",
    [
        "main.cpp:23:71: error: \u2018tmp3\u2019 was not declared in this scope\n   23 |   " + BOUNDS_LINE,
        "main.cpp:23:71: error: 'tmp2' was not declared in this scope; did you mean 'tm'?",
        "main.cpp:23:71: error: use of undeclared identifier 'tmp3'",
        "error: temporary of non-literal type 'at::vec::CPU_CAPABILITY::VectorizedN<long int, 2>' in a constant expression",
    ],
)
def test_a_compiler_error_on_an_affected_release_is_pytorch_178244(message):
    assert numbers(known.match(None, "2.12.1", message=message))[0] == ("pytorch", 178244)
    assert all(i.number != 178244 for i in known.match(None, "2.13.0", message=message))


def test_a_lost_definition_in_a_tile_transpose_is_the_transpose_family():
    line = "transpose_mxn<float,static_cast<int64_t>(5L),static_cast<int64_t>(2L),false>(in_ptr0 + static_cast<int64_t>(x0 + 2L*x2 + 10L*tmp13), static_cast<int64_t>(2L), tmp14, static_cast<int64_t>(5L));"
    found = numbers(known.match("out-of-scope", "2.13.0+cpu", message=line))
    assert found == [("pytorch", 181621), ("pytorch", 193581), ("pytorch", 175963)]
    error = "error: 'tmp13' was not declared in this scope; did you mean 'tmp14'?\n" + line
    assert numbers(known.match(None, "2.10.0", message=error))[:2] == [("pytorch", 181621), ("pytorch", 193581)]
    # a bounds check is not a transpose
    assert not {n for _, n in numbers(known.match("forward-reference", "2.10.0", message=BOUNDS_LINE))} & {181621, 193581, 175963}


def test_references_without_a_signature_are_never_matched(data):
    never = {e.number for e in data.entries if e.match is None}
    assert {180212, 187798, 162188, 152172, 195482, 195402, 44845, 44459, 37866, 41852} == never
    for kind in known.FINDING_KINDS:
        for torch in ["2.8.0", "2.13.0"]:
            assert not {i.number for i in known.match(kind, torch, message=BOUNDS_LINE + " transpose_mxn")} & never


def test_annotate_without_a_version_adds_no_known_field():
    scan = {"schema_version": 1, "findings": [{"kind": "forward-reference", "statement": BOUNDS_LINE}], "kernels": 1, "skipped": []}
    out = known.annotate(scan, None, "installed")
    assert out["torch"] is None and "known" not in out["findings"][0]


def test_known_needs_neither_torch_nor_the_kernel_parser():
    code = (
        "import sys, analyzer.analysis.known as k; k.match('forward-reference', '2.8.0', message='index out of bounds: tmp2 < ks2'); "
        "print(sorted(m for m in ('torch', 'tree_sitter', 'networkx') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_a_compile_failure_without_a_finding_is_known_by_its_wording():
    """gcc's own quotes and numbers, as the corpus programs' runs recorded them on torch 2.8.0."""
    assert numbers(known.match(None, "2.8.0", message="\u2018zuf0\u2019 was not declared in this scope")) == [("pytorch", 131561), ("pytorch", 160800)]
    blendv = "\u2018blendv\u2019 is not a member of \u2018at::vec::CPU_CAPABILITY::Vectorized<c10::Float8_e4m3fn>\u2019"
    assert numbers(known.match(None, "2.8.0", message=blendv)) == [("pytorch", 178095)]
    assert known.match("forward-reference", "2.8.0", message="\u2018zuf0\u2019 was not declared in this scope") == []
