"""Fault injection through real HTTP: the harness owns every retry, and it cannot storm."""

from __future__ import annotations

from app.agent.events import core as ev
from app.settings import Settings
from tests.core.helpers import make_session
from tests.support.openai_server import DropStream, Fault, Hang, Reply

FAST = {"backoff_base_s": 0.01, "backoff_cap_s": 0.05}


async def run_once(server, workspace, tmp_path, resilience=None, agent=None, task="hello"):
    settings = Settings(resilience={**FAST, **(resilience or {})}, agent=agent or {})
    session, events, db = make_session(
        "openai/test-model", workspace, tmp_path / "f.db", settings=settings, api_base=server.url
    )
    session.start()
    result = await session.run_task(task)
    session.finish()
    return result, events, db


def attempts(db):
    return [(r[0], r[1]) for r in db.execute("select status, error_class from model_calls order by started_at, attempt")]


async def test_429_honours_retry_after_then_succeeds(openai_server, workspace, tmp_path):
    openai_server.script([Fault.rate_limited(retry_after=1), Reply(text="hello back")])
    result, events, db = await run_once(openai_server, workspace, tmp_path)
    assert result.outcome == "completed" and result.answer == "hello back"
    first, second = openai_server.chat_requests
    assert second.time - first.time >= 1.0  # measured by the server, not by us
    assert attempts(db) == [("error", "rate_limit"), ("ok", None)]
    failed = [e for e in events if e.type == "resilience_attempt_failed"]
    assert failed and failed[0].decision == "retry" and failed[0].wait_s >= 1.0


async def test_transient_errors_are_retried_and_attempts_are_bounded(openai_server, workspace, tmp_path):
    openai_server.script([Fault.server_error(), Fault.overloaded(), DropStream(after_chunks=2), Reply(text="late")])
    result, _, db = await run_once(openai_server, workspace, tmp_path, resilience={"max_attempts": 3})
    # Three attempts is the bound: the fourth reply is never asked for.
    assert len(openai_server.chat_requests) == 3
    assert result.outcome == "failed"
    classes = attempts(db)
    assert [c[0] for c in classes] == ["error", "error", "error"]
    assert classes[0][1] == "server_error" and classes[1][1] == "overloaded"


async def test_terminal_errors_are_never_retried(openai_server, workspace, tmp_path):
    for fault, name in ((Fault.unauthorized(), "auth"), (Fault.insufficient_quota(), "quota")):
        openai_server.requests.clear()
        openai_server.script([fault])  # anything after it would be the default reply, "done"
        result, events, db = await run_once(openai_server, workspace, tmp_path / name)
        assert len(openai_server.chat_requests) == 1
        assert result.outcome == "failed"
        assert attempts(db) == [("error", name)]
        breaker = [e for e in events if e.type == "resilience_breaker_changed"]
        assert breaker and breaker[-1].state == "open"  # opened at once


async def test_a_hanging_server_times_out_and_is_retried(openai_server, workspace, tmp_path):
    openai_server.script([Hang(seconds=30), Reply(text="awake")])
    result, _, db = await run_once(openai_server, workspace, tmp_path, agent={"request_timeout_s": 0.5})
    assert result.outcome == "completed" and result.answer == "awake"
    assert attempts(db) == [("error", "timeout"), ("ok", None)]


async def test_a_dead_endpoint_cannot_storm(openai_server, workspace, tmp_path):
    openai_server.responder = lambda body: Fault.server_error()
    settings = {"max_attempts": 100, "breaker_consecutive_failures": 100, "breaker_window": 100,
                "breaker_window_min_calls": 100, "loop_window": 100}
    result, events, db = await run_once(openai_server, workspace, tmp_path, resilience=settings)
    # Capacity 50, a 5xx retry costs 5: the first try plus ten retries, then the bucket is empty.
    assert len(openai_server.chat_requests) == 11
    assert result.outcome == "limit"
    limit = events.of(ev.LimitReached)[0]
    assert limit.kind == "retry_budget"
    rows = attempts(db)
    assert len(rows) == 11 and all(r == ("error", "server_error") for r in rows)
    assert db.execute("select status from sessions").fetchone()[0] == "limit"


async def test_the_breaker_opens_and_stops_calls(openai_server, workspace, tmp_path):
    openai_server.responder = lambda body: Fault.overloaded()
    result, events, db = await run_once(openai_server, workspace, tmp_path, resilience={"max_attempts": 20})
    assert result.outcome == "failed"
    opened = [e for e in events if e.type == "resilience_breaker_changed" and e.state == "open"]
    assert opened and opened[0].target == "openai/test-model"
    assert len(openai_server.chat_requests) == 5  # five consecutive failures open it
    assert "circuit" in result.message.lower() or "breaker" in result.message.lower()


async def test_every_attempt_is_stored_with_its_class_and_wasted_tokens(openai_server, workspace, tmp_path):
    openai_server.script([Fault.server_error(), Reply(text="ok")])
    settings = Settings(resilience=FAST)
    session, events, db = make_session("openai/gpt-4o", workspace, tmp_path / "w.db", settings=settings, api_base=openai_server.url)
    session.start()
    await session.run_task("hi")
    session.finish()
    rows = list(db.query("select attempt, status, error_class, wasted_tokens, wasted_usd from model_calls order by attempt"))
    assert [(r["attempt"], r["status"], r["error_class"]) for r in rows] == [(1, "error", "server_error"), (2, "ok", None)]
    # The failed attempt's prompt was sent for nothing: that is the retry tax, priced by litellm.
    assert rows[0]["wasted_tokens"] > 0 and rows[0]["wasted_usd"] > 0
    assert rows[1]["wasted_tokens"] == 0
    from storage.queries import session_summary

    summary = session_summary(db, session.id)
    assert summary["wasted_tokens"] == rows[0]["wasted_tokens"]
