"""Benchmark: the @mention file index on a 50,000-file workspace.

Made in a temporary folder: 50,000 empty files in 4,000 folders, with a ``.gitignore``.

* Listing: ``git ls-files`` (as a repository) and the ``.gitignore``-honouring walk
  (without git), each against a bare ``os.walk`` of the same tree in the same run.
* Search: queries of 1 to 20 characters against a baseline that does the least any
  search must -- one ``query in path.lower()`` per path, in Python. The median query
  must stay within ``QUERY_RATIO`` of it and under ``QUERY_MS`` (the popup redraws per
  key), the slowest within ``SLOWEST_RATIO``.

Run: ``python benchmarks/bench_mentions.py`` (exit code 1 when a limit is exceeded).
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.goals import GoalResult, report  # noqa: E402
from app.agent.workspace_files import FileIndex, list_workspace  # noqa: E402

FILES = 50_000
FOLDERS = 4_000
QUERIES = ["a", "ap", "lo", "wsf", "mention", "bdgt/cnt", "core/s", "test_loop", "zzq", "workspace_files.py",
           "app/agent/loop", "srvclnt", "index_render_parser"]
REPEATS = 7
QUERY_RATIO = 3.0  # median query / one substring test per path
QUERY_MS = 20.0
SLOWEST_RATIO = 4.0  # the slowest query (a long one that matches no name: the whole path list is read)
LIST_RATIO = 4.0  # git ls-files or the walk / a bare os.walk
WORDS = ("app agent tui widgets core budget counter loop session tools bash files mentions workspace test util "
         "config model events store db main index render parser lexer http server client").split()


def make_tree(root: Path) -> list[str]:
    rng = random.Random(15)
    folders: set[str] = set()
    while len(folders) < FOLDERS:
        depth = rng.randint(1, 4)
        folders.add("/".join("_".join(rng.sample(WORDS, rng.randint(1, 2))) for _ in range(depth)))
    ordered = sorted(folders)
    files: set[str] = set()
    while len(files) < FILES:
        name = "_".join(rng.sample(WORDS, rng.randint(1, 3))) + rng.choice([".py", ".md", ".ts", ".json"])
        files.add(f"{rng.choice(ordered)}/{name}")
    for folder in ordered:
        (root / folder).mkdir(parents=True, exist_ok=True)
    for path in files:
        (root / path).touch()
    (root / "node_modules" / "pkg").mkdir(parents=True)
    (root / "node_modules" / "pkg" / "index.js").touch()
    (root / ".gitignore").write_text("node_modules/\n*.log\n")
    return sorted(files)


def timed(fn, repeats: int = REPEATS) -> float:
    """Median seconds of ``fn()``."""
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def bare_walk(root: Path) -> list[str]:
    return [os.path.join(folder, name) for folder, _, names in os.walk(root) for name in names]


def at_most(name: str, value: float, limit: float, note: str = "", unit: str = "x") -> GoalResult:
    """One limit as a goal of the summary table (``unit`` "x": a ratio to a baseline of the same run)."""
    shown = f"{value:.1f}{unit}" if unit != "x" else f"{value:.2f}x"
    return report(name, goal=f"<= {limit:g}{unit}", measured=shown + note, ratio=value / limit, ok=value <= limit)


def main() -> int:
    goals: list[GoalResult] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        files = make_tree(root)
        print(f"tree: {len(files):,} files made in {time.perf_counter() - started:.1f} s")
        walk_s = timed(lambda: bare_walk(root), 3)
        plain_s = timed(lambda: list_workspace(root), 3)
        listed, source = list_workspace(root)
        assert source == "walk" and len(listed) == len(files) + 1, (source, len(listed))  # + .gitignore
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        git_s = timed(lambda: list_workspace(root), 3)
        listed, source = list_workspace(root)
        assert source == "git" and len(listed) == len(files) + 1, (source, len(listed))
        print(f"bare os.walk {walk_s * 1000:.0f} ms · git ls-files {git_s * 1000:.0f} ms "
              f"({git_s / walk_s:.2f}x) · walk with .gitignore {plain_s * 1000:.0f} ms ({plain_s / walk_s:.2f}x)")
        for label, seconds in (("git ls-files", git_s), ("walk with .gitignore", plain_s)):
            goals.append(at_most(f"@mention listing, {label} vs a bare os.walk", seconds / walk_s, LIST_RATIO,
                                 f" ({seconds * 1000:.0f} ms)"))

    index = FileIndex(root=Path("."), files=tuple(files))
    started = time.perf_counter()
    index.search("warm-up")
    print(f"index of {len(index.entries):,} entries prepared in {(time.perf_counter() - started) * 1000:.0f} ms")
    paths = list(index.entries)
    baseline_s = statistics.median(timed(lambda q=q: [p for p in paths if q in p.lower()]) for q in QUERIES)
    per_query = {q: timed(lambda q=q: index.search(q, 50)) for q in QUERIES}
    median_s = statistics.median(per_query.values())
    slowest = max(per_query, key=lambda q: per_query[q])
    print(f"baseline (one substring test per path) {baseline_s * 1000:.2f} ms")
    for q, seconds in per_query.items():
        print(f"  {q!r:24} {seconds * 1000:6.2f} ms  {seconds / baseline_s:5.2f}x")
    print(f"median query {median_s * 1000:.2f} ms ({median_s / baseline_s:.2f}x the baseline, limit {QUERY_RATIO}x); "
          f"slowest {slowest!r} {per_query[slowest] * 1000:.2f} ms")
    goals += [
        at_most("@mention median query vs one substring test per path", median_s / baseline_s, QUERY_RATIO),
        at_most("@mention median query", median_s * 1000, QUERY_MS, unit=" ms"),
        at_most("@mention slowest query vs the baseline", per_query[slowest] / baseline_s, SLOWEST_RATIO,
                f" ({slowest!r})"),
    ]
    failed = [g for g in goals if not g.ok]
    for goal in failed:
        print(f"FAIL: {goal.name}: {goal.measured} (limit {goal.goal})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
