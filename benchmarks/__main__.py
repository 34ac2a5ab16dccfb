"""``make bench``: run every benchmark script in this folder, then one summary table.

Each script measures its own baseline in the same run and prints ratios, so
results are comparable on a shared, noisy machine. Scripts report their goals
through ``benchmarks.goals.report`` (see there); the table has one row per goal
(goal, measured, ratio, ok) and one per script that reported none. The exit code
is 1 when a goal was missed or a script failed. ``python -m benchmarks NAME``
runs only the scripts whose name contains NAME.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.goals import RESULTS_ENV, GoalResult, read

HERE = Path(__file__).parent


def table(results: list[GoalResult]) -> str:
    rows = [("module", "goal", "target", "measured", "ratio", "ok")]
    for r in results:
        ok = {True: "ok", False: "MISSED", None: "—"}[r.ok]
        rows.append((r.module, r.name, r.goal, r.measured, "—" if r.ratio is None else f"{r.ratio:.2f}", ok))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> int:
    wanted = sys.argv[1:]
    scripts = sorted(p for p in HERE.glob("bench_*.py") if not wanted or any(w in p.stem for w in wanted))
    results: list[GoalResult] = []
    failed = False
    with tempfile.TemporaryDirectory(prefix="cockpit-bench-") as tmp:
        for script in scripts:
            print(f"\n=== {script.stem} ===", flush=True)
            out = Path(tmp) / f"{script.stem}.jsonl"
            code = subprocess.call([sys.executable, str(script)], cwd=HERE.parent, env={**os.environ, RESULTS_ENV: str(out)})
            reported = read(out)
            results += reported
            if code and not any(r.ok is False for r in reported):
                results.append(GoalResult(script.stem, "exit code", "0", str(code), None, False))
            elif not reported:
                results.append(GoalResult(script.stem, "exit code (no goals reported)", "0", str(code), None, code == 0))
            failed = failed or code != 0
    print("\n=== summary ===")
    print(table(results))
    missed = [r for r in results if r.ok is False]
    if missed or failed:
        print(f"\n{len(missed)} goal(s) missed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
