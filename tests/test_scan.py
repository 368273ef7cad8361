"""`python -m analyzer scan`: linter output, exit codes, and one-line refusals of bad input."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import AFFECTED, FIXED, FIXED_MODEL, kernels


def test_affected_kernels_exit_1_with_compiler_style_lines(cli):
    path = kernels(AFFECTED)[0]
    result = cli("scan", str(path))
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    for line in lines:
        file, lineno, col, kind, _ = line.split(":", 4)
        assert file == str(path) and int(lineno) > 0 and int(col) > 0
        assert kind.strip() == "forward-reference"


def test_json_output_is_machine_readable(cli):
    result = cli("scan", "--json", str(kernels(AFFECTED)[0]))
    data = json.loads(result.stdout)["findings"]
    assert {d["kind"] for d in data} == {"forward-reference"}
    assert all({"file", "line", "col", "identifier", "kind", "message"} <= d.keys() for d in data)


def test_json_findings_name_the_known_upstream_issue_of_their_release(cli):
    """--torch names the release the kernels came from; each finding gets the known issues it
    matches there, and the JSON says which version they were matched against."""
    result = cli("scan", "--json", "--torch", "2.8.0+cu128", str(kernels(AFFECTED)[0]))
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    assert data["torch"] == {"version": "2.8.0+cu128", "source": "--torch"}
    assert data["findings"]
    for finding in data["findings"]:
        assert [(k["project"], k["number"], k["type"]) for k in finding["known"]] == [
            ("pytorch", 178244, "issue"), ("pytorch", 187335, "issue"), ("transformers", 44458, "issue"),
        ]
        first = finding["known"][0]
        assert first["fixed_in"] == {"project": "pytorch", "release": "2.13.0", "pr": 180212}
        assert first["title"].startswith("[CPU] `torch.compile` inductor C++ codegen fails")
        assert {k["torch"] for k in finding["known"]} == {"2.8.0+cu128"}


def test_json_check_after_load_on_2_13_is_the_unreported_side_effect(cli):
    result = cli("scan", "--json", "--torch", "2.13.0+cpu", *map(str, kernels(FIXED)))
    data = json.loads(result.stdout)
    late = [f for f in data["findings"] if f["kind"] == "check-after-load"]
    assert late and len(late) == len(data["findings"])
    for finding in late:
        (side,) = finding["known"]
        assert side["number"] is None and side["type"] == "unreported" and side["fixed_in"] is None
        assert "180212" in side["title"]


def test_json_a_lost_definition_on_a_fixed_release_is_no_known_issue(cli):
    data = json.loads(cli("scan", "--json", "--torch", "2.14.1", str(kernels(AFFECTED)[0])).stdout)
    assert data["findings"] and all(f["known"] == [] for f in data["findings"])


def test_json_matches_against_the_installed_torch_without_importing_it(cli):
    from importlib.metadata import version

    data = json.loads(cli("scan", "--json", str(kernels(AFFECTED)[0])).stdout)
    assert data["torch"] == {"version": version("torch"), "source": "installed"}
    assert all(isinstance(f["known"], list) for f in data["findings"])
    text = cli("scan", "--torch", "2.8.0", str(kernels(AFFECTED)[0]))
    plain = cli("scan", str(kernels(AFFECTED)[0]))
    assert text.returncode == 1 and (text.stdout, text.stderr) == (plain.stdout, "")  # the linter lines stay as they are


def test_a_torch_option_without_a_release_is_refused(cli):
    result = cli("scan", "--json", "--torch", "main", str(kernels(AFFECTED)[0]))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "--torch" in result.stderr and "main" in result.stderr


def test_static_tiny_model_compiles_scan_clean(cli, tmp_path):
    """The first two compiles of the model (static shapes) prove every index in range: no checks, no findings."""
    static = [p for p in kernels(FIXED_MODEL) if p.name.startswith(("0-0-", "0-1-"))]
    assert len(static) > 10
    for p in static:
        (tmp_path / p.name).write_text(p.read_text())
    result = cli("scan", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "" and result.stderr == ""


def test_output_code_py_lines_point_into_the_python_file(cli, tmp_path):
    src = kernels(AFFECTED)[0].read_text()
    wrapper = (
        "# AOT ID: ['0_inference']\nfrom torch._inductor.async_compile import AsyncCompile\nasync_compile = AsyncCompile()\n\n"
        f"cpp_fused_0 = async_compile.cpp_pybinding(['const bool*', 'bool*'], '''\n{src}''')\n"
    )
    out = tmp_path / "output_code.py"
    out.write_text(wrapper)
    result = cli("scan", "--json", str(out))
    assert result.returncode == 1
    py_lines = wrapper.splitlines()
    for finding in json.loads(result.stdout)["findings"]:
        assert finding["identifier"] in py_lines[finding["line"] - 1]
        assert "TORCH_CHECK" in py_lines[finding["line"] - 1]


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("empty.cpp", b"", "empty file"),
        ("blank.cpp", b"  \n\n", "empty file"),
        ("blob.cpp", b"\x7fELF\x00\x01\x02", "binary file"),
        ("latin.cpp", "int f() { return 0; } // caf\xe9".encode("latin-1"), "binary file"),
        ("script.cpp", b"def f():\n    return 1\n", "syntax error"),
        ("decl.cpp", b"int x = 1;\n", "no C++ function definition"),
        ("other.cpp", b"int add(int a, int b) { return a + b; }\n", "not an Inductor kernel"),
        ("notes.txt", b"hello\n", "not a C++ file"),
        ("wrapper.py", b"print('no kernels here')\n", "no C++ kernels"),
    ],
)
def test_bad_input_is_refused_in_one_line_with_exit_2(cli, tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    result = cli("scan", str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and reason in result.stderr and name in result.stderr


def test_truncated_kernel_is_refused(cli, tmp_path):
    text = kernels(AFFECTED)[0].read_text()
    path = tmp_path / "cut.cpp"
    path.write_text(text[: len(text) * 2 // 3])
    result = cli("scan", str(path))
    assert result.returncode == 2 and "syntax error" in result.stderr


def test_missing_path_and_empty_directory(cli, tmp_path):
    missing = cli("scan", str(tmp_path / "nope.cpp"))
    assert missing.returncode == 2 and "no such file" in missing.stderr
    empty = cli("scan", str(tmp_path))
    assert empty.returncode == 2 and "no C++ kernels" in empty.stderr
    none = cli("scan")
    assert none.returncode == 2 and "no paths" in none.stderr


def test_workers_find_what_one_process_finds_in_the_same_order(tmp_path):
    from analyzer.analysis import scan

    for i, path in enumerate(kernels(AFFECTED) + kernels(FIXED_MODEL)):
        (tmp_path / f"{i:03d}.cpp").write_text(path.read_text())
    one = scan.scan([str(tmp_path)], jobs=1)
    two = scan.scan([str(tmp_path)], jobs=2)
    assert [f.to_dict() for f in two] == [f.to_dict() for f in one]
    assert {f.kind for f in one} == {"forward-reference", "check-after-load"}
    (tmp_path / "005.cpp").write_text("int broken( {\n")
    (tmp_path / "009.cpp").write_text("int other() { return 0; }\n")
    for jobs in (1, 2):
        with pytest.raises(scan.BadInput, match=r"005\.cpp: unparseable C\+\+"):
            scan.scan([str(tmp_path)], jobs=jobs)


def test_workers_started_afresh_find_what_forked_workers_find(tmp_path):
    """With a thread running, workers cannot be forked and are sent the kernel texts instead."""
    import threading

    from analyzer.analysis import scan

    for i, path in enumerate(kernels(AFFECTED)):
        (tmp_path / f"{i:03d}.cpp").write_text(path.read_text())
    forked = scan.scan([str(tmp_path)], jobs=2)
    release = threading.Event()
    waiter = threading.Thread(target=release.wait)
    waiter.start()
    try:
        spawned = scan.scan([str(tmp_path)], jobs=2)
    finally:
        release.set()
        waiter.join()
    assert forked and [f.to_dict() for f in spawned] == [f.to_dict() for f in forked]


CACHES = sorted(p for p in (Path(__file__).parent / "data" / "cache").glob("*/*") if (p / "capture.json").is_file())
AFFECTED_TORCH = ((2, 8), (2, 12))  # the releases whose check_bounds loses its variable


def _torch(cache: Path) -> tuple[int, int]:
    major, minor = json.loads((cache / "capture.json").read_text())["versions"]["torch"].split(".")[:2]
    return int(major), int(minor)


def test_cache_folders_were_captured_for_each_shape():
    """Real cache folders (nox -s cache_fixtures): an affected and a fixed release, and one with cpp_wrapper on."""
    assert any(AFFECTED_TORCH[0] <= _torch(c) <= AFFECTED_TORCH[1] for c in CACHES)
    assert any(_torch(c) >= (2, 13) for c in CACHES)
    assert any(json.loads((c / "capture.json").read_text())["cpp_wrapper"] for c in CACHES)


@pytest.mark.parametrize("cache", CACHES, ids=[f"{c.parent.name}-{c.name}" for c in CACHES])
def test_a_real_inductor_cache_folder_is_scanned_and_its_probes_skipped(cli, cache):
    """What Inductor writes beside its kernels (vector-ISA probes) is skipped and counted, in the
    summary line and in --json; the kernels are analysed with the findings of their release."""
    folder = cache / "cache"
    probes = sorted(str(p) for p in folder.rglob("*.cpp") if "_chk_kernel" in p.read_text())
    assert probes, "a cache folder holds Inductor's ISA probes"
    result = cli("scan", "--json", str(folder))
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    assert data["schema_version"] == 1 and data["kernels"] >= 1
    assert data["torch"]["source"] == "installed" and all("known" in f for f in data["findings"])
    assert sorted(s["file"] for s in data["skipped"]) == probes
    assert {s["reason"] for s in data["skipped"]} == {"Inductor's vector-ISA probe (a __<isa>_chk_kernel function), not a kernel"}
    kinds = {f["kind"] for f in data["findings"]}
    if AFFECTED_TORCH[0] <= _torch(cache) <= AFFECTED_TORCH[1]:
        assert "forward-reference" in kinds
    else:
        assert kinds == {"check-after-load"}
    text = cli("scan", str(folder))
    assert text.returncode == 1 and text.stdout.splitlines() == [
        f"{f['file']}:{f['line']}:{f['col']}: {f['kind']}: {f['message']}" for f in data["findings"]
    ]
    assert text.stderr == f"analyzer: scanned {data['kernels']} kernel{'s' if data['kernels'] != 1 else ''}; skipped {len(probes)} files that are not kernels: {len(probes)} vector-ISA probes\n"


def test_a_named_isa_probe_is_still_refused(cli):
    probe = next(p for p in CACHES[0].rglob("*.cpp") if "_chk_kernel" in p.read_text())
    result = cli("scan", str(probe))
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "vector-ISA probe" in result.stderr


def test_a_folder_of_probes_only_is_bad_input(cli, tmp_path):
    for i, probe in enumerate(p for p in CACHES[0].rglob("*.cpp") if "_chk_kernel" in p.read_text()):
        (tmp_path / f"{i}.cpp").write_text(probe.read_text())
    result = cli("scan", str(tmp_path))
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "no Inductor kernels" in result.stderr
