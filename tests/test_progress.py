"""Progress: a line per step with the elapsed time where output is a log, a heartbeat while a step
runs long, nothing when quiet, and the CLI's --quiet."""
from __future__ import annotations

import io
import re
import time

from analyzer.progress import Progress

LINE = re.compile(r"^analyze: \[\s*\d+\.\ds\] ")


def test_a_log_gets_one_line_per_step_with_the_elapsed_time():
    out = io.StringIO()
    with Progress("analyze", stream=out, terminal=False, heartbeat_s=60) as progress:
        progress("capturing x [a] in a fresh process (1/2)")
        progress("capturing x [b] in a fresh process (2/2)")
        progress.note("pictures: something to read")
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and all(LINE.match(line) for line in lines)
    assert [LINE.sub("", line) for line in lines] == [
        "capturing x [a] in a fresh process (1/2)", "capturing x [b] in a fresh process (2/2)", "pictures: something to read",
    ]


def test_a_long_step_is_heard_from_at_every_heartbeat():
    out = io.StringIO()
    with Progress("analyze", stream=out, terminal=False, heartbeat_s=0.2) as progress:
        progress("minimizing")
        deadline = time.monotonic() + 10
        while out.getvalue().count("still minimizing") < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    lines = out.getvalue().splitlines()
    assert lines[0].endswith("] minimizing")
    beats = [line for line in lines[1:] if "still minimizing" in line]
    assert len(beats) >= 2 and all(re.search(r"\(\d+s in this step\)$", b) for b in beats)


def test_quiet_says_nothing():
    out = io.StringIO()
    with Progress("analyze", stream=out, terminal=False, quiet=True, heartbeat_s=0.05) as progress:
        progress("capturing")
        progress.note("pictures: skipped")
        time.sleep(0.2)
    assert out.getvalue() == ""


def test_analyze_quiet_prints_no_progress(cli, tmp_path):
    """--quiet is accepted by the commands that report progress; a refused run prints its one line only."""
    for command in (["analyze", "--scenario", "nope"], ["verify", "--config", "nope"]):
        result = cli(*command, "--quiet", "--reports", str(tmp_path))
        assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
