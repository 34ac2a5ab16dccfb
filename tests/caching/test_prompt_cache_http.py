"""Prompt caching over real HTTP: a Cockpit session talks to Anthropic's Messages API on loopback.

The server keeps a prompt cache the way Anthropic documents it (tests/support/anthropic_server.py):
what it reports as read and written is what the breakpoints Cockpit placed earn, so these tests
check the breakpoints, the prefix's byte-identity between calls, the figures stored for each call
against an independent computation from litellm's cost map, and the cause named for a miss.
"""

from __future__ import annotations

import pytest

from app.agent.events import core as ev
from app.agent.events.budget import CompactionPerformed
from app.agent.events.cache import CAUSE_COMPACTION, CAUSE_INSTRUCTIONS, CAUSE_TOOLS, CAUSE_TTL, CacheMissed, CacheUsage
from app.settings import Settings
from tests.caching.support import MapRates, start_session
from tests.support.anthropic_server import AnthropicServer, breakpoint_count, prefix_bytes, prompt_blocks
from tests.support.openai_server import Reply, ToolCallSpec


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    with AnthropicServer() as running:
        yield running


def reads_two_files() -> list[Reply]:
    return [Reply(text="Reading.", tool_calls=[ToolCallSpec("read_file", {"path": "a.py"})]),
            Reply(tool_calls=[ToolCallSpec("read_file", {"path": "b.py"})]),
            Reply(text="Both files read.")]


@pytest.fixture
def files(workspace):
    (workspace / "a.py").write_text("def a():\n    return 1\n" * 40)
    (workspace / "b.py").write_text("def b():\n    return 2\n" * 40)
    return workspace


async def test_breakpoints_keep_the_prefix_identical_and_every_call_reads_the_last_ones_cache(server, files, tmp_path):
    server.script(reads_two_files())
    session, events, db = start_session(server, files, tmp_path / "c.db")
    await session.run_task("read a.py and b.py")
    session.finish()

    bodies = [r.body for r in server.requests]
    assert len(bodies) == 3
    for body in bodies:
        assert "cache_control" in body["tools"][-1]
        assert "cache_control" in body["system"][-1]
        assert 3 <= breakpoint_count(body) <= 4
        assert all("cache_control" not in tool for tool in body["tools"][:-1])
    for before, after in zip(bodies, bodies[1:]):
        n = len(prompt_blocks(before))
        assert prefix_bytes(after, n) == prefix_bytes(before, n)  # the whole previous prompt, byte for byte
    caches = [r.cache for r in server.requests]
    assert caches[0].read == 0 and caches[0].write > 0
    for before, after in zip(caches, caches[1:]):
        assert after.read == before.read + before.write  # everything the previous call cached is read back
    assert not events.of(CacheMissed)


async def test_each_calls_cache_figures_are_stored_as_the_provider_reported_and_priced_as_the_cost_map_says(
        server, files, tmp_path):
    server.script(reads_two_files())
    session, events, db = start_session(server, files, tmp_path / "c.db")
    await session.run_task("read a.py and b.py")
    session.finish()

    rates = MapRates.of()
    rows = list(db.query("""select prompt_tokens, completion_tokens, cached_tokens, cache_write_tokens, cost_usd,
                                   uncached_cost_usd, cache_saved_usd, cache_write_usd, cache_breakpoints
                            from model_calls where role = 'main' order by started_at"""))
    assert len(rows) == 3
    for row, request in zip(rows, server.requests):
        c = request.cache
        assert (row["cached_tokens"], row["cache_write_tokens"]) == (c.read, c.write)
        assert row["prompt_tokens"] == c.read + c.write + c.uncached
        cost = rates.cost(row["prompt_tokens"], row["completion_tokens"], c.read, c.write)
        uncached = rates.uncached(row["prompt_tokens"], row["completion_tokens"])
        assert row["cost_usd"] == pytest.approx(cost, rel=1e-9)
        assert row["uncached_cost_usd"] == pytest.approx(uncached, rel=1e-9)
        assert row["cache_saved_usd"] == pytest.approx(uncached - cost, rel=1e-9)
        assert row["cache_write_usd"] == pytest.approx(c.write * rates.write, rel=1e-9)
        assert row["cache_breakpoints"] == breakpoint_count(request.body)
    assert rows[0]["cache_saved_usd"] < 0 < rows[1]["cache_saved_usd"]  # the first call pays for the writes
    assert len(events.of(CacheUsage)) == 3


async def test_a_changed_tool_list_is_named_as_the_cause_of_the_next_miss_with_what_it_cost(server, files, tmp_path):
    server.script([*reads_two_files(), Reply(text="Again.")])
    session, events, db = start_session(server, files, tmp_path / "c.db")
    await session.run_task("read a.py and b.py")
    session.agent.tools.disable(["bash"])
    await session.run_task("and now?")
    session.finish()

    (miss,) = events.of(CacheMissed)
    assert (miss.cause, miss.item) == (CAUSE_TOOLS, "")  # the item is named only when it adds to the cause
    before, after = server.requests[2].cache, server.requests[3].cache
    assert after.read == 0 and miss.expected_tokens == before.read + before.write
    assert miss.missed_tokens == miss.expected_tokens
    rates = MapRates.of()
    rewritten = min(miss.missed_tokens, after.write)
    expected = rewritten * (rates.write - rates.read) + (miss.missed_tokens - rewritten) * (rates.input - rates.read)
    assert miss.cost_usd == pytest.approx(expected, rel=1e-9)
    row = db.execute("select cache_miss_cause, cache_miss_item, cache_missed_tokens, cache_miss_usd from model_calls "
                     "where id = ?", [miss.call_id]).fetchone()
    assert row[:3] == (CAUSE_TOOLS, "", miss.missed_tokens) and row[3] == pytest.approx(expected, rel=1e-9)


async def test_a_compaction_is_named_as_the_cause_of_the_next_miss(server, files, tmp_path):
    server.script([*reads_two_files(), Reply(text="Again.")])
    session, events, db = start_session(server, files, tmp_path / "c.db")
    await session.run_task("read a.py and b.py")
    first_result = events.of(ev.ToolCallFinished)[0].tool_call_id
    index = next(i for i, m in enumerate(session.agent.messages) if m.get("tool_call_id") == first_result)
    assert session.agent.drop_item(first_result)  # the Context pane's drop: a manual compaction
    await session.run_task("and now?")
    session.finish()

    assert events.of(CompactionPerformed)
    (miss,) = events.of(CacheMissed)
    assert (miss.cause, miss.item) == (CAUSE_COMPACTION, f"message {index}")
    after = server.requests[3].cache
    assert 0 < after.read < miss.expected_tokens  # what comes before the dropped result is still read


async def test_an_edited_instruction_file_is_named_as_the_cause(server, files, tmp_path):
    (files / "AGENTS.md").write_text("Use tabs.\n")
    server.script([*reads_two_files(), Reply(text="Again.")])
    session, events, db = start_session(server, files, tmp_path / "c.db")
    await session.run_task("read a.py and b.py")
    (files / "AGENTS.md").write_text("Use spaces.\n")
    session.reload_instructions()
    await session.run_task("and now?")
    session.finish()

    (miss,) = events.of(CacheMissed)
    assert miss.cause == CAUSE_INSTRUCTIONS and miss.item == "instructions: AGENTS.md"


async def test_an_idle_gap_longer_than_the_cache_lives_is_named_as_expiry(server, files, tmp_path):
    server.script([*reads_two_files(), Reply(text="Again.")])
    session, events, db = start_session(server, files, tmp_path / "c.db")
    now = [1000.0]
    session.agent.calls.cache.clock = lambda: now[0]
    await session.run_task("read a.py and b.py")
    now[0] += 400
    server.advance(400)
    await session.run_task("and now?")
    session.finish()

    (miss,) = events.of(CacheMissed)
    assert miss.cause == CAUSE_TTL and miss.item == "" and miss.idle_s == 400


async def test_prompt_cache_false_sends_no_breakpoint(server, files, tmp_path):
    server.script(reads_two_files())
    settings = Settings(agent={"prompt_cache": False})
    session, events, db = start_session(server, files, tmp_path / "c.db", settings=settings)
    await session.run_task("read a.py and b.py")
    session.finish()

    assert [breakpoint_count(r.body) for r in server.requests] == [0, 0, 0]
    assert [r.cache.read + r.cache.write for r in server.requests] == [0, 0, 0]
