"""Providers that cache on their own (OpenAI, DeepSeek, Gemini's implicit cache): no breakpoint is sent,
and the cache reads they report count the same way: hit rate, dollars saved, stored per call."""

from __future__ import annotations

import pytest

from app.agent.events.cache import CacheUsage
from tests.caching.support import MapRates
from tests.core.helpers import make_session
from tests.support.openai_server import Reply, ToolCallSpec


async def test_openai_reports_its_automatic_cache_reads_and_they_are_priced_at_its_cache_rate(
        openai_server, workspace, tmp_path):
    (workspace / "a.py").write_text("x = 1\n" * 200)
    openai_server.script([Reply(tool_calls=[ToolCallSpec("read_file", {"path": "a.py"})]),
                          Reply(text="Done.", usage={"cached_tokens": 1024})])
    session, events, db = make_session("openai/gpt-4o", workspace, tmp_path / "o.db", api_base=openai_server.url)
    session.start()
    await session.run_task("read a.py")
    session.finish()

    assert all("cache_control" not in str(r.body) for r in openai_server.chat_requests)
    first, second = events.of(CacheUsage)
    assert (first.breakpoints, first.read_tokens, second.read_tokens) == (0, 0, 1024)
    assert first.saved_usd == 0.0 and second.hit_rate == pytest.approx(1024 / second.prompt_tokens)
    entry = MapRates.of("gpt-4o")
    row = db.execute("select prompt_tokens, completion_tokens, cost_usd, uncached_cost_usd, cache_saved_usd "
                     "from model_calls where id = ?", [second.call_id]).fetchone()
    uncached = row[0] * entry.input + row[1] * entry.output
    assert row[3] == pytest.approx(uncached, rel=1e-9)
    assert row[4] == pytest.approx(1024 * (entry.input - entry.read), rel=1e-9)
