"""``cockpit export-otel``: stored sessions sent after the fact make the tree a live export makes."""

from __future__ import annotations

from app.settings import Settings
from tests.support.cli import run_cli
from tests.telemetry.receiver import Receiver
from tests.telemetry.test_live_export import check_tree, list_and_delegate, run_session


async def test_a_stored_session_and_its_child_are_sent_after_the_fact(openai_server, workspace, tmp_path, capsys,
                                                                       monkeypatch):
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    list_and_delegate(openai_server, workspace)
    settings = Settings(agent={"subagents": True})  # no export while it ran
    _, session, db = await run_session(openai_server, workspace, tmp_path, settings, "count the files")
    with Receiver() as receiver:
        code, _, err = run_cli(capsys, "export-otel", session.id[:8], "--endpoint", receiver.url,
                               "--db", str(tmp_path / "c.db"))
        assert code == 0, err
        assert "(2 sessions)" in err and f"to {receiver.url}/v1/traces" in err
        check_tree(receiver.spans, session.id, db)


def test_an_imported_child_without_a_task_call_goes_under_its_parents_run(db, tmp_path, capsys):
    from tests.support.store import store_events
    from app.agent.events import core as ev

    parent = [ev.SessionStarted(session_id="p1", model="m", ts=1.0), ev.TurnStarted(session_id="p1", turn=1, ts=1.1),
              ev.TurnFinished(session_id="p1", turn=1, ts=3.0), ev.SessionFinished(session_id="p1", ts=3.1)]
    child = [ev.SessionStarted(session_id="c1", model="m", ts=1.5, parent_id="p1", source="claude_code"),
             ev.ModelCallFinished(session_id="c1", call_id="x", model="m", latency_ms=200, ts=2.0,
                                  usage={"prompt_tokens": 5, "completion_tokens": 2, "source": "provider"})]
    for events in (parent, child):
        for seq, e in enumerate(events, 1):
            e.seq = seq
        store_events(db, events)
    db["sessions"].update("c1", {"parent_id": "p1"})
    with Receiver() as receiver:
        code, _, err = run_cli(capsys, "export-otel", "p1", "--endpoint", receiver.url, "--db", str(tmp_path / "cockpit.db"))
        assert code == 0, err
        spans = {s.name + ":" + str(s.attributes.get("gen_ai.conversation.id", "")): s for s in receiver.spans}
    root, sub = spans["invoke_agent cockpit:p1"], spans["invoke_agent cockpit:c1"]
    assert sub.parent_id == root.span_id and sub.trace_id == root.trace_id
    [chat] = [s for s in receiver.spans if s.name == "chat m"]
    assert chat.parent_id == sub.span_id and chat.attributes["gen_ai.usage.input_tokens"] == 5
    assert chat.end_ns - chat.start_ns == 200_000_000  # an import's call spans its latency


def test_without_a_collector_it_says_how_to_name_one(capsys, monkeypatch):
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    code, _, err = run_cli(capsys, "export-otel", "latest")
    assert code == 2 and "OTEL_EXPORTER_OTLP_ENDPOINT" in err


def test_a_collector_that_is_down_fails_the_command_and_says_how_many_spans(db, tmp_path, capsys):
    from tests.support.store import store_events
    from app.agent.events import core as ev

    store_events(db, [ev.SessionStarted(model="m"), ev.SessionFinished()], session_id="s1")
    url = Receiver.down_url()
    code, _, err = run_cli(capsys, "export-otel", "s1", "--endpoint", url, "--db", str(tmp_path / "cockpit.db"))
    assert code == 1 and "sent 0 of 1 spans" in err and "1 spans did not reach the collector" in err
