"""Cache figures a provider did not send are unknown, not 0: priced as uncached input with the saving
unknown, never compared for a miss, and read from old events that stored 0 as they were; importers keep a
source's recorded counts (0 included) and store None where the source records no cache field."""

from __future__ import annotations

import pytest

from app.agent.caching.tracker import CacheTracker, CallSeen
from app.agent.events.cache import CacheMissed
from app.agent.events.cache_view import CacheState
from app.agent.events.core import USAGE_PROVIDER, ModelCallFinished, Usage, event_from_dict
from app.agent.pricing import LITELLM_PRICING
from storage.importers import aider, claude_code, codex_cli, gemini_cli, opencode, openhands

MODEL = "anthropic/claude-sonnet-4-5"


def _price(read: int | None, write: int | None):
    cost = LITELLM_PRICING.price(MODEL, prompt_tokens=5_000, completion_tokens=100, cached_tokens=read,
                                 cache_write_tokens=write)
    return cost, LITELLM_PRICING.cache_price(MODEL, prompt_tokens=5_000, completion_tokens=100, cached_tokens=read,
                                             cache_write_tokens=write, cost=cost)


def test_unknown_reads_price_as_uncached_input_and_their_saving_is_unknown():
    cost, price = _price(None, None)
    assert cost.usd == pytest.approx(price.uncached_usd) and cost.usd == _price(0, 0)[0].usd
    assert (price.saved_usd, price.write_usd) == (None, None)  # "—", not $0
    assert price.read_rate is not None  # the rates stay known: the fixed part can still be priced uncached
    _, zero = _price(0, 0)
    assert (zero.saved_usd, zero.write_usd) == (pytest.approx(0.0), 0.0)  # a reported 0 saves a real $0


def _seen(n: int, read: int | None, write: int | None) -> CallSeen:
    usage = Usage(prompt_tokens=8_000, completion_tokens=50, cached_tokens=read, cache_write_tokens=write,
                  reported=True, source=USAGE_PROVIDER)
    cost, price = _price(read, write)
    return CallSeen(call_id=f"c{n}", model=MODEL, role="main", messages=[{"role": "user", "content": "go"}],
                    tools=[], usage=usage, cost_usd=cost.usd, breakpoints=0, price=price, started=0.0)


def test_a_miss_is_looked_for_only_between_calls_that_both_reported_cache_reads():
    tracker = CacheTracker(clock=lambda: 0.0)
    found = [e for n, (read, write) in enumerate([(6_000, 900), (None, None), (0, 0), (0, 8_000), (100, 0)])
             for e in tracker.events(_seen(n, read, write)) if isinstance(e, CacheMissed)]
    # 6,900 then unknown: no miss; unknown then 0: no miss; 0 then 0: none expected; 8,000 written then 100 read: a miss
    assert [(m.call_id, m.expected_tokens, m.read_tokens) for m in found] == [("c4", 8_000, 100)]


def test_old_events_that_stored_zero_still_load_and_count_as_zero():
    stored = {"type": "model_call_finished", "call_id": "c1", "model": MODEL, "status": "ok",
              "usage": {"prompt_tokens": 1_000, "completion_tokens": 5, "cached_tokens": 0, "cache_write_tokens": 0,
                        "reported": True, "source": "provider"}}
    event = event_from_dict(stored)
    assert isinstance(event, ModelCallFinished)
    state = CacheState()
    state.apply(event)
    assert (state.session.read, state.session.prompt, state.session.rate) == (0, 1_000, 0.0)


def _cache(u: dict | None) -> tuple:
    assert u is not None
    return u["cached_tokens"], u["cache_write_tokens"]


def test_importers_store_none_where_the_source_records_no_cache_field():
    assert _cache(openhands._usage({"prompt_tokens": 10, "completion_tokens": 2})) == (None, None)
    assert _cache(openhands._usage({"prompt_tokens": 10, "completion_tokens": 2, "cache_read_input_tokens": 0,
                                    "cache_creation_input_tokens": 4})) == (0, 4)
    assert _cache(openhands._usage({"prompt_tokens": 10, "prompt_tokens_details": {"cached_tokens": 0}})) == (0, None)
    assert _cache(codex_cli._usage({"input_tokens": 10, "output_tokens": 2})) == (None, None)
    assert _cache(codex_cli._usage({"input_tokens": 10, "output_tokens": 2, "cached_input_tokens": 0})) == (0, None)
    assert _cache(gemini_cli._usage({"input": 10, "output": 2})) == (None, None)
    assert _cache(gemini_cli._usage({"input": 10, "output": 2, "cached": 0})) == (0, None)
    assert _cache(opencode._usage({"input": 10, "output": 2})) == (None, None)
    assert _cache(opencode._usage({"input": 10, "output": 2, "cache": {"read": 0, "write": 3}})) == (0, 3)
    assert _cache(aider._usage("1.8k sent, 653 received")) == (None, None)  # aider names cache parts only when it has them
    assert _cache(aider._usage("12k sent, 1.2k cache write, 9.5k cache hit, 310 received")) == (9_500, 1_200)
    # Claude Code always records its cache counts: an absent one is its 0, as before
    assert _cache(claude_code._usage({"input_tokens": 10, "output_tokens": 2})) == (0, 0)
