"""A provider that sends no cache field (llama.cpp's server, many OpenAI-compatible ones) has unknown cache
figures, not zero ones: stored NULL, shown "—" in the Context budget and the report (JSON null, CSV empty),
its saving unknown; one that sends ``cached_tokens: 0`` has a real 0 (0% hit). Over loopback HTTP with the
OpenAI-compatible test server, through litellm's real network path."""

from __future__ import annotations

import csv
import io
import json

import pytest
from textual.widgets import Static

from app.agent.events.cache import CacheMissed, CacheUsage
from app.agent.events.core import ModelCallFinished
from app.commands.report_view import cells
from storage.db import open_db
from storage.report import usage_report
from tests.budget.pane_app import PaneApp
from tests.budget.scenarios import state_from
from tests.core.helpers import make_session
from tests.support.cli import run_cli
from tests.support.openai_server import Reply, ToolCallSpec
from widgets.cache_lines import hit_phrases, money_phrases

MODEL = "openai/gpt-4o"  # priced by litellm's cost map: the saving could be shown, so it must say "—"
NO_CACHE_FIELD = {"cached_tokens": None}  # the test server then sends no prompt_tokens_details


def _read(usage: dict) -> Reply:
    return Reply(tool_calls=[ToolCallSpec("read_file", {"path": "a.py"})], usage=usage)


async def _run(server, workspace, db_path, replies: list[Reply]):
    (workspace / "a.py").write_text("x = 1\n" * 50)
    server.script(replies)
    session, events, db = make_session(MODEL, workspace, db_path, api_base=server.url)
    session.start()
    assert (await session.run_task("read a.py")).outcome == "completed"
    session.finish()
    return events, db


def _stored(db) -> list[tuple]:
    return db.execute("select cached_tokens, cache_write_tokens, usage_source, cache_saved_usd, cache_miss_cause "
                      "from model_calls order by started_at").fetchall()


async def test_no_cache_field_is_stored_null_and_shown_as_unknown(openai_server, workspace, tmp_path, capsys):
    db_path = tmp_path / "s.db"
    events, db = await _run(openai_server, workspace, db_path, [_read(NO_CACHE_FIELD),
                                                               Reply(text="Done.", usage=NO_CACHE_FIELD)])
    assert all("prompt_tokens_details" not in json.dumps(r.body) for r in openai_server.chat_requests)
    finished = events.of(ModelCallFinished)
    assert [(f.usage["cached_tokens"], f.usage["cache_write_tokens"]) for f in finished] == [(None, None)] * 2
    assert _stored(db) == [(None, None, "provider", None, None)] * 2  # NULL, never 0; no saving, no miss
    usages = events.of(CacheUsage)
    assert [(u.read_tokens, u.hit_rate, u.saved_usd) for u in usages] == [(None, None, None)] * 2
    assert all(u.cost_usd is not None and u.uncached_usd == pytest.approx(u.cost_usd) for u in usages)  # priced uncached
    assert not events.of(CacheMissed)

    state = state_from(list(events))
    assert not state.cache.active  # nothing cached or marked: the pane's cache section stays hidden
    assert hit_phrases(state.cache) == ["cache hit — last call", "— session"]
    assert money_phrases(state.cache) == ["saved —", "writes —"]  # not $0, not "unpriced"
    app = PaneApp(state)
    async with app.run_test(size=(60, 60)):
        assert not app.query_one("#cache", Static).display

    report = usage_report(db, by="model")
    total = report["total"]
    assert (total["cached_tokens"], total["cache_write_tokens"], total["cache_hit_rate"]) == (None, None, None)
    assert (total["cache_saved_usd"], total["tokens_in"] > 0) == (None, True)
    shown = cells(total)
    assert (shown["cached_tokens"], shown["cache_hit_rate"], shown["cache_saved_usd"]) == ("—", "—", "—")
    db.close()
    code, out, _ = run_cli(capsys, "report", "--by", "model", "--json", "--db", str(db_path))
    row = json.loads(out)["rows"][0]
    assert code == 0 and (row["cached_tokens"], row["cache_hit_rate"], row["cache_saved_usd"]) == (None, None, None)
    code, out, _ = run_cli(capsys, "report", "--by", "model", "--csv", "--db", str(db_path))
    [line] = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and (line["cached_tokens"], line["cache_write_tokens"], line["cache_hit_rate"]) == ("", "", "")
    code, out, _ = run_cli(capsys, "report", "--by", "model", "--db", str(db_path))
    assert code == 0 and " 0% " not in out and "—" in out


async def test_a_reported_zero_is_stored_zero_and_hits_zero_percent(openai_server, workspace, tmp_path):
    events, db = await _run(openai_server, workspace, tmp_path / "z.db", [_read({"cached_tokens": 0}),
                                                                          Reply(text="Done.", usage={"cached_tokens": 0})])
    assert [f.usage["cached_tokens"] for f in events.of(ModelCallFinished)] == [0, 0]
    # OpenAI reports reads, never writes: the writes stay unknown, the saving is a real $0
    assert _stored(db) == [(0, None, "provider", 0.0, None)] * 2
    state = state_from(list(events))
    assert hit_phrases(state.cache) == ["cache hit 0% last call", "0% session"]
    total = usage_report(db)["total"]
    assert (total["cached_tokens"], total["cache_hit_rate"]) == (0, 0.0)
    assert cells(total)["cache_hit_rate"] == "0%"
    db.close()


async def test_a_call_without_cache_figures_neither_dilutes_the_hit_rate_nor_misses(openai_server, workspace,
                                                                                     tmp_path):
    """Read 1,024, then a call (e.g. through a proxy) that sends no cache field, then read 0: no miss is
    looked for across the unknown call; after it the budget shows its last call "—"; the session rate
    counts only the calls that reported cache reads, and so does the report's."""
    events, db = await _run(openai_server, workspace, tmp_path / "m.db", [
        _read({"cached_tokens": 1024}), _read(NO_CACHE_FIELD), Reply(text="Done.", usage={"cached_tokens": 0})])
    finished = events.of(ModelCallFinished)
    assert [f.usage["cached_tokens"] for f in finished] == [1024, None, 0]
    assert not events.of(CacheMissed)
    first, third = finished[0].usage["prompt_tokens"], finished[2].usage["prompt_tokens"]
    after_second = state_from(list(events)[:list(events).index(finished[1]) + 1])
    assert (after_second.cache.session.read, after_second.cache.session.prompt) == (1024, first)
    app = PaneApp(after_second)
    async with app.run_test(size=(60, 60)):
        shown = str(app.query_one("#cache", Static).render())
    assert "cache hit — last call" in shown and f"{100 * 1024 / first:.0f}% session" in shown
    state = state_from(list(events))
    assert hit_phrases(state.cache) == ["cache hit 0% last call", f"{100 * 1024 / (first + third):.0f}% session"]
    assert usage_report(db)["total"]["cache_hit_rate"] == round(1024 / (first + third), 4)
    db.close()
