"""The run artifacts: written with their schema version, read back as written, a newer one refused."""
from __future__ import annotations

import json

import pytest

from analyzer import artifacts


def test_each_artifact_round_trips_with_its_version(tmp_path):
    artifacts.write_summary(tmp_path, {"scenario": "s", "status": "ok"})
    artifacts.write_repro(tmp_path, {"finding": {"kind": "undeclared"}})
    artifacts.write_findings(tmp_path, [{"kind": "undeclared", "line": 3}])
    artifacts.write_capture(tmp_path, {"variant": "v", "calls": [], "compiles": [{"kernels": [{"name": "k", "file": "kernels/k.cpp"}]}]})
    for name in (artifacts.SUMMARY, artifacts.REPRO, artifacts.FINDINGS, artifacts.CAPTURE):
        assert json.loads((tmp_path / name).read_text())["schema_version"] == artifacts.SCHEMA_VERSION
    assert artifacts.read_summary(tmp_path)["status"] == "ok"
    assert artifacts.read_findings(tmp_path) == [{"kind": "undeclared", "line": 3}]
    assert artifacts.read_capture(tmp_path)["compiles"][0]["kernels"][0]["path"] == str(tmp_path / "kernels/k.cpp")


def test_a_file_from_before_the_version_reads_as_version_one(tmp_path):
    (tmp_path / artifacts.FINDINGS).write_text(json.dumps([{"kind": "forward-reference"}]))
    (tmp_path / artifacts.SUMMARY).write_text(json.dumps({"status": "failed"}))
    assert artifacts.read_findings(tmp_path) == [{"kind": "forward-reference"}]
    assert artifacts.read_summary(tmp_path) == {"status": "failed"}


@pytest.mark.parametrize("content", [{"schema_version": artifacts.SCHEMA_VERSION + 1, "status": "ok"}, {"schema_version": "1"}])
def test_a_version_this_analyzer_cannot_read_is_one_line(tmp_path, content):
    (tmp_path / artifacts.SUMMARY).write_text(json.dumps(content))
    with pytest.raises(artifacts.ArtifactError) as info:
        artifacts.read_summary(tmp_path)
    assert "schema_version" in str(info.value) and "\n" not in str(info.value)


def test_missing_and_broken_artifacts_are_named(tmp_path):
    with pytest.raises(artifacts.ArtifactError, match="no such artifact"):
        artifacts.read_repro(tmp_path)
    (tmp_path / artifacts.REPRO).write_text("{not json")
    with pytest.raises(artifacts.ArtifactError, match="not JSON"):
        artifacts.read_repro(tmp_path)
