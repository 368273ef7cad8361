"""The benchmarks' own plumbing: their entries merge into bench.json beside the others, and the knobs
they turn (corpus size, the tiny model's layer count) do what they say. No timing is asserted here."""
from __future__ import annotations

import pytest
from conftest import AFFECTED, kernels

from analyzer import bench, files
from analyzer.capture import scenarios


def test_corpus_is_copies_of_every_kernel_up_to_the_size_asked(tmp_path):
    sources = bench.captured_kernels([AFFECTED])
    assert sources == kernels(AFFECTED)
    size = sum(p.stat().st_size for p in sources)
    count, total = bench.build_corpus(tmp_path / "corpus", sources, 3 * size - 1)
    assert (count, total) == (3 * len(sources), 3 * size)
    assert len(list((tmp_path / "corpus").rglob("*.cpp"))) == count


def test_scan_bench_adds_its_entry_and_keeps_the_others(tmp_path):
    out = tmp_path / "bench.json"
    files.write_json(out, {"minifier": {"ours": {"ops": 5}}, "mask_kernel": {"figures": {}}})
    entry = bench.run_scan_bench(out, [AFFECTED], target_mb=0.05, rounds=1)
    data = files.read_json(out)
    assert data["minifier"] == {"ours": {"ops": 5}} and data["mask_kernel"] == {"figures": {}}
    assert data["scan"] == entry and data["machine"]["torch"] and data["machine"]["cpus"]
    assert entry["corpus"]["copied_from"] == len(kernels(AFFECTED)) and entry["corpus"]["mb"] >= 0.05
    # every copy of the affected kernel has its two lost definitions, whichever way it is scanned
    assert entry["one_process"]["findings"] == entry["worker_per_cpu"]["findings"] == 2 * entry["corpus"]["files"]
    assert entry["startup_seconds"] > 0 and set(entry["versions"]) == {"tree-sitter", "tree-sitter-cpp"}


def test_tiny_model_layer_count_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv(scenarios.TINY_LAYERS_ENV, raising=False)
    assert scenarios.tiny_layers() is None
    assert scenarios._tiny_model("llama").config.num_hidden_layers == 2
    monkeypatch.setenv(scenarios.TINY_LAYERS_ENV, "3")
    assert scenarios._tiny_model("llama").config.num_hidden_layers == 3
    monkeypatch.setenv(scenarios.TINY_LAYERS_ENV, "many")
    with pytest.raises(ValueError, match="not a layer count"):
        scenarios.tiny_layers()


def test_builder_bench_entry_carries_its_own_versions_and_keeps_the_others(tmp_path, monkeypatch):
    """`bench builder` runs on another environment than the other entries (the newest transformers):
    its entry names its machine and series, and the file's top-level `machine` is left as it was."""
    out = tmp_path / "bench.json"
    files.write_json(out, {"machine": {"torch": "2.8.0"}, "scan": {"mb": 1}})
    figures = {"eager transformers, broadcast, decode b8 q1 kv8192": {"unpatched_s": 2.0, "patched_s": 1.0, "ratio": 0.5, "same_result": True}}
    monkeypatch.setattr(bench, "builder_figures", lambda: (figures, "5.20-5.25"))
    entry = bench.run_builder_bench(out)
    data = files.read_json(out)
    assert data["machine"] == {"torch": "2.8.0"} and data["scan"] == {"mb": 1}
    assert data["mask_builder"] == entry and entry["series"] == "5.20-5.25" and entry["figures"] == figures
    assert entry["machine"]["transformers"] and entry["machine"]["torch"]
