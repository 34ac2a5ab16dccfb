"""Many Cockpit processes on one database: nothing is lost, nobody sees "database is locked".

Real processes run the real command line (``app.cli.main``) on one fresh
database at the same time: headless runs with the scripted model, imports and
``cockpit sessions`` readers. Each run process does several rounds (one
``cockpit run`` each) so the model library is imported once per process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from app.agent.events.core import event_from_dict
from storage.db import open_db

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "tests" / "data" / "sessions"
RUNNERS, ROUNDS = 4, 3

# argv: db, model, workspace, rounds, tag. Every round is one `cockpit run`; the exit code is the worst one.
RUN = """
import sys
from app.cli import main
db, model, workspace, rounds, tag = sys.argv[1:]
codes = [main(["run", f"task {tag}.{i}", "--model", model, "--workspace", workspace, "--yes", "--json", "--db", db])
         for i in range(int(rounds))]
sys.exit(max(codes))
"""
# argv: db, rounds, paths...: the same files imported again and again (the first import wins, then skipped).
IMPORT = """
import sys
from app.cli import main
db, rounds, *paths = sys.argv[1:]
sys.exit(max(main(["import", *paths, "--db", db]) for _ in range(int(rounds))))
"""
READ = """
import sys
from app.cli import main
db, rounds = sys.argv[1:]
sys.exit(max(main(["sessions", "--json", "--db", db]) for _ in range(int(rounds))))
"""


def _start(code: str, *argv: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", code, *argv], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _finish(proc: subprocess.Popen) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=240)
    return proc.returncode, out, err


def _printed_events(stdout: str) -> set[tuple[str, int, str]]:
    """What a run should have stored: every persisted event it printed."""
    events = (event_from_dict(json.loads(line)) for line in stdout.splitlines() if line.strip())
    return {(e.session_id, e.seq, e.type) for e in events if e.persist}


def _import_samples() -> list[str]:
    return [
        str(next((SAMPLES / "claude-code").glob("short_*.jsonl"))),
        str(next((SAMPLES / "codex-cli").glob("*.jsonl"))),
        str(next((SAMPLES / "mini-swe-agent").glob("*.traj.json"))),
    ]


def _events_per_session(db) -> dict[str, int]:
    return dict(db.execute("select session_id, count(*) from events group by session_id").fetchall())


def test_many_processes_share_one_database_and_lose_nothing(tmp_path, write_script):
    model = write_script([
        {"text": "Looking around.", "tool_calls": [{"name": "list_dir", "arguments": {"path": "."}}]},
        {"text": "Writing.", "tool_calls": [{"name": "write_file", "arguments": {"path": "out.txt", "content": "x" * 300}}]},
        {"text": "Done, " + "all good " * 20},
    ])
    db_path = str(tmp_path / "shared.db")
    samples = _import_samples()
    workspaces = []
    for n in range(RUNNERS):
        (ws := tmp_path / f"ws{n}").mkdir()
        workspaces.append(ws)
    runs = [_start(RUN, db_path, model, str(ws), str(ROUNDS), str(n)) for n, ws in enumerate(workspaces)]
    importers = [_start(IMPORT, db_path, str(ROUNDS), *samples) for _ in range(2)]  # the same files, at once
    others = [*importers, _start(READ, db_path, str(ROUNDS * 2))]

    results = [_finish(p) for p in runs + others]
    for code, _, err in results:
        assert "locked" not in err and "Traceback" not in err, err
        assert code == 0, err
    expected = set().union(*(_printed_events(out) for _, out, _ in results[:RUNNERS]))

    db = open_db(db_path)
    stored = set(db.execute("select session_id, seq, type from events where session_id in "
                            "(select id from sessions where source = 'cockpit')").fetchall())
    attempted_sessions = {sid for sid, _, _ in expected}
    assert len(attempted_sessions) == RUNNERS * ROUNDS
    assert stored == expected, f"lost {len(expected - stored)} of {len(expected)} events"
    statuses = db.execute("select status, count(*) from sessions where source = 'cockpit' group by status").fetchall()
    assert statuses == [("completed", RUNNERS * ROUNDS)]

    # The imports stored exactly what the same files give when imported alone.
    alone = open_db(tmp_path / "alone.db")
    from storage.importers import import_path

    for path in samples:
        import_path(alone, path)
    imported = {k: v for k, v in _events_per_session(db).items() if k not in attempted_sessions}
    assert imported == _events_per_session(alone)


FIRST_START = """
import os, sys, time
from storage.db import open_db
db, go = sys.argv[1:]
while not os.path.exists(go):
    time.sleep(0.001)
open_db(db)
"""


def test_concurrent_first_starts_on_a_fresh_database_all_succeed(tmp_path):
    db_path, go = tmp_path / "fresh.db", tmp_path / "go"
    procs = [_start(FIRST_START, str(db_path), str(go)) for _ in range(8)]
    go.touch()
    results = [_finish(p) for p in procs]
    assert [code for code, _, _ in results] == [0] * 8, [err for _, _, err in results]
    db = open_db(db_path)
    names = [r[0] for r in db.execute("select name from _sqlite_migrations")]
    assert len(names) == len(set(names))  # every migration applied once
