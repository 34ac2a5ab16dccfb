"""The router through the real loop: the rule table, the router model, and what a class gets."""

from __future__ import annotations

import json

from app.agent.events.roles import BY_DEFAULT, BY_MODEL, BY_RULES, RouteChosen
from app.agent.events.transcript_view import TranscriptFold
from app.tui.session_files import stored_events
from tests.roles.support import GENERATOR, ROUTER, STRONGER, ByModel, open_session
from tests.support.openai_server import Reply


def router_config(url: str, **extra) -> dict:
    classes = {"debugging": {"model": STRONGER, "api_base": url, "max_steps": 7}}
    return {"router": {"enabled": True, "classes": classes, **extra}}


async def test_the_rule_table_routes_a_debugging_task_to_its_model_and_the_next_task_back(openai_server, workspace,
                                                                                           tmp_path):
    models = ByModel(openai_server)
    models.script(STRONGER, [Reply(text="Found it.")])
    models.script(GENERATOR, [Reply(text="It parses the config.")])
    session, events, db = open_session(workspace, tmp_path / "c.db", openai_server.url, router_config(openai_server.url))

    await session.run_task("fix the crash in parse()")
    await session.run_task("what does load() do?")

    debugging, question = events.of(RouteChosen)
    assert (debugging.task_class, debugging.decided_by, debugging.model, debugging.max_steps) == (
        "debugging", BY_RULES, STRONGER, 7)
    assert "crash" in debugging.reason and not debugging.called_model and debugging.cost_usd is None
    assert (question.task_class, question.decided_by, question.model) == ("question", BY_RULES, GENERATOR)
    assert question.max_steps == 50  # the session's own again
    assert len(models.requests_to(STRONGER)) == 1 and len(models.requests_to(GENERATOR)) == 1
    assert session.agent.model.name == GENERATOR and session.agent.config.max_steps == 50


async def test_the_router_model_decides_when_no_rule_matches_and_its_call_is_counted(openai_server, workspace, tmp_path):
    models = ByModel(openai_server)
    models.script(ROUTER, [Reply(text=json.dumps({"class": "debugging", "reason": "sounds like a fault"}))])
    models.script(STRONGER, [Reply(text="Looked.")])
    session, events, db = open_session(workspace, tmp_path / "c.db", openai_server.url,
                                       router_config(openai_server.url, model=ROUTER, api_base=openai_server.url))

    await session.run_task("the widget thing again")

    (route,) = events.of(RouteChosen)
    assert (route.task_class, route.decided_by, route.reason, route.called_model) == (
        "debugging", BY_MODEL, "sounds like a fault", True)
    (router_cost,) = db.execute("select cost_usd from model_calls where role = 'router'").fetchone()
    assert route.cost_usd is not None and route.cost_usd == router_cost
    router_request = models.requests_to(ROUTER)[0]
    assert router_request.body["max_tokens"] == 200  # the router's own limit
    assert "tools" not in router_request.body  # no tools for a classifier


async def test_an_unusable_router_reply_falls_back_to_the_default_class_and_says_why(openai_server, workspace, tmp_path):
    models = ByModel(openai_server)
    models.script(ROUTER, [Reply(text="I think it is debugging")])
    models.script(GENERATOR, [Reply(text="ok")])
    session, events, db = open_session(workspace, tmp_path / "c.db", openai_server.url,
                                       router_config(openai_server.url, model=ROUTER, api_base=openai_server.url))

    result = await session.run_task("the widget thing again")

    assert result.outcome == "completed"
    (route,) = events.of(RouteChosen)
    assert (route.task_class, route.decided_by, route.model) == ("small_edit", BY_DEFAULT, GENERATOR)
    assert route.reason.startswith("the router's reply was unusable: not a JSON object")


async def test_the_route_is_one_transcript_line_live_and_from_the_store(openai_server, workspace, tmp_path):
    models = ByModel(openai_server)
    models.script(STRONGER, [Reply(text="Found it.")])
    session, events, db = open_session(workspace, tmp_path / "c.db", openai_server.url, router_config(openai_server.url))

    await session.run_task("debug the failing test")

    live = TranscriptFold.of(events).entries
    stored = TranscriptFold.of(stored_events(db, session.id)).entries
    lines = [e.text for e in live if e.text.startswith("Routed:")]
    assert lines == [f"Routed: debugging (rules) → {STRONGER}, 7 steps · no model call"]
    assert [(e.kind, e.text, e.detail) for e in live] == [(e.kind, e.text, e.detail) for e in stored]


async def test_a_failed_router_call_goes_through_the_retry_layer_and_the_task_runs_on_the_default(
        openai_server, workspace, tmp_path):
    from app.agent.events.resilience import AttemptFailed
    from tests.support.openai_server import Fault

    models = ByModel(openai_server)
    models.script(ROUTER, [Fault.unauthorized()])
    models.script(GENERATOR, [Reply(text="ok")])
    session, events, db = open_session(workspace, tmp_path / "c.db", openai_server.url,
                                       router_config(openai_server.url, model=ROUTER, api_base=openai_server.url))

    result = await session.run_task("the widget thing again")

    assert result.outcome == "completed" and result.answer == "ok"
    (route,) = events.of(RouteChosen)
    assert route.decided_by == BY_DEFAULT and route.reason.startswith("the router call failed")
    assert route.called_model and route.cost_usd is None
    (failed,) = events.of(AttemptFailed)
    assert failed.decision == "stop"
    assert db.execute("select role, status from model_calls order by rowid").fetchall() == [
        ("router", "error"), ("main", "ok")]


async def test_a_class_step_limit_holds_for_its_turn(openai_server, workspace, tmp_path):
    from tests.support.openai_server import ToolCallSpec

    models = ByModel(openai_server)
    models.script(GENERATOR, [Reply(tool_calls=[ToolCallSpec("read_file", {"path": "a.py"})])])
    session, events, db = open_session(workspace, tmp_path / "c.db", openai_server.url,
                                       {"router": {"enabled": True, "classes": {"debugging": {"max_steps": 1}}}})

    result = await session.run_task("debug the crash")

    assert result.outcome == "limit" and "step limit reached (1 model calls)" in result.message
    (route,) = events.of(RouteChosen)
    assert (route.max_steps, route.class_sets, route.model) == (1, ["max_steps"], GENERATOR)
    assert session.agent.config.max_steps == 1  # until the next task starts from the session's own


async def test_a_class_output_limit_keeps_the_sessions_model_where_it_is_served(openai_server, workspace, tmp_path):
    models = ByModel(openai_server)
    models.script(GENERATOR, [Reply(text="A parser.")])
    session, events, db = open_session(workspace, tmp_path / "c.db", openai_server.url,
                                       {"router": {"enabled": True, "classes": {"question": {"max_output_tokens": 300}}}})

    await session.run_task("what is this?")

    (request,) = models.requests_to(GENERATOR)
    assert request.body["max_tokens"] == 300
    (route,) = events.of(RouteChosen)
    assert (route.class_sets, route.max_output_tokens, route.model) == (["max_output_tokens"], 300, GENERATOR)
