"""``make bench``'s summary: what bench scripts report through benchmarks.goals reaches one table and the exit code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from benchmarks import __main__ as bench
from benchmarks.goals import RESULTS_ENV, GoalResult, read, report

ROOT = Path(__file__).resolve().parents[1]


def test_a_report_is_printed_and_read_back(tmp_path, monkeypatch, capsys):
    out = tmp_path / "results.jsonl"
    monkeypatch.setenv(RESULTS_ENV, str(out))
    report("lag", goal="< 100 ms", measured="85 ms", ratio=0.85, ok=True, module="bench_x")
    report("vs aider", goal="< 1.0x", measured="2.10 s", ok=None, module="bench_x")
    assert "goal: lag: 85 ms (goal < 100 ms, ratio 0.85) OK" in capsys.readouterr().out
    assert read(out) == [GoalResult("bench_x", "lag", "< 100 ms", "85 ms", 0.85, True),
                         GoalResult("bench_x", "vs aider", "< 1.0x", "2.10 s", None, None)]


def test_the_table_has_a_row_per_goal_with_dashes_for_what_is_not_known():
    lines = bench.table([GoalResult("bench_x", "lag", "< 100 ms", "146 ms", 1.46, False),
                         GoalResult("bench_x", "vs aider", "< 1.0x", "2.10 s", None, None)]).splitlines()
    assert lines[0].split() == ["module", "goal", "target", "measured", "ratio", "ok"]
    assert lines[2].split()[-2:] == ["1.46", "MISSED"]
    assert lines[3].split()[-2:] == ["—", "—"]


def test_a_missed_goal_or_a_failed_script_makes_the_run_fail(tmp_path):
    folder = tmp_path / "benchmarks"
    folder.mkdir()
    (folder / "bench_ok.py").write_text(
        "import sys; sys.path.insert(0, %r)\n"
        "from benchmarks.goals import report\n"
        "report('fast', goal='< 1 s', measured='0.5 s', ratio=0.5, ok=True)\n" % str(ROOT))
    (folder / "bench_quiet.py").write_text("print('nothing to report')\n")
    code = ("import sys, pathlib; from benchmarks import __main__ as m; m.HERE = pathlib.Path(%r); "
            "sys.argv = ['x'] + sys.argv[1:]; sys.exit(m.main())" % str(folder))
    passed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert passed.returncode == 0, passed.stdout
    assert "bench_ok" in passed.stdout and "exit code (no goals reported)" in passed.stdout
    (folder / "bench_bad.py").write_text(
        "import sys; sys.path.insert(0, %r)\n"
        "from benchmarks.goals import report\n"
        "report('slow', goal='< 1 s', measured='3 s', ratio=3.0, ok=False); sys.exit(1)\n" % str(ROOT))
    failed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert failed.returncode == 1
    assert "1 goal(s) missed" in failed.stdout
