"""Pictures: the def-use slice marks the lost definition, the trace has one rank per layer, renders are
valid, byte-for-byte repeatable, atomic, and a missing `dot` is a one-line error with the sources kept."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import AFFECTED, FIXED

from analyzer import analyze, artifacts
from analyzer.report import draw

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed (apt-get install graphviz)")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def make_run(bundle: Path, root: Path) -> Path:
    """A run folder as `analyze` writes it, from a committed bundle: the variant's kernels and findings.json."""
    run = root / "run"
    shutil.copytree(bundle, run / bundle.name)
    artifacts.write_findings(run, analyze.analyze_bundle(run / bundle.name, run))
    return run


def node_attrs(dot: str, name: str) -> str:
    """The attribute text of one node statement in DOT source."""
    match = re.search(rf"^\s*{re.escape(name)} \[(.*)\]$", dot, re.MULTILINE)
    assert match, f"no node {name} in the DOT source"
    return match.group(1)


def edge_attrs(dot: str, a: str, b: str) -> list[str]:
    return re.findall(rf"^\s*{re.escape(a)} -> {re.escape(b)} \[(.*)\]$", dot, re.MULTILINE)


@pytest.fixture
def affected_run(tmp_path: Path) -> Path:
    return make_run(AFFECTED, tmp_path / "affected")


@pytest.fixture
def fixed_run(tmp_path: Path) -> Path:
    return make_run(FIXED, tmp_path / "fixed")


def test_defuse_marks_the_lost_declaration_and_the_check(affected_run):
    findings = artifacts.read_findings(affected_run)
    for f in draw.representatives(findings):
        assert f["kind"] == "forward-reference"
        source = (affected_run / f["file"]).read_text()
        dot = draw.defuse_graph(source, f).source
        check, decl = f"L{f['line']}", f"L{f['related_line']}"
        check_attrs = node_attrs(dot, check)
        assert "TORCH_CHECK" in check_attrs and f"{f['identifier']} &lt;" in check_attrs
        assert f'color="{draw.RED}"' in check_attrs
        decl_attrs = node_attrs(dot, decl)
        assert f"auto {f['identifier']} = " in decl_attrs
        assert f"the declaration of {f['identifier']}, after its use" in decl_attrs
        # the use-before-declaration edge: from the late declaration up to the check, in red
        lost = edge_attrs(dot, decl, check)
        assert len(lost) == 1 and f'color="{draw.RED}"' in lost[0]
        # the check sits above its declaration: program order is kept
        assert f["line"] < f["related_line"]
        cluster = "vectorized body" if f["scope"] == "vectorized body" else "tail loop"
        # the check is drawn inside its scope's cluster
        assert re.search(rf'subgraph cluster_\d+ {{\n[^\n]*label="{cluster}[^\n]*\n(\s*L\d+ \[[^\n]*\n)*?\s*{check} \[', dot), cluster
        # only the slice: far fewer statements than the kernel has
        assert len(re.findall(r"^\s*L\d+ \[", dot, re.MULTILINE)) <= 10 < len(source.splitlines())


def test_defuse_slice_holds_the_load_the_check_guards(affected_run):
    f = artifacts.read_findings(affected_run)[0]
    sl = draw.defuse_slice((affected_run / f["file"]).read_text(), f)
    roles = {line: n["role"] for line, n in sl["nodes"].items()}
    loads = [line for line, role in roles.items() if role == "load"]
    assert len(loads) == 1 and "in_ptr0" in sl["nodes"][loads[0]]["text"]
    assert (f["line"], loads[0], "guards", "guards") in sl["edges"]
    assert list(sl["nodes"]) == sorted(sl["nodes"])  # program order


def test_defuse_on_fixed_torch_marks_the_load_before_its_check(fixed_run):
    findings = artifacts.read_findings(fixed_run)
    assert findings and {f["kind"] for f in findings} == {"check-after-load"}
    f = findings[0]
    dot = draw.defuse_graph((fixed_run / f["file"]).read_text(), f).source
    load, check = f"L{f['related_line']}", f"L{f['line']}"
    load_attrs = node_attrs(dot, load)
    assert "runs before the check that guards it" in load_attrs and f'color="{draw.RED}"' in load_attrs
    assert "in_ptr" in load_attrs
    late = edge_attrs(dot, check, load)
    assert len(late) == 1 and f'color="{draw.RED}"' in late[0]
    assert f["related_line"] < f["line"]


def test_trace_has_one_node_per_layer_in_order(affected_run):
    f = artifacts.read_findings(affected_run)[0]
    dot = draw.trace_graph(f).source
    headers = [node_attrs(dot, f"s{i}") for i in range(len(f["trace"]))]
    titles = ["source line", "Dynamo graph node", "post-grad graph node", "loop-body op", "loop-body op", "C++ kernel line"]
    for attrs, title in zip(headers, titles):
        assert title in attrs
    assert "padding_mask[batch_idx, kv_idx]" in headers[0]
    assert "aten.index" in headers[2]
    assert "ops.load" in headers[3] and "ops.check_bounds" in headers[4]
    assert "TORCH_CHECK" in headers[5] and f'color="{draw.RED}"' in headers[5]
    for i in range(len(headers) - 1):
        assert edge_attrs(dot, f"s{i}", f"s{i + 1}"), f"no edge s{i} -> s{i + 1}"
    # the two loop-body ops share a rank; every other layer has its own
    assert re.search(r"\{\n\s*rank=same\n\s*s3\n\s*s4\n\s*\}", dot)
    assert dot.count("rank=same") == 1


def test_trace_that_stops_early_says_why(affected_run):
    f = artifacts.read_findings(affected_run)[0]
    f = dict(f, trace=f["trace"][:2], unresolved="trace stops at the loop-body layer: no further node in the captured graphs")
    dot = draw.trace_graph(f).source
    assert "unresolved" in node_attrs(dot, "unresolved") and "loop-body layer" in dot
    assert edge_attrs(dot, "unresolved", "s0")


@needs_dot
def test_draw_run_writes_valid_svg_and_png(affected_run):
    written = draw.draw_run(affected_run)
    # two findings per kernel file, three compiles: one picture pair per scope kind
    assert len(written) == 2 * 2 * 3
    assert all(p.parent == affected_run / "pictures" and p.is_file() for p in written)
    for p in written:
        data = p.read_bytes()
        assert str(affected_run.parent.parent) not in data.decode("utf-8", "replace")
        if p.suffix == ".png":
            assert data.startswith(PNG_MAGIC) and len(data) > 5000
        elif p.suffix == ".svg":
            root = ET.fromstring(data)
            assert root.tag == "{http://www.w3.org/2000/svg}svg"
            texts = "".join(root.itertext())
            assert ("TORCH_CHECK" in texts) if p.name.startswith("defuse-") else ("padding_mask" in texts)
    listed = draw.pictures_for(affected_run)
    assert len(listed) == 2
    for key, entry in listed.items():
        assert key == f"{entry['finding']['file']}:{entry['finding']['line']}"
        for kind in ("defuse", "trace"):
            assert set(entry[kind]) == {"dot", "svg", "png"}
            assert all((affected_run / rel).is_file() for rel in entry[kind].values())
            assert entry[kind]["png"] == f"pictures/{kind}-{draw.picture_stem(entry['finding'])}.png"
    assert not [p for p in affected_run.iterdir() if p.name.startswith(".")]


@needs_dot
def test_two_renders_are_byte_identical(tmp_path):
    runs = [make_run(AFFECTED, tmp_path / name) for name in ("one", "two")]
    outputs = []
    for run in runs:
        draw.draw_run(run)
        outputs.append({p.name: p.read_bytes() for p in sorted((run / "pictures").iterdir())})
    assert outputs[0] and outputs[0] == outputs[1]
    # and again in place: same names, same bytes
    draw.draw_run(runs[0])
    assert {p.name: p.read_bytes() for p in sorted((runs[0] / "pictures").iterdir())} == outputs[0]


@needs_dot
def test_failed_render_leaves_the_previous_pictures(affected_run, monkeypatch):
    draw.draw_run(affected_run)
    before = {p.name: p.read_bytes() for p in (affected_run / "pictures").iterdir()}
    calls = []

    def failing(graph, fmt):
        calls.append(fmt)
        if len(calls) > 3:
            raise draw.DrawError("dot failed: simulated")
        return b"partial"

    monkeypatch.setattr(draw, "render", failing)
    with pytest.raises(draw.DrawError):
        draw.draw_run(affected_run)
    assert {p.name: p.read_bytes() for p in (affected_run / "pictures").iterdir()} == before
    assert not [p for p in affected_run.iterdir() if p.name.startswith(".")]


def test_missing_dot_writes_the_sources_and_fails_clearly(affected_run, tmp_path, monkeypatch):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(draw.MissingGraphviz, match=r"'dot' executable was not found.*apt-get install graphviz"):
        draw.draw_run(affected_run)
    pictures = sorted(p.name for p in (affected_run / "pictures").iterdir())
    assert pictures and all(name.endswith(".dot") for name in pictures)
    assert not [p for p in affected_run.iterdir() if p.name.startswith(".")]


def test_cli_missing_dot_exits_2_with_one_line(affected_run, tmp_path):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    env = dict(os.environ, PATH=str(empty))
    proc = subprocess.run([sys.executable, "-m", "analyzer", "draw", str(affected_run)], capture_output=True, text=True, env=env)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "dot" in lines[0] and "graphviz" in lines[0].lower()
    assert list((affected_run / "pictures").glob("*.dot"))


def test_cli_refuses_a_folder_without_findings(tmp_path, cli):
    proc = cli("draw", str(tmp_path))
    assert proc.returncode == 2
    assert "no findings.json" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_missing_kernel_is_bad_input(affected_run):
    findings = artifacts.read_findings(affected_run)
    (affected_run / findings[0]["file"]).unlink()
    with pytest.raises(draw.DrawError, match="is missing"):
        draw.draw_run(affected_run)


def test_without_dot_a_rerun_keeps_the_pictures_whose_sources_are_unchanged(affected_run, tmp_path, monkeypatch):
    """A rerun on a machine without Graphviz: the .dot sources are written again, a rendered picture of
    the previous run is kept only where its source is byte for byte the same (else it would show
    another graph), and one line says what was kept and what is missing."""
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs"))
    previous = tmp_path / "previous"
    shutil.copytree(affected_run, previous)
    first = draw.draw_or_keep(previous, tmp_path / "never-ran")
    sources = sorted(previous.joinpath("pictures").glob("*.dot"))
    assert len(sources) >= 2
    assert first == (
        f"pictures: Graphviz's dot is not on PATH: wrote {len(sources)} .dot sources and kept 0 rendered pictures of the "
        f"previous run whose sources are unchanged; {len(sources)} changed or new sources have no picture; "
        f"{draw.INSTALL_HINT}, then run `python -m analyzer draw {tmp_path / 'never-ran'}`"
    )
    for source in sources:  # the previous run's renders, as a machine with dot left them
        for fmt in draw.FORMATS:
            source.with_suffix(f".{fmt}").write_bytes(f"{fmt} of {source.name}".encode())
    changed = sources[0]
    changed.write_text(changed.read_text() + "// another graph\n")

    notice = draw.draw_or_keep(affected_run, previous)
    kept = sorted(p.name for p in (affected_run / "pictures").iterdir() if p.suffix != ".dot")
    expected = sorted(s.with_suffix(f".{fmt}").name for s in sources[1:] for fmt in draw.FORMATS)
    assert kept == expected
    for name in kept:
        assert (affected_run / "pictures" / name).read_bytes() == (previous / "pictures" / name).read_bytes()
    assert f"kept {len(expected)} rendered pictures" in notice and "; 1 changed or new source has no picture;" in notice
    assert sorted(p.name for p in (affected_run / "pictures").glob("*.dot")) == [s.name for s in sources]
