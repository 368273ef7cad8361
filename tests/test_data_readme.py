"""tests/data/README.md lists every fixture with the command and versions its capture.json records."""
from __future__ import annotations

from data_readme import DATA, fixtures, versions


def test_every_fixture_is_listed_with_its_command_and_versions():
    readme = (DATA / "README.md").read_text()
    rows = {line.split("|")[1].strip().strip("`"): line for line in readme.splitlines() if line.startswith("| `")}
    assert sorted(rows) == sorted(folder for folder, _ in fixtures())
    for folder, record in fixtures():
        assert f"`{record['command']}`" in rows[folder] and versions(record) in rows[folder]
        assert "not committed yet" not in rows[folder]
