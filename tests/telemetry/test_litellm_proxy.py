"""Cockpit behind a LiteLLM proxy (``litellm_proxy/NAME`` or ``openai/NAME`` with ``--api-base`` and
the proxy's key), against a loopback server that answers as the proxy does: its retries and its
spend, from its response headers, reach the events, the database, the Retries pane and the spans."""

from __future__ import annotations

import pytest

from app.agent.events import core as ev
from app.agent.events.retries_view import RetriesReducer
from app.settings import Settings
from tests.core.helpers import make_session
from tests.support.openai_server import Fault, Reply
from widgets.retries_pane import _notes

KEY = "sk-team-" + "k" * 24
PROXY_HEADERS = {"x-litellm-attempted-retries": "2", "x-litellm-max-retries": "2",
                 "x-litellm-response-cost": "0.00042", "x-litellm-key-spend": "1.25",
                 "x-litellm-call-id": "c-1", "x-litellm-model-group": "team-model"}


@pytest.mark.parametrize("model", ["litellm_proxy/team-model", "openai/team-model"])
async def test_the_proxys_key_retries_and_spend_are_seen(openai_server, workspace, tmp_path, monkeypatch, model):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    openai_server.script([Reply(text="done", headers=PROXY_HEADERS)])
    session, events, db = make_session(model, workspace, tmp_path / "c.db", settings=Settings(),
                                       api_base=openai_server.url)
    session.start()
    assert (await session.run_task("hi")).outcome == "completed"
    session.finish()
    [request] = [r for r in openai_server.requests if r.method == "POST"]
    assert request.headers["authorization"] == f"Bearer {KEY}" and request.body["model"] == "team-model"
    [call] = events.of(ev.ModelCallFinished)
    # A name litellm has no price for: the proxy's count, said as the proxy's.
    assert call.cost_usd == 0.00042 and call.cost_source == ev.COST_PROXY
    assert call.upstream_retries == 2 and call.proxy_key_spend_usd == 1.25
    row = db.execute("select cost_usd, cost_source, upstream_retries from model_calls").fetchone()
    assert tuple(row) == (0.00042, "proxy", 2)
    reducer = RetriesReducer()
    for event in events:
        reducer.apply(event)
    notes = _notes(reducer.state)
    assert any("retried upstream 2×" in line for line in notes)
    assert any("key spend $1.25" in line for line in notes)


async def test_a_price_cockpit_has_stays_and_a_proxy_without_spend_headers_is_unknown(
        openai_server, workspace, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    openai_server.script([Reply(text="one", headers={"x-litellm-response-cost": "9.0"}), Reply(text="two")])
    session, events, _ = make_session("openai/gpt-4o", workspace, tmp_path / "c.db", settings=Settings(),
                                      api_base=openai_server.url)
    session.start()
    await session.run_task("first")
    await session.run_task("second")
    session.finish()
    first, second = events.of(ev.ModelCallFinished)
    assert first.cost_source == ev.COST_LITELLM and first.cost_usd != 9.0  # litellm's map, as before
    assert second.proxy_key_spend_usd is None
    reducer = RetriesReducer()
    for event in events:
        reducer.apply(event)
    assert not any("key spend" in line for line in _notes(reducer.state))  # unknown: no line, never $0


async def test_a_key_over_its_budget_stops_the_task_with_the_proxys_reason(openai_server, workspace, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    message = "Budget has been exceeded! Current cost: 10.2, Max budget: 10.0"
    openai_server.script([Fault(status=400, body={"error": {"message": message, "type": "budget_exceeded",
                                                            "param": None, "code": "400"}})])
    session, events, _ = make_session("litellm_proxy/team-model", workspace, tmp_path / "c.db", settings=Settings(),
                                      api_base=openai_server.url)
    session.start()
    result = await session.run_task("hi")
    session.finish()
    assert result.outcome == "failed"
    posts = [r for r in openai_server.requests if r.method == "POST"]
    assert len(posts) == 1  # over budget is no transient error: not retried
    [call] = events.of(ev.ModelCallFinished)
    assert "Budget has been exceeded" in (call.error_message or "")
