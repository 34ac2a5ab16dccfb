"""The cache figures in the Context budget and Retries panes: Pilot checks and SVG snapshots.

The states are folded by the panes' own reducers from a scripted session (tests/budget/scenarios.py)
followed by calls whose cache events come from the real tracker and the real pricing, so the
figures shown are what a live session would show.
"""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Static

from app.agent.caching.tracker import CacheTracker, CallSeen
from app.agent.events.core import USAGE_PROVIDER, Event, ModelCallFinished, Usage, plain
from app.agent.events.retries_view import RetriesReducer
from app.agent.pricing import LITELLM_PRICING
from tests.budget.pane_app import PaneApp
from tests.budget.scenarios import near_threshold_session, state_from
from widgets.retries_pane import RetriesPane

MODEL = "anthropic/claude-sonnet-4-5"
TOOLS = [{"type": "function", "function": {"name": "read_file", "parameters": {}}}]
SIZES = [(80, 24), (100, 30), (160, 45)]
# (prompt, completion, read, write): a cold start, two warm calls, then a call after the tool list changed.
CALLS = [(6_000, 200, 0, 6_000), (6_900, 150, 6_000, 900), (7_700, 120, 6_900, 800), (8_400, 100, 0, 8_400)]


def cache_events() -> list[Event]:
    tracker = CacheTracker(clock=lambda: 0.0)
    events: list[Event] = []
    messages = [{"role": "system", "content": "You are Cockpit."}, {"role": "user", "content": "go"}]
    for n, (prompt, completion, read, write) in enumerate(CALLS, start=1):
        usage = Usage(prompt_tokens=prompt, completion_tokens=completion, cached_tokens=read, cache_write_tokens=write,
                      reported=True, source=USAGE_PROVIDER)
        cost = LITELLM_PRICING.price(MODEL, prompt_tokens=prompt, completion_tokens=completion, cached_tokens=read,
                                     cache_write_tokens=write)
        price = LITELLM_PRICING.cache_price(MODEL, prompt_tokens=prompt, completion_tokens=completion,
                                            cached_tokens=read, cache_write_tokens=write, cost=cost)
        tools = TOOLS if n < 4 else TOOLS + [{"type": "function", "function": {"name": "bash", "parameters": {}}}]
        messages = [*messages, {"role": "assistant", "content": f"step {n}"}, {"role": "user", "content": "more"}]
        events.append(ModelCallFinished(call_id=f"c{n}", model=MODEL, usage=plain(usage), cost_usd=cost.usd,
                                        cost_source=cost.source))
        events += tracker.events(CallSeen(call_id=f"c{n}", model=MODEL, role="main", messages=messages, tools=tools,
                                          usage=usage, cost_usd=cost.usd, breakpoints=4, price=price, started=0.0))
    return events


async def budget_events() -> list[Event]:
    recorder, _budget, _messages = await near_threshold_session()
    return [*recorder.events, *cache_events()]


class RetriesApp(App[None]):
    def __init__(self, events: list[Event]) -> None:
        super().__init__()
        reducer = RetriesReducer()
        for event in events:
            reducer.apply(event)
        self.state = reducer.state

    def compose(self) -> ComposeResult:
        yield RetriesPane(self.state, clock=lambda: 0.0, format_time=lambda ts: "00:00:00")


async def test_the_budget_pane_shows_hit_rates_savings_the_fixed_part_and_the_last_miss() -> None:
    events = await budget_events()
    state = state_from(events)
    cache = state.cache
    read, prompt = sum(c[2] for c in CALLS), sum(c[0] for c in CALLS)
    assert (cache.session.read, cache.session.prompt) == (read, prompt)
    assert cache.miss_count == 1 and cache.last_miss is not None and cache.last_miss.item == ""
    app = PaneApp(state)
    async with app.run_test(size=(60, 60)):
        shown = str(app.query_one("#cache", Static).render())
    assert f"{100 * read / prompt:.0f}% session" in shown and "cache hit 0% last call" in shown
    # said once: the item "tools" adds nothing to "tool list changed"
    assert "last miss: tool list changed · 7.7k tokens not read · $" in shown  # 6,900 read + 800 written before
    assert "(tools)" not in shown
    assert "saved $" in shown and "writes $" in shown and "(est.)" in shown


async def test_the_budget_pane_says_nothing_of_a_cache_where_nothing_was_cached() -> None:
    recorder, _budget, _messages = await near_threshold_session()
    app = PaneApp(state_from(recorder.events))
    async with app.run_test(size=(60, 60)):
        assert not app.query_one("#cache", Static).display


async def test_the_retries_pane_counts_the_misses_and_their_cost() -> None:
    app = RetriesApp(cache_events())
    async with app.run_test(size=(120, 30)):
        summary = app.query_one("#retries-summary", Static).content.plain
    miss = app.state.cache.last_miss
    assert miss is not None and miss.cost_usd is not None and miss.cost_usd > 0
    assert f"Cache   1 miss · ${miss.cost_usd:.4f} · last: tool list changed" in summary and "(tools)" not in summary


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot_budget_pane_with_a_cache(snap_compare, size) -> None:
    import asyncio

    events = asyncio.run(budget_events())
    assert snap_compare(PaneApp(state_from(events)), terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot_retries_pane_with_a_cache_miss(snap_compare, size) -> None:
    assert snap_compare(RetriesApp(cache_events()), terminal_size=size)
