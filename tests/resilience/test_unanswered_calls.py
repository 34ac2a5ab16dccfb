"""Tool calls a stopped turn left unanswered get an honest result from the idempotency ledger."""

from __future__ import annotations

import pytest

from app.agent.resilience.idempotency import IdempotencyGuard, MemoryLedger
from app.agent.resilience.unanswered_calls import NOT_RUN, RAN, UNKNOWN, close_unanswered
from app.agent.tool_ids import ToolCallIds
from storage.db import open_db
from storage.resilience import SqliteLedger


def assistant(*calls: tuple[str, str]) -> dict:
    return {"role": "assistant", "content": "",
            "tool_calls": [{"id": i, "type": "function", "function": {"name": n, "arguments": "{}"}} for i, n in calls]}


def open_calls(messages: list[dict]) -> list:
    """The calls a crash left open in ``messages``, as a resumed agent finds them."""
    return ToolCallIds(messages).unanswered(messages, turn=1)


@pytest.fixture(params=["memory", "sqlite"])
def ledger(request, tmp_path):
    return MemoryLedger() if request.param == "memory" else SqliteLedger(open_db(tmp_path / "l.db"))


def test_each_unanswered_call_says_what_the_ledger_knows(ledger):
    ledger.reserve("k-pending", session_id="s", tool="bash", args_digest="d", tool_call_id="c1")
    ledger.reserve("k-done", session_id="s", tool="write_file", args_digest="d", tool_call_id="c2")
    ledger.complete("k-done", {"text": "wrote a.txt", "is_error": False})
    messages = [assistant(("c0", "read_file"), ("c1", "bash"), ("c2", "write_file"), ("c3", "bash")),
                {"role": "tool", "tool_call_id": "c0", "content": "…"}]
    closings = close_unanswered(open_calls(messages), "why", lambda call_id: ledger.for_call("s", call_id))
    assert [(c.tool_call_id, c.outcome) for c in closings] == [("c1", UNKNOWN), ("c2", RAN), ("c3", NOT_RUN)]
    unknown, ran, not_run = closings
    assert unknown.text.startswith("May have run; outcome unknown") and "Not run" not in unknown.text
    assert [n.level for n in unknown.notices] == ["warning"] and "`bash` may have run" in unknown.notices[0].message
    assert ran.text.endswith("wrote a.txt") and not ran.notices
    assert not_run.text == "Not run: why." and not not_run.notices


def test_an_entry_of_another_session_or_tool_is_not_this_call(ledger):
    ledger.reserve("k", session_id="other", tool="bash", args_digest="d", tool_call_id="c1")
    ledger.reserve("k2", session_id="s", tool="write_file", args_digest="d", tool_call_id="c2")
    closings = close_unanswered(open_calls([assistant(("c1", "bash"), ("c2", "bash"))]), "why",
                                lambda call_id: ledger.for_call("s", call_id))
    assert [c.outcome for c in closings] == [NOT_RUN, NOT_RUN]


async def test_the_guard_records_which_call_reserved_a_key(ledger):
    async def effect() -> dict:
        raise RuntimeError("the process died here")

    with pytest.raises(RuntimeError):
        await IdempotencyGuard(ledger).run_once("k", session_id="s", tool="bash", arguments={"command": "x"},
                                                effect=effect, tool_call_id="c9")
    entry = ledger.for_call("s", "c9")
    assert entry is not None and entry.status == "pending" and ledger.for_call("s", "c8") is None


async def test_a_bash_call_interrupted_mid_run_may_have_run(workspace, tmp_path, write_script):
    import asyncio

    from app.agent.events import core as ev
    from tests.core.helpers import make_session

    marker = workspace / "started.txt"
    command = f"echo go > {marker}; sleep 30"
    model = write_script([{"tool_calls": [{"name": "bash", "arguments": {"command": command}}]}])
    session, events, _ = make_session(model, workspace, tmp_path / "c.db")
    session.start()
    task = asyncio.create_task(session.run_task("sleep"))
    while not (marker.exists() and marker.read_text().strip()):  # the command is running
        assert not task.done()
        await asyncio.sleep(0.02)
    task.cancel()
    assert (await task).outcome == "interrupted"
    (result,) = [e.message for e in events.of(ev.MessageAppended) if e.message["role"] == "tool"]
    assert result["content"].startswith("May have run; outcome unknown")
    assert "interrupted by the user" in result["content"]
    assert any(n.level == "warning" and "`bash` may have run" in n.message for n in events.of(ev.Notice))
