"""Cost honesty: a call nobody has a price for is "unpriced" everywhere, never $0.

Through the real loop and real HTTP on loopback (an OpenAI-compatible server, as
vLLM, llama.cpp or LM Studio would be), through the store, ``cockpit show``,
``--json``, ``cockpit run`` and imports of other agents' sessions.
"""

from __future__ import annotations

import json

import pytest

from app.agent.events import core as ev
from app.agent.events.format import cost
from app.agent.pricing import LITELLM_PRICING, Pricing, Rate
from app.cli import main
from app.settings import Settings
from app.import_analysis import enrich
from storage.importers import import_path
from storage.queries import session_summary
from tests.core.helpers import make_session
from tests.support.openai_server import Reply
from tests.support.session_files import CLAUDE_SHORT
from tests.support.store import store_events

UNKNOWN_MODEL = "openai/my-local-qwen"  # what a local server calls its model: no price anywhere
PRICED_MODEL = "openai/gpt-4o-mini"  # litellm's cost map knows it, even behind an api_base
WARNING = "The cost limit cannot be enforced: openai/my-local-qwen has no price in litellm's cost map"


async def run(model, server_url, workspace, db_path, settings=None):
    session, events, db = make_session(model, workspace, db_path, api_base=server_url, settings=settings)
    session.start()
    result = await session.run_task("hello")
    session.finish()
    return result, events, db


def show(capsys, db_path, *extra):
    capsys.readouterr()
    assert main(["show", "latest", "--db", str(db_path), *extra]) == 0
    return capsys.readouterr().out


async def test_a_model_without_a_price_is_unpriced_in_the_event_the_row_show_and_json(
    capsys, openai_server, workspace, tmp_path
):
    openai_server.script([Reply(text="Hi.")])
    result, events, db = await run(UNKNOWN_MODEL, openai_server.url, workspace, tmp_path / "u.db")
    assert result.outcome == "completed"
    [call] = events.of(ev.ModelCallFinished)
    assert (call.cost_usd, call.cost_source) == (None, None)
    assert call.usage["prompt_tokens"] > 0  # it did cost tokens: the price is what is unknown
    row = db.execute("select cost_usd, cost_source, prompt_tokens from model_calls").fetchone()
    assert row[:2] == (None, None) and row[2] > 0
    # The default cost limit ($5) cannot hold this model: said once, as the session starts.
    assert [n.message for n in events.of(ev.Notice) if "cost limit" in n.message] == [
        WARNING + '; set [pricing."openai/my-local-qwen"] input_per_mtok / output_per_mtok in the config '
        "or use --max-steps."]
    shown = show(capsys, tmp_path / "u.db")
    cost_line = next(line for line in shown.splitlines() if line.startswith("cost "))
    assert "unpriced" in cost_line and "$" not in cost_line
    assert f"{call.usage['prompt_tokens']:,} in" in cost_line  # the tokens beside it
    data = json.loads(show(capsys, tmp_path / "u.db", "--json"))
    assert (data["cost_usd"], data["unpriced_calls"], data["cost_sources"]) == (None, 1, None)


async def test_a_priced_model_behind_an_api_base_still_gets_litellms_number(capsys, openai_server, workspace, tmp_path):
    openai_server.script([Reply(text="Hi.")])
    _, events, db = await run(PRICED_MODEL, openai_server.url, workspace, tmp_path / "p.db")
    [call] = events.of(ev.ModelCallFinished)
    assert call.cost_source == ev.COST_LITELLM and call.cost_usd is not None and call.cost_usd > 0
    assert not [n for n in events.of(ev.Notice) if "cost limit" in n.message]
    assert db.execute("select cost_usd, cost_source from model_calls").fetchone() == (call.cost_usd, "litellm")
    cost_line = next(line for line in show(capsys, tmp_path / "p.db").splitlines() if line.startswith("cost "))
    assert "$0.0" in cost_line and "(litellm's cost map)" in cost_line and "unpriced" not in cost_line


def test_cockpit_run_says_the_limit_cannot_be_enforced_and_the_summary_says_unpriced(
    capsys, openai_server, workspace, tmp_path
):
    openai_server.script([Reply(text="Hi.")])
    code = main(["run", "hello", "--model", UNKNOWN_MODEL, "--api-base", openai_server.url, "--max-cost", "1",
                 "--workspace", str(workspace), "--db", str(tmp_path / "h.db")])
    out = capsys.readouterr().out
    assert code == 0
    flat = " ".join(out.split())  # rich wraps at the terminal's width
    assert WARNING in flat
    summary = flat[flat.index("completed ·"):]
    assert "out tokens · unpriced ·" in summary and "$" not in summary


def test_a_session_with_some_unpriced_calls_shows_the_partial_sum_and_the_count(capsys, db, tmp_path):
    def call(n, cost_usd, source):
        return ev.ModelCallFinished(call_id=f"c{n}", turn=1, step=n, model="m", cost_usd=cost_usd, cost_source=source,
                                    usage={"prompt_tokens": 100, "completion_tokens": 10, "reported": True})

    store_events(db, [ev.SessionStarted(model="m", workspace="/w"), ev.TurnStarted(turn=1, user_text="go"),
                      call(1, 0.0125, ev.COST_LITELLM), call(2, None, None), call(3, None, None),
                      ev.ModelCallFinished(call_id="c4", turn=1, step=4, model="m", status=ev.CallStatus.ERROR)],
                 session_id="mixed")
    s = session_summary(db, "mixed")
    assert (s["cost_usd"], s["unpriced_calls"], s["cost_sources"]) == (0.0125, 2, "litellm")  # the failed call: not unpriced
    assert cost(s["cost_usd"], unpriced=s["unpriced_calls"]) == "$0.0125 + 2 unpriced"
    view = db.execute("select cost_usd, unpriced_calls from session_summary where session_id = 'mixed'").fetchone()
    assert view == (0.0125, 2)


def test_an_imported_claude_code_session_is_priced_from_its_model_name(db):
    result = import_path(db, CLAUDE_SHORT, enrich=enrich)
    rows = db.execute("select model, cost_usd, cost_source, prompt_tokens, completion_tokens, cached_tokens, "
                      "cache_write_tokens from model_calls where session_id = ? and status = 'ok'",
                      [result.session_id]).fetchall()
    assert rows and {r[0] for r in rows} == {"claude-opus-4-5-20251101"}
    for _, usd, source, prompt, completion, cached, written in rows:
        expected = LITELLM_PRICING.price("claude-opus-4-5-20251101", prompt_tokens=prompt, completion_tokens=completion,
                                         cached_tokens=cached, cache_write_tokens=written)
        assert (usd, source) == (pytest.approx(expected.usd), ev.COST_MODEL_NAME) and usd > 0
    s = session_summary(db, result.session_id)
    assert s["unpriced_calls"] == 0 and s["cost_sources"] == "model_name" and s["cost_usd"] > 0


def test_an_imported_session_of_a_model_litellm_does_not_know_stays_unpriced(db, tmp_path):
    text = CLAUDE_SHORT.read_text(encoding="utf-8").replace("claude-opus-4-5-20251101", "claude-nobody-knows-9")
    (tmp_path / "renamed.jsonl").write_text(text, encoding="utf-8")
    result = import_path(db, tmp_path / "renamed.jsonl", enrich=enrich)
    s = session_summary(db, result.session_id)
    assert s["cost_usd"] is None and s["unpriced_calls"] == s["model_calls"] - s["model_call_errors"] > 0


async def test_a_pricing_table_in_the_config_prices_a_local_model_and_says_so(capsys, openai_server, workspace, tmp_path):
    openai_server.script([Reply(text="Hi.")])
    settings = Settings(pricing={UNKNOWN_MODEL: {"input_per_mtok": 1.0, "output_per_mtok": 2.0}})
    _, events, _ = await run(UNKNOWN_MODEL, openai_server.url, workspace, tmp_path / "c.db", settings)
    [call] = events.of(ev.ModelCallFinished)
    prompt, completion = call.usage["prompt_tokens"], call.usage["completion_tokens"]
    assert call.cost_source == ev.COST_CONFIGURED
    assert call.cost_usd == pytest.approx((prompt * 1.0 + completion * 2.0) / 1_000_000)
    assert not [n for n in events.of(ev.Notice) if "cost limit" in n.message]  # the limit can count it now
    cost_line = next(line for line in show(capsys, tmp_path / "c.db").splitlines() if line.startswith("cost "))
    assert "(configured in [pricing])" in cost_line


def test_configured_rates_price_a_local_model_and_say_so():
    pricing = Pricing({UNKNOWN_MODEL: Rate(input_per_mtok=0.5, output_per_mtok=1.5)})
    assert pricing.source_for(UNKNOWN_MODEL) == ev.COST_CONFIGURED
    price = pricing.price(UNKNOWN_MODEL, prompt_tokens=2_000_000, completion_tokens=1_000_000)
    assert (price.usd, price.source) == (2.5, ev.COST_CONFIGURED)
    assert LITELLM_PRICING.price("scripted/demo.json", prompt_tokens=10).usd is None  # offline: not a real model
    assert LITELLM_PRICING.price("ollama/llama3", prompt_tokens=10).usd is None  # litellm lists it at $0
