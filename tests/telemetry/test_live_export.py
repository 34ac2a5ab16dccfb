"""A live session's spans, received by a real OTLP/HTTP receiver on loopback and decoded with
opentelemetry-proto: the tree, and attribute values equal to what the database stores."""

from __future__ import annotations

import threading

import pytest

from app.settings import Settings
from app.telemetry.config import TelemetryConfig
from app.telemetry.exporter import process_export
from tests.core.helpers import make_session
from tests.subagents.support import MODEL, converse, delegate
from tests.support.openai_server import Reply, ToolCallSpec
from tests.telemetry.receiver import Receiver


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


def telemetry_settings(endpoint: str, **telemetry) -> Settings:
    return Settings(agent={"subagents": True}, telemetry={"endpoint": endpoint, **telemetry},
                    resilience={"backoff_base_s": 0.01, "backoff_cap_s": 0.02})


def export_of(settings: Settings):
    config = TelemetryConfig.from_settings(settings.telemetry, {})
    assert config is not None
    return process_export(config)


async def run_session(openai_server, workspace, tmp_path, settings, task):
    session, events, db = make_session(MODEL, workspace, tmp_path / "c.db", settings=settings, api_base=openai_server.url)
    session.start()
    result = await session.run_task(task)
    session.finish()
    return result, session, db


def check_tree(spans, session_id, db):
    """The spans of a session that listed a folder and delegated one task, against the database."""
    child_id = db.execute("select id from sessions where parent_id = ?", [session_id]).fetchone()[0]
    roots = [s for s in by_name(spans, "invoke_agent") if s.attributes["gen_ai.conversation.id"] == session_id]
    [root] = roots
    assert root.parent_id == "" and root.service == "cockpit"
    assert root.attributes["gen_ai.operation.name"] == "invoke_agent"
    assert root.attributes["cockpit.session.status"] == "completed"
    [turn] = [s for s in spans if s.name == "turn" and s.parent_id == root.span_id]
    assert turn.attributes["cockpit.turn.outcome"] == "completed"
    assert "gen_ai.input.messages" not in turn.attributes  # content is off by default
    # Every span of the session, the child's included, is in one trace.
    assert {s.trace_id for s in spans} == {root.trace_id}

    # A chat span per model call attempt, equal to its model_calls row.
    rows = {(r["id"], r["attempt"]): r for r in db.query("select * from model_calls where session_id = ?", [session_id])}
    chats = [s for s in by_name(spans, "chat ") if s.parent_id == turn.span_id]
    assert len(chats) == len(rows) == 3
    for chat in chats:
        row = rows[(chat.attributes["cockpit.call.id"], chat.attributes["cockpit.call.attempt"])]
        a = chat.attributes
        assert a["gen_ai.request.model"] == row["model"] == MODEL and a["gen_ai.provider.name"] == "openai"
        assert a["gen_ai.usage.input_tokens"] == row["prompt_tokens"] > 0
        assert a["gen_ai.usage.output_tokens"] == row["completion_tokens"]
        assert a["gen_ai.usage.cache_read.input_tokens"] == row["cached_tokens"]
        assert a["gen_ai.response.finish_reasons"] == [row["finish_reason"]]
        assert a["cockpit.cost_usd"] == row["cost_usd"] and a["cockpit.call.status"] == row["status"]
        assert a["cockpit.usage.source"] == row["usage_source"] and a["cockpit.call.role"] == row["role"]
        assert "gen_ai.output.messages" not in a

    # An execute_tool span per tool call, equal to its tool_calls row.
    tool_rows = {r["tool_call_id"]: r for r in db.query("select * from tool_calls where session_id = ?", [session_id])}
    tools = [s for s in by_name(spans, "execute_tool ") if s.parent_id == turn.span_id]
    assert sorted(s.name for s in tools) == ["execute_tool list_dir", "execute_tool task"]
    for tool in tools:
        row = tool_rows[tool.attributes["gen_ai.tool.call.id"]]
        assert tool.attributes["gen_ai.tool.name"] == row["name"]
        assert tool.attributes["cockpit.tool.status"] == row["status"] == "ok"
        assert tool.attributes["cockpit.tool.duration_ms"] == row["duration_ms"]
        assert "gen_ai.tool.call.result" not in tool.attributes

    # The child's run is a child span of the delegating task call.
    [task] = [s for s in tools if s.name == "execute_tool task"]
    [child] = [s for s in by_name(spans, "invoke_agent") if s.attributes["gen_ai.conversation.id"] == child_id]
    assert child.parent_id == task.span_id and child.trace_id == root.trace_id
    assert task.start_ns <= child.start_ns <= child.end_ns <= task.end_ns
    [child_turn] = [s for s in spans if s.parent_id == child.span_id]
    [child_chat] = [s for s in spans if s.parent_id == child_turn.span_id]
    child_row = db.execute("select prompt_tokens, role from model_calls where session_id = ?", [child_id]).fetchone()
    assert child_chat.attributes["gen_ai.usage.input_tokens"] == child_row[0]
    assert child_chat.attributes["cockpit.call.role"] == child_row[1] == "subagent"
    # The delegation's moves are events of the task span.
    moves = [e[1]["cockpit.status"] for e in task.events if e[0] == "cockpit.subagent_status"]
    assert moves == ["submitted", "working", "completed"]


def by_name(spans, prefix):
    return [s for s in spans if s.name.startswith(prefix)]


def list_and_delegate(openai_server, workspace) -> None:
    (workspace / "a.py").write_text("print(1)\n")
    converse(openai_server, {
        "count the files": [Reply(tool_calls=[ToolCallSpec("list_dir", {"path": "."})]),
                            delegate("Count the Python files."), Reply(text="There is 1.")],
        "Count the Python files.": [Reply(text="1")],
    })


async def test_a_session_with_a_tool_call_and_a_delegation_is_a_span_tree(openai_server, workspace, tmp_path, receiver):
    list_and_delegate(openai_server, workspace)
    settings = telemetry_settings(receiver.url)
    result, session, db = await run_session(openai_server, workspace, tmp_path, settings, "count the files")
    assert result.outcome == "completed"
    export = export_of(settings)
    assert export.flush(20)
    spans = receiver.spans
    assert export.counts.dropped == 0 and len(spans) == export.counts.sent

    check_tree(spans, session.id, db)


async def test_content_is_exported_only_when_asked_and_redacted_as_in_the_database(
        openai_server, workspace, tmp_path, receiver, monkeypatch):
    secret = "sk-test-" + "x" * 24
    monkeypatch.setenv("MY_API_TOKEN", secret)
    openai_server.script([Reply(text=f"the token is {secret}")])
    settings = Settings(telemetry={"endpoint": receiver.url, "content": True})
    _, session, db = await run_session(openai_server, workspace, tmp_path, settings, f"say {secret}")
    assert export_of(settings).flush(20)
    [chat] = by_name(receiver.spans, "chat ")
    output = chat.attributes["gen_ai.output.messages"]
    assert secret not in output and "[redacted:MY_API_TOKEN]" in output
    stored = db.execute("select text from model_calls where session_id = ?", [session.id]).fetchone()[0]
    assert stored in output  # the same redaction as the database's
    [turn] = [s for s in receiver.spans if s.name == "turn"]
    assert "[redacted:MY_API_TOKEN]" in turn.attributes["gen_ai.input.messages"]


async def test_a_collector_that_is_down_costs_the_run_nothing_but_counted_spans(openai_server, workspace, tmp_path):
    url = Receiver.down_url()  # bound, then closed: nothing listens on its port
    openai_server.script([Reply(text="done")])
    settings = Settings(telemetry={"endpoint": url, "timeout_s": 0.5})
    result, _, _ = await run_session(openai_server, workspace, tmp_path, settings, "hi")
    assert result.outcome == "completed"
    export = export_of(settings)
    export.flush(30)
    assert export.counts.dropped == export.counts.ended == 3 and export.counts.sent == 0


async def test_a_slow_collector_does_not_hold_the_run(openai_server, workspace, tmp_path, receiver):
    receiver.hold = threading.Event()  # every request waits until the run is over
    openai_server.script([Reply(text="done")])
    settings = Settings(telemetry={"endpoint": receiver.url, "max_queue": 1})
    result, _, _ = await run_session(openai_server, workspace, tmp_path, settings, "hi")
    assert result.outcome == "completed" and receiver.spans == []  # the run finished while the collector held
    export = export_of(settings)
    receiver.hold.set()
    export.flush(20)
    # A queue of 1 and one batch held by the collector: of 3 spans at least one had no room, and was counted.
    counts = export.counts
    assert counts.ended == 3 and counts.dropped >= 1 and len(receiver.spans) == counts.sent == 3 - counts.dropped


async def test_the_dropped_spans_reach_the_retries_pane(openai_server, workspace, tmp_path):
    from app.agent.events.retries_view import RetriesReducer
    from app.agent.events.telemetry import TelemetryDropped
    from widgets.retries_pane import _notes

    url = Receiver.down_url()
    openai_server.script([Reply(text="one"), Reply(text="two")])
    settings = Settings(telemetry={"endpoint": url, "timeout_s": 0.5})
    session, events, _ = make_session(MODEL, workspace, tmp_path / "c.db", settings=settings, api_base=openai_server.url)
    session.start()
    assert (await session.run_task("first")).outcome == "completed"
    export = export_of(settings)
    export.flush(30)
    dropped = export.counts.dropped
    assert dropped > 0 and events.of(TelemetryDropped) == []  # nothing told yet: no event since
    assert (await session.run_task("second")).outcome == "completed"
    session.finish()
    told = events.of(TelemetryDropped)
    assert told[0].dropped == dropped and told[0].endpoint == url + "/v1/traces"
    reducer = RetriesReducer()
    for event in events:
        reducer.apply(event)
    assert reducer.state.telemetry_dropped == told[-1].dropped
    assert any(f"{told[-1].dropped} spans not exported" in line for line in _notes(reducer.state))


def test_cockpit_run_says_once_that_spans_are_not_reaching_the_collector():
    import io

    from rich.console import Console

    from app.agent.events.telemetry import TelemetryDropped
    from app.headless import ProgressPrinter

    out = io.StringIO()
    printer = ProgressPrinter(Console(file=out, width=200))
    printer(TelemetryDropped(dropped=3, endpoint="http://127.0.0.1:9/v1/traces"))
    printer(TelemetryDropped(dropped=7, endpoint="http://127.0.0.1:9/v1/traces"))
    assert out.getvalue().splitlines() == [
        "OpenTelemetry: 3 spans did not reach http://127.0.0.1:9/v1/traces (collector down or slow); the run goes on"]
