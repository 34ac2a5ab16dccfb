"""Importing a large Claude Code transcript: memory, throughput, and how long the write lock is held.

A transcript of ``BENCH_IMPORT_MB`` megabytes (default 500) is generated in a
temporary folder (deleted afterwards): turns of a prompt, an answer with a tool
call, a tool result of a few kilobytes and a final answer, written with the
fields real Claude Code 2.1 records carry (``parentUuid``, ``requestId``,
``gitBranch``, the usage's ``cache_creation`` and ``service_tier``, and on a
tool result's line ``toolUseResult``, Claude Code's own copy of the output, and
``sourceToolAssistantUUID``), as in the real transcripts of ../shared/sessions.
``cockpit import`` runs in a child process (its peak RSS is its own) while this
process keeps trying to take the write lock (``BEGIN IMMEDIATE``) and records the
waits: once as Cockpit's writers take it (``storage.db.begin_immediate``: a try
every 2 ms at most; the goal), once as a plain sqlite3 client does (SQLite's busy
handler, whose sleeps grow to 100 ms, so it mostly wakes up inside the import's
next batch; for reference).

A second, "lean" transcript of ``BENCH_IMPORT_LEAN_MB`` (default a fifth of the
first) has only the fields Cockpit stores: every byte of it is text to store, the
worst case per megabyte. Its throughput is printed for reference (no goal).

Goals (reported to ``make bench``'s summary table): at least 20 MB/s, peak RSS
under 300 MB, and the write lock held for a fraction of a second at a time (the
p99 of the waits under 500 ms). The import's CPU time is printed beside its
wall time: on a shared machine it is the steadier figure. The baseline, measured in the same run, is reading the
file and parsing every line with ``json.loads``: the floor of any importer.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MEGABYTES = int(os.environ.get("BENCH_IMPORT_MB", "500"))
LEAN_MEGABYTES = int(os.environ.get("BENCH_IMPORT_LEAN_MB", str(max(1, MEGABYTES // 5))))
RATE_GOAL_MB_S = 20
RSS_GOAL_MB = 300
LOCK_GOAL_MS = 500  # "a fraction of a second": the p99 of another process's waits for the write lock
WORDS = [f"{stem}{n}" for stem in ("file", "line", "test", "error", "value", "path", "self", "call") for n in range(400)]


def generate(path: Path, megabytes: int, seed: int = 1, *, lean: bool = False) -> int:
    """Write a plausible transcript of about ``megabytes`` MB; returns the number of turns. ``lean``: only
    the fields Cockpit stores (no parent links, request ids, Claude Code's copy of each tool output)."""
    rnd = random.Random(seed)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    usage: dict = {"input_tokens": 2, "cache_creation_input_tokens": 100, "cache_read_input_tokens": 2000, "output_tokens": 40}
    common: dict = {"isSidechain": False, "userType": "external", "cwd": "/src/big", "version": "2.1.17",
                    "sessionId": "5e55e55e-0000-4000-8000-000000000001"}
    if not lean:
        usage = {**usage, "cache_creation": {"ephemeral_5m_input_tokens": 100, "ephemeral_1h_input_tokens": 0},
                 "service_tier": "standard"}
        common = {**common, "gitBranch": "main"}
    parent: list[str | None] = [None]

    def words(n: int) -> str:
        return " ".join(rnd.choices(WORDS, k=n))

    def record(kind: str, n: int, second: int, message: dict, **extra: object) -> str:
        when = (base + dt.timedelta(seconds=n * 10 + second)).isoformat().replace("+00:00", "Z")
        uuid = f"{n:08x}-{second:04x}-4000-8000-{rnd.getrandbits(48):012x}" if not lean else f"u{n}-{second}"
        links = {"parentUuid": parent[0]}
        parent[0] = uuid
        if lean:  # the earlier rounds' transcript, byte for byte
            return json.dumps({**common, "type": kind, "uuid": uuid, "timestamp": when, "message": message}) + "\n"
        return json.dumps({**links, **common, "type": kind, "message": message, "uuid": uuid, "timestamp": when,
                           **extra}) + "\n"

    def answer(n: int, tag: str, content: list, stop: str | None = None) -> dict:
        head = {"model": "claude-opus-4-5", "id": f"msg_{tag}{n}", "type": "message", "role": "assistant", "content": content}
        if lean:
            return {**head, "usage": usage, "stop_reason": stop}
        return {**head, "stop_reason": stop, "stop_sequence": None, "usage": usage}

    size = turns = 0
    with path.open("w", encoding="utf-8") as out:
        while size < megabytes * 1_000_000:
            n = turns
            output = words(500)
            result = {"type": "tool_result", "tool_use_id": f"toolu_{n}", "content": output, "is_error": n % 7 == 0}
            request = {"requestId": f"req_{n:024x}"}
            lines = [
                record("user", n, 0, {"role": "user", "content": f"task {n}: {words(20)}"}),
                record("assistant", n, 1, answer(n, "a", [{"type": "text", "text": words(30)}]), **request),
                record("assistant", n, 2, answer(n, "a", [{"type": "tool_use", "id": f"toolu_{n}", "name": "Bash",
                                                           "input": {"command": f"grep -n x file{n}.py"}}]), **request),
            ]
            caller = parent[0]  # the line of the tool call
            lines.append(record("user", n, 3, {"role": "user", "content": [result]}, sourceToolAssistantUUID=caller,
                                toolUseResult={"stdout": output, "stderr": "", "interrupted": False, "isImage": False}))
            lines.append(record("assistant", n, 4, answer(n, "b", [{"type": "text", "text": words(40)}], "end_turn"),
                                requestId=f"req_{n:023x}b"))
            for line in lines:
                out.write(line)
                size += len(line)
            turns += 1
    return turns


def parse_only(path: Path) -> float:
    started = time.perf_counter()
    with path.open("rb") as handle:
        for line in handle:
            json.loads(line)
    return time.perf_counter() - started


class LockProbe(threading.Thread):
    """Takes and releases the write lock over and over, recording how long each take waited."""

    def __init__(self, db_path: Path, *, polling: bool) -> None:
        super().__init__(daemon=True)
        self.db_path = db_path
        self.polling = polling
        self.longest = 0.0
        self.takes = 0
        self.waits: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.db_path.exists() and not self.stop.is_set():
            time.sleep(0.01)
        from storage.db import begin_immediate

        conn = sqlite3.connect(str(self.db_path), timeout=60, isolation_level=None)
        while not self.stop.is_set():
            started = time.perf_counter()
            try:
                if self.polling:
                    begin_immediate(conn, timeout_s=60)
                else:
                    conn.execute("BEGIN IMMEDIATE")
                conn.execute("ROLLBACK")
            except sqlite3.OperationalError:  # the schema is being created
                pass
            self.waits.append(time.perf_counter() - started)
            self.longest = max(self.longest, self.waits[-1])
            self.takes += 1
            time.sleep(0.005)
        conn.close()


def lock_waits(who: str, probe: LockProbe) -> float | None:
    """Prints the probe's waits; returns their p99 (None when it took no lock)."""
    waits = sorted(probe.waits)
    p99 = waits[int(len(waits) * 0.99)] if waits else None
    slow = sum(1 for w in waits if w > 0.25)
    print(f"waits for the write lock meanwhile, {who}: p99 {'—' if p99 is None else f'{p99 * 1000:.0f} ms'}, "
          f"longest {probe.longest * 1000:.0f} ms, {slow} of {probe.takes:,} over 250 ms (CPU scheduling delays included)")
    return p99


class Imported:
    """One ``cockpit import`` in a child process: wall time, CPU time of both processes, peak RSS."""

    def __init__(self, transcript: Path, folder: Path, *, probes: bool) -> None:
        from storage.db import open_db

        self.megabytes = transcript.stat().st_size / 1e6
        db_path = folder / f"{transcript.stem}.db"
        open_db(db_path).conn.close()  # an existing database, as a user's would be
        self.probe, self.plain = LockProbe(db_path, polling=True), LockProbe(db_path, polling=False)
        watching = (self.probe, self.plain) if probes else ()
        for each in watching:
            each.start()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        self.done = subprocess.run(
            [sys.executable, "-m", "app", "import", str(transcript), "--db", str(db_path)],
            cwd=ROOT, capture_output=True, text=True, env={**os.environ, "COCKPIT_HOME": str(folder / "home")},
        )
        self.elapsed = time.perf_counter() - started
        for each in watching:
            each.stop.set()
            each.join()
        child = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.rss_mb = child.ru_maxrss / 1024  # the largest child so far (the lean import is the smaller one)
        self.cpu = child.ru_utime + child.ru_stime - before.ru_utime - before.ru_stime
        self.rate = self.megabytes / self.elapsed

    def print(self, baseline: float) -> None:
        print(self.done.stdout.strip()[:200])
        print(f"import: {self.elapsed:.1f} s = {self.rate:.1f} MB/s ({self.elapsed / baseline:.1f}× the baseline)")
        print(f"CPU time of the import (both processes): {self.cpu:.1f} s = {self.cpu / self.megabytes:.3f} CPU s per MB = "
              f"{self.megabytes / self.cpu:.1f} MB per CPU second (what the import costs whatever else the machine runs)")


def real_transcripts_cpu() -> None:
    """CPU seconds per MB of importing the real Claude Code transcripts of ../shared/sessions in this process
    (small files: start-up left out; each session's own rows weigh more per MB than in one big file)."""
    from storage.db import open_db
    from storage.importers import import_sessions

    folder = ROOT.parent / "shared" / "sessions" / "claude-code"
    files = sorted(folder.glob("*.jsonl")) if folder.is_dir() else []
    if not files:
        print("real transcripts: none found under ../shared/sessions/claude-code (not measured)")
        return
    with tempfile.TemporaryDirectory(prefix="bench-import-real-") as tmp:
        for path in files:
            megabytes = path.stat().st_size / 1e6
            best = float("inf")
            for attempt in range(3):
                db = open_db(Path(tmp) / f"{path.stem[:20]}-{attempt}.db")
                started = time.process_time()
                import_sessions(db, path)
                best = min(best, time.process_time() - started)
                db.conn.close()
            print(f"real transcript {path.name[:48]}: {megabytes:.2f} MB, {best / megabytes:.3f} CPU s per MB "
                  "in one process (for reference)")


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from benchmarks.goals import report

    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        folder = Path(tmp)
        transcript = folder / "big.jsonl"
        turns = generate(transcript, MEGABYTES)
        megabytes = transcript.stat().st_size / 1e6
        print(f"transcript: {megabytes:.0f} MB, {turns:,} turns, with the fields of real Claude Code 2.1 records")
        baseline = parse_only(transcript)
        print(f"baseline (read + json.loads every line): {baseline:.1f} s = {megabytes / baseline:.0f} MB/s")
        big = Imported(transcript, folder, probes=True)
        if big.done.returncode != 0:
            print(big.done.stdout, big.done.stderr)
            return 1
        big.print(baseline)
        p99 = lock_waits("Cockpit's writers (a try every 2 ms at most)", big.probe)
        lock_waits("a plain sqlite3 client (SQLite's busy handler), for reference", big.plain)
        transcript.unlink()

        lean_path = folder / "lean.jsonl"
        lean_turns = generate(lean_path, LEAN_MEGABYTES, lean=True)
        lean_baseline = parse_only(lean_path)
        print(f"lean transcript (only the fields Cockpit stores: the worst case per MB): "
              f"{lean_path.stat().st_size / 1e6:.0f} MB, {lean_turns:,} turns")
        lean = Imported(lean_path, folder, probes=False)
        if lean.done.returncode != 0:
            print(lean.done.stdout, lean.done.stderr)
            return 1
        lean.print(lean_baseline)
    real_transcripts_cpu()
    rss_mb = big.rss_mb
    goals = [
        report(f"import of a {megabytes:.0f} MB Claude Code transcript", goal=f">= {RATE_GOAL_MB_S} MB/s",
               measured=f"{big.rate:.1f} MB/s", ratio=big.rate / RATE_GOAL_MB_S, ok=big.rate >= RATE_GOAL_MB_S),
        report("peak RSS of that import", goal=f"< {RSS_GOAL_MB} MB", measured=f"{rss_mb:.0f} MB",
               ratio=rss_mb / RSS_GOAL_MB, ok=rss_mb < RSS_GOAL_MB),
        report("write lock wait meanwhile, Cockpit's writers (p99)", goal=f"< {LOCK_GOAL_MS} ms",
               measured="—" if p99 is None else f"{p99 * 1000:.0f} ms",
               ratio=None if p99 is None else p99 * 1000 / LOCK_GOAL_MS, ok=None if p99 is None else p99 * 1000 < LOCK_GOAL_MS),
    ]
    return 0 if all(g.ok is not False for g in goals) else 1


if __name__ == "__main__":
    sys.exit(main())
