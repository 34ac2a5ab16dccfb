"""The idempotency guard over both ledgers: in memory and in SQLite."""

from __future__ import annotations

import pytest
import sqlite_utils

from app.agent.resilience.errors import IdempotencyConflict, IdempotencyPending, ResilienceError
from app.agent.resilience.idempotency import (
    IdempotencyGuard,
    MemoryLedger,
    arguments_digest,
    file_precondition,
    idempotency_key,
    may_retry_tool,
)
from storage.resilience import MIGRATIONS, SqliteLedger


def sqlite_ledger() -> SqliteLedger:
    db = sqlite_utils.Database(memory=True)
    for _, migrate in MIGRATIONS:
        migrate(db)
    return SqliteLedger(db, clock=lambda: 1234.0)


@pytest.fixture(params=["memory", "sqlite"])
def ledger(request):
    return MemoryLedger() if request.param == "memory" else sqlite_ledger()


class Effect:
    def __init__(self, result: dict) -> None:
        self.result = result
        self.applied = 0

    async def __call__(self) -> dict:
        self.applied += 1
        return self.result


ARGS = {"path": "a.py", "content": "print(1)\n"}


async def test_first_run_applies_and_records(ledger):
    guard = IdempotencyGuard(ledger)
    effect = Effect({"text": "wrote a.py", "bytes": 9})
    outcome = await guard.run_once("k1", session_id="s1", tool="write", arguments=ARGS, effect=effect)
    assert (outcome.result, outcome.replayed, effect.applied) == ({"text": "wrote a.py", "bytes": 9}, False, 1)
    entry = ledger.get("k1")
    assert (entry.status, entry.tool, entry.session_id, entry.result) == ("done", "write", "s1", outcome.result)
    assert entry.args_digest == arguments_digest(ARGS)


async def test_a_repeated_key_replays_instead_of_applying_again(ledger):
    guard = IdempotencyGuard(ledger)
    effect = Effect({"text": "wrote a.py"})
    await guard.run_once("k1", session_id="s1", tool="write", arguments=ARGS, effect=effect)
    again = await guard.run_once("k1", session_id="s1", tool="write", arguments=dict(reversed(ARGS.items())),
                                 effect=effect)
    assert again.replayed and again.result == {"text": "wrote a.py"}
    assert effect.applied == 1


async def test_same_key_different_arguments_is_an_error(ledger):
    guard = IdempotencyGuard(ledger)
    await guard.run_once("k1", session_id="s1", tool="write", arguments=ARGS, effect=Effect({"ok": True}))
    effect = Effect({"ok": True})
    with pytest.raises(IdempotencyConflict) as caught:
        await guard.run_once("k1", session_id="s1", tool="write", arguments={**ARGS, "content": "other"},
                             effect=effect)
    assert effect.applied == 0
    assert isinstance(caught.value, ResilienceError) and "different arguments" in str(caught.value)
    with pytest.raises(IdempotencyConflict):
        await guard.run_once("k1", session_id="s1", tool="edit", arguments=ARGS, effect=effect)


async def test_a_pending_key_is_never_silently_re_applied(ledger):
    guard = IdempotencyGuard(ledger)

    async def crashes() -> dict:
        raise RuntimeError("power cut mid-write")

    with pytest.raises(RuntimeError):
        await guard.run_once("k1", session_id="s1", tool="write", arguments=ARGS, effect=crashes)
    assert ledger.get("k1").status == "pending"
    effect = Effect({"ok": True})
    with pytest.raises(IdempotencyPending, match="outcome is unknown"):
        await guard.run_once("k1", session_id="s1", tool="write", arguments=ARGS, effect=effect)
    assert effect.applied == 0


def test_ledger_storage_contract(ledger):
    assert ledger.get("nope") is None
    assert ledger.reserve("k", session_id="s", tool="bash", args_digest="d1") is None
    existing = ledger.reserve("k", session_id="s", tool="bash", args_digest="d2")
    assert (existing.args_digest, existing.status, existing.result) == ("d1", "pending", None)
    ledger.complete("k", {"exit_code": 0, "out": "done"})
    assert ledger.get("k").result == {"exit_code": 0, "out": "done"}
    with pytest.raises(KeyError):
        ledger.complete("missing", {})


def test_the_key_covers_session_tool_arguments_and_precondition():
    base = idempotency_key("s1", "write", ARGS, "sha256:abc")
    assert base == idempotency_key("s1", "write", dict(reversed(ARGS.items())), "sha256:abc")
    assert base != idempotency_key("s2", "write", ARGS, "sha256:abc")
    assert base != idempotency_key("s1", "edit", ARGS, "sha256:abc")
    assert base != idempotency_key("s1", "write", {**ARGS, "content": "x"}, "sha256:abc")
    assert base != idempotency_key("s1", "write", ARGS, "sha256:def")


def test_file_precondition_tracks_the_target_file(tmp_path):
    target = tmp_path / "a.py"
    assert file_precondition(target) == "absent"
    target.write_text("one")
    first = file_precondition(target)
    target.write_text("two")
    assert first.startswith("sha256:") and file_precondition(target) != first


def test_bash_is_never_retried_automatically():
    assert not may_retry_tool("bash")
    assert may_retry_tool("read_file")


def test_sqlite_ledger_survives_a_new_connection(tmp_path):
    path = tmp_path / "cockpit.db"
    db = sqlite_utils.Database(path)
    for _, migrate in MIGRATIONS:
        migrate(db)
    SqliteLedger(db).reserve("k", session_id="s", tool="write", args_digest="d")
    SqliteLedger(db).complete("k", {"text": "ok"})
    db.close()
    again = SqliteLedger(sqlite_utils.Database(path)).get("k")
    assert (again.status, again.result) == ("done", {"text": "ok"})
