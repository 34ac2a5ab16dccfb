"""Where the breakpoints go, what a prefix is made of, and what the tracker says of a call."""

from __future__ import annotations

import pytest

from app.agent.budget.layouts import Section, SystemLayouts
from app.agent.caching.breakpoints import MAX_BREAKPOINTS, place_breakpoints, supports_cache_control
from app.agent.caching.prefix import first_change, prefix_items
from app.agent.caching.tracker import CacheTracker, CallSeen
from app.agent.events.cache import (
    CAUSE_COMPACTION,
    CAUSE_ENVIRONMENT,
    CAUSE_HISTORY,
    CAUSE_SYSTEM,
    CAUSE_UNKNOWN,
    CacheMissed,
    CacheUsage,
)
from app.agent.events.core import ROLE_SUMMARY, USAGE_ESTIMATED, USAGE_PROVIDER, Usage
from app.agent.pricing import LITELLM_PRICING, NO_CACHE_PRICE, Pricing, Rate

TOOLS = [{"type": "function", "function": {"name": n, "parameters": {}}} for n in ("read_file", "bash")]


def conversation(steps: int) -> list[dict]:
    messages = [{"role": "system", "content": "You are Cockpit."}, {"role": "user", "content": "go"}]
    for n in range(steps):
        messages += [{"role": "assistant", "content": None, "tool_calls": [{"id": f"t{n}", "type": "function",
                      "function": {"name": "bash", "arguments": "{}"}}]},
                     {"role": "tool", "tool_call_id": f"t{n}", "content": f"out {n}"}]
    return messages


@pytest.mark.parametrize("model, expected", [
    ("anthropic/claude-sonnet-4-5", True), ("bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0", True),
    ("vertex_ai/claude-sonnet-4@20250514", True), ("openai/gpt-4o", False), ("bedrock/amazon.nova-pro-v1:0", False),
    ("deepseek/deepseek-chat", False), ("gemini/gemini-2.5-pro", False), ("scripted/x.json", False),
])
def test_breakpoints_are_for_the_providers_that_cache_only_where_told(model, expected):
    assert supports_cache_control(model) is expected


def test_the_last_tool_the_system_the_last_message_and_the_previous_calls_last_are_marked():
    messages = conversation(3)
    marked, tools, count = place_breakpoints(messages, TOOLS)
    assert count == MAX_BREAKPOINTS
    assert [("cache_control" in t) for t in tools] == [False, True]
    assert [i for i, m in enumerate(marked) if "cache_control" in m] == [0, len(messages) - 3, len(messages) - 1]
    assert messages == conversation(3) and TOOLS[-1].get("cache_control") is None  # the inputs are left alone


def test_without_tools_or_markable_messages_fewer_breakpoints_are_placed():
    marked, tools, count = place_breakpoints([{"role": "user", "content": "hi"}], [])
    assert (tools, count) == ([], 1) and "cache_control" in marked[0]
    marked, _, count = place_breakpoints([{"role": "assistant", "content": ""}], [])
    assert count == 0


def layouts_for(prompt: str, environment: str) -> tuple[SystemLayouts, str]:
    layouts = SystemLayouts()
    content = layouts.add([Section("system", "m0", "system", "system prompt", prompt + "\n\n"),
                           Section("system", "m0:environment", "environment", "environment", environment)])
    return layouts, content


def test_the_first_changed_item_names_the_cause():
    layouts, content = layouts_for("You are Cockpit.", "date 2026-12-01")
    base = [{"role": "system", "content": content}, *conversation(2)[1:]]
    before = prefix_items(base, TOOLS, layouts)
    assert first_change(before, prefix_items(base + [{"role": "user", "content": "more"}], TOOLS, layouts)) is None
    changed_env = layouts.add([Section("system", "m0", "system", "system prompt", "You are Cockpit.\n\n"),
                               Section("system", "m0:environment", "environment", "environment", "date 2026-12-02")])
    change = first_change(before, prefix_items([{"role": "system", "content": changed_env}, *base[1:]], TOOLS, layouts))
    # the item is named only when it says more than the cause ("environment changed (environment)" said it twice)
    assert change is not None and (change.cause, change.item) == (CAUSE_ENVIRONMENT, "")
    changed_prompt = layouts.add([Section("system", "m0", "system", "system prompt", "You are Cockpit too.\n\n"),
                                  Section("system", "m0:environment", "environment", "environment", "date 2026-12-01")])
    change = first_change(before, prefix_items([{"role": "system", "content": changed_prompt}, *base[1:]], TOOLS, layouts))
    assert change is not None and (change.cause, change.item) == (CAUSE_SYSTEM, "")
    unknown_system = [{"role": "system", "content": "Another prompt."}, *base[1:]]
    change = first_change(before, prefix_items(unknown_system, TOOLS, layouts))
    assert change is not None and (change.cause, change.item) == (CAUSE_SYSTEM, "")
    rewritten = [*base[:3], {**base[3], "content": "[result dropped]"}, *base[4:]]
    change = first_change(before, prefix_items(rewritten, TOOLS, layouts))
    assert change is not None and (change.cause, change.item) == (CAUSE_COMPACTION, "message 3")
    merged = [*base[:-1], {**base[-1], "content": base[-1]["content"] + "\n\nand more"}]
    change = first_change(before, prefix_items(merged, TOOLS, layouts))
    assert change is not None and change.cause == CAUSE_HISTORY
    change = first_change(before, prefix_items(base[:3], TOOLS, layouts))
    assert change is not None and change.cause == CAUSE_COMPACTION


def seen(n: int, usage: Usage, *, role: str = "main", model: str = "anthropic/claude-sonnet-4-5") -> CallSeen:
    cost = LITELLM_PRICING.price(model, prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens,
                                 cached_tokens=usage.cached_tokens, cache_write_tokens=usage.cache_write_tokens)
    price = LITELLM_PRICING.cache_price(model, prompt_tokens=usage.prompt_tokens, cost=cost,
                                        completion_tokens=usage.completion_tokens, cached_tokens=usage.cached_tokens,
                                        cache_write_tokens=usage.cache_write_tokens)
    return CallSeen(call_id=f"c{n}", model=model, role=role, messages=conversation(n), tools=TOOLS, usage=usage,
                    cost_usd=cost.usd, breakpoints=4, price=price, started=0.0)


def usage(prompt: int, read: int, write: int, source: str = USAGE_PROVIDER) -> Usage:
    return Usage(prompt_tokens=prompt, completion_tokens=10, cached_tokens=read, cache_write_tokens=write,
                 reported=source == USAGE_PROVIDER, source=source)


def test_the_tracker_reports_provider_counts_only_and_compares_the_conversations_calls_only():
    tracker = CacheTracker(clock=lambda: 0.0)
    assert tracker.events(seen(1, usage(5000, 0, 0, USAGE_ESTIMATED))) == []  # litellm's estimate: nothing to say
    (first,) = tracker.events(seen(1, usage(5000, 0, 5000)))
    assert isinstance(first, CacheUsage) and first.hit_rate == 0.0 and first.write_tokens == 5000
    (summary,) = tracker.events(seen(9, usage(3000, 0, 0), role=ROLE_SUMMARY))  # a side call: no comparison
    assert isinstance(summary, CacheUsage) and summary.role == ROLE_SUMMARY
    same, missed = tracker.events(seen(1, usage(5200, 4000, 200)))  # same prefix, yet less read: evicted
    assert isinstance(missed, CacheMissed) and (missed.cause, missed.missed_tokens) == (CAUSE_UNKNOWN, 1000)
    assert same.hit_rate == pytest.approx(4000 / 5200)


def test_a_model_without_cache_prices_has_unknown_cache_dollars_never_zero():
    configured = Pricing({"anthropic/claude-sonnet-4-5": Rate(3.0, 15.0)})
    cost = configured.price("anthropic/claude-sonnet-4-5", prompt_tokens=5000, cached_tokens=4000)
    assert cost.usd is not None
    assert configured.cache_price("anthropic/claude-sonnet-4-5", prompt_tokens=5000, completion_tokens=0,
                                  cached_tokens=4000, cache_write_tokens=0, cost=cost) == NO_CACHE_PRICE
    assert NO_CACHE_PRICE.miss_cost(1000, 0) is None


def test_a_message_made_of_parts_gets_its_breakpoint_on_the_last_part():
    parts = [{"type": "text", "text": "look"}, {"type": "text", "text": "here"}]
    (marked,), _, count = place_breakpoints([{"role": "user", "content": parts}], [])
    assert count == 1 and "cache_control" not in marked
    assert [("cache_control" in p) for p in marked["content"]] == [False, True] and "cache_control" not in parts[1]
