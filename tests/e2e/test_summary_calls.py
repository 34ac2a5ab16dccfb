"""A compaction's summary is a model call like any other (loopback OpenAI-compatible server):
announced with the role ``summary``, retried by the one retry layer, stored, and paid for
(its cost is in the session's total and counts toward ``--max-cost``)."""

from __future__ import annotations

import argparse
from dataclasses import replace

from app.agent.budget.summary import INSTRUCTIONS
from app.agent.events import core as ev
from app.agent.events.budget import CompactionPerformed
from app.agent.events.resilience import AttemptFailed, AttemptSucceeded
from app.agent.events.transcript_view import ANSWER, TranscriptFold
from app.commands import show
from app.settings import Settings
from tests.core.helpers import make_session
from tests.support.openai_server import Fault, Reply

SUMMARY = "The user asked for many words; they were said.\nGoals: more words\nOpen items: none"
# A window that the first long answer fills: the next task's call compacts it, summarising the first turn.
SETTINGS = Settings(
    budget={"advertised_window": 9000, "output_reserve_tokens": 0, "compaction_buffer_tokens": 0,
            "compact_at": 0.9, "keep_last_turns": 1},
    resilience={"backoff_base_s": 0.01, "backoff_cap_s": 0.02},
)


def long_answer() -> Reply:
    return Reply(text=" ".join(f"word{i}" for i in range(3000)))


def is_summary_request(body: dict) -> bool:
    return body["messages"][0]["content"] == INSTRUCTIONS and not body.get("tools")


async def test_a_compaction_summary_is_a_retried_announced_stored_model_call(openai_server, workspace, tmp_path, capsys):
    openai_server.script([long_answer(), Fault.server_error(), Reply(text=SUMMARY), Reply(text="done")])
    db_path = tmp_path / "s.db"
    session, events, db = make_session("openai/gpt-4o", workspace, db_path, settings=SETTINGS, api_base=openai_server.url)
    session.start()
    assert (await session.run_task("say many words")).outcome == "completed"
    result = await session.run_task("go on")
    session.finish()
    assert result.outcome == "completed" and result.answer == "done"

    (compaction,) = [c for c in events.of(CompactionPerformed) if c.step == "summarize"]
    assert compaction.summary_source == "model" and compaction.summary == SUMMARY
    bodies = [r.body for r in openai_server.chat_requests]
    assert [is_summary_request(b) for b in bodies] == [False, True, True, False]

    finished = events.of(ev.ModelCallFinished)
    assert [(e.role, e.status) for e in finished] == [
        ("main", ev.CallStatus.OK), ("summary", ev.CallStatus.ERROR), ("summary", ev.CallStatus.OK),
        ("main", ev.CallStatus.OK)]
    assert [e.role for e in events.of(ev.ModelCallStarted)] == ["main", "summary", "summary", "main"]
    summary_call = finished[2].call_id.split(".")[0]
    # The retry layer retried it, like any model call.
    failed = [e for e in events.of(AttemptFailed) if e.call_id == summary_call]
    assert [(e.attempt, e.decision, e.error_class) for e in failed] == [(1, "retry", "server_error")]
    assert [e.attempt for e in events.of(AttemptSucceeded) if e.call_id == summary_call] == [2]
    # Announced, but not streamed as an answer: the transcript shows no summary.
    assert not [e for e in events.of(ev.TextDelta) if e.call_id.startswith(summary_call)]
    answers = [e.text for e in TranscriptFold.of(events).entries if e.kind == ANSWER]
    assert answers[-1] == "done" and SUMMARY not in answers

    # Paid for: its cost is in the session's total, beside the conversation's calls.
    costs = [e.cost_usd for e in finished if e.status is ev.CallStatus.OK]
    assert all(c and c > 0 for c in costs)
    assert abs(session.agent.total_cost_usd - sum(costs)) < 1e-12
    rows = db.execute("select role, status, cost_usd from model_calls order by started_at, id").fetchall()
    assert [(r[0], r[1]) for r in rows] == [("main", "ok"), ("summary", "error"), ("summary", "ok"), ("main", "ok")]

    assert show.run(argparse.Namespace(id=session.id, json=False, db=db_path)) == 0
    (line,) = [x for x in capsys.readouterr().out.splitlines() if x.startswith("by role")]
    assert "main 2 calls: " in line and "summary 2 calls: " in line
    assert line.index("main") < line.index("summary")


async def test_the_summary_cost_counts_toward_the_cost_limit(openai_server, workspace, tmp_path):
    openai_server.script([long_answer(), Reply(text=SUMMARY), Reply(text="never asked for")])
    session, events, _ = make_session("openai/gpt-4o", workspace, tmp_path / "s.db", settings=SETTINGS,
                                      api_base=openai_server.url)
    session.start()
    assert (await session.run_task("say many words")).outcome == "completed"
    spent = session.agent.total_cost_usd
    # Room for a little more: the summary alone goes over, and the conversation's call is not made.
    session.agent.config = replace(session.agent.config, max_cost_usd=spent + 1e-6)
    result = await session.run_task("go on")
    session.finish()
    assert result.outcome == "limit"
    (limit,) = events.of(ev.LimitReached)
    assert limit.kind == "cost" and limit.value > spent
    assert [is_summary_request(r.body) for r in openai_server.chat_requests] == [False, True]
    summary = events.of(ev.ModelCallFinished)[-1]
    assert summary.role == "summary" and limit.value == spent + summary.cost_usd
