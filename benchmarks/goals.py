"""How a benchmark reports its goals to ``make bench``'s summary table.

A bench script calls :func:`report` once per goal it sets::

    from benchmarks.goals import report
    report("headless start vs aider", goal="< 1.0x", measured="2.10 s", ratio=0.82, ok=True)

The line is printed, and, when the script runs under ``python -m benchmarks``, also
appended (one JSON object per line) to the file named by ``COCKPIT_BENCH_RESULTS``;
``benchmarks/__main__.py`` reads that file back and prints one table. A script
that reports nothing still gets a row (its exit code); a script that exits
non-zero counts as a miss.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

RESULTS_ENV = "COCKPIT_BENCH_RESULTS"


@dataclasses.dataclass(frozen=True)
class GoalResult:
    module: str
    name: str
    goal: str  # what is aimed at, e.g. "< 100 ms" or "<= 1.5x bare Textual"
    measured: str  # the figure, with its unit; "—" when it could not be measured
    ratio: float | None  # measured / goal-or-baseline, when there is one
    ok: bool | None  # None: not measured (a missing optional baseline), not a miss


def report(name: str, *, goal: str, measured: str, ok: bool | None, ratio: float | None = None, module: str = "") -> GoalResult:
    """Print one goal's line and hand it to the summary table."""
    import __main__

    module = module or Path(getattr(__main__, "__file__", "bench")).stem
    result = GoalResult(module, name, goal, measured, ratio, ok)
    verdict = {True: "OK", False: "MISSED", None: "not measured"}[ok]
    print(f"goal: {name}: {measured} (goal {goal}{f', ratio {ratio:.2f}' if ratio is not None else ''}) {verdict}", flush=True)
    target = os.environ.get(RESULTS_ENV)
    if target:
        with open(target, "a", encoding="utf-8") as out:
            out.write(json.dumps(dataclasses.asdict(result)) + "\n")
    return result


def read(path: Path) -> list[GoalResult]:
    if not path.exists():
        return []
    return [GoalResult(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
