"""Prompt caching in words, for the Context budget and Retries panes (state in, phrases out).

Each function returns phrases (plain strings) that the pane lays out for its width. Hit rates
are the provider's reads over its prompt tokens; dollars say "unpriced" where a call had no
cache price and "—" where there is nothing to price; the fixed part is Cockpit's count ("est.").
"""

from __future__ import annotations

from app.agent.events.cache import CacheMissed
from app.agent.events.cache_view import CacheState, HitRate
from app.agent.events.format import UNKNOWN, money
from app.agent.events.format import tokens as tokens_text


def rate_text(rate: HitRate | None) -> str:
    value = None if rate is None else rate.rate
    return UNKNOWN if value is None else f"{100 * value:.0f}%"


def hit_phrases(cache: CacheState) -> list[str]:
    """``cache hit 87% last call``, ``72% session``, and per model when there are several."""
    phrases = [f"cache hit {rate_text(cache.last)} last call", f"{rate_text(cache.session)} session"]
    if len(cache.per_model) > 1:
        phrases += [f"{model} {rate_text(rate)}" for model, rate in sorted(cache.per_model.items())]
    return phrases


def money_phrases(cache: CacheState) -> list[str]:
    """``saved $0.4123`` (against the uncached price) and ``writes $0.0512``."""
    return [f"saved {cache.saved.text()}", f"writes {cache.writes.text()}"]


def fixed_phrases(cache: CacheState) -> list[str]:
    """The fixed part priced per call and per session, before and after caching (est.)."""
    if not cache.fixed_tokens:
        return []
    return [f"fixed {tokens_text(cache.fixed_tokens)} (est.)", f"{money(cache.fixed_last_uncached)}/call uncached",
            f"{money(cache.fixed_last_cached)}/call cached", f"session {cache.fixed_uncached.text()} uncached",
            f"{cache.fixed_cached.text()} cached"]


def cause_phrase(miss: CacheMissed) -> str:
    """``instruction file edited (instructions: AGENTS.md)``, ``cache expired (idle)``."""
    return f"{miss.cause_label} ({miss.item})" if miss.item else miss.cause_label


def miss_phrase(miss: CacheMissed) -> str:
    """``tool list changed · 3.2k tokens not read · $0.0100``."""
    cost = UNKNOWN if miss.cost_usd is None else money(miss.cost_usd)
    return f"{cause_phrase(miss)} · {tokens_text(miss.missed_tokens)} tokens not read · {cost}"


def misses_phrases(cache: CacheState) -> list[str]:
    """``2 misses``, ``$0.0150`` (all of them), ``last: compaction (message 5)``; nothing without a miss."""
    last = cache.last_miss
    if not cache.miss_count or last is None:
        return []
    count = f"{cache.miss_count} miss{'' if cache.miss_count == 1 else 'es'}"
    return [count, cache.miss_cost.text(), f"last: {cause_phrase(last)}"]
