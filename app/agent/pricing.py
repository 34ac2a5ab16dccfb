"""What a model call costs, and who says so.

A call is priced by the user's ``[pricing."model"]`` table (``configured``) or by
litellm's cost map (``litellm``), or not at all: then its cost is ``None``,
shown as "unpriced" beside its tokens, never as $0. Unpriced are: a model
litellm's map does not list (``openai/<name>`` behind an ``api_base``, most local
models), one it lists at $0 for input and output (its placeholder for local
models such as ``ollama/...``), and Cockpit's offline ``scripted/`` and
``replay/`` models, which are not real models.

litellm is imported lazily, on the first price asked for that :mod:`app.agent.cost_map`
cannot give (it reads litellm's own cost map for the common models and applies
litellm's formula, giving the same figure without importing litellm).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.agent import cost_map
from app.agent.config import Bound
from app.agent.events.core import COST_CONFIGURED, COST_LITELLM
from app.agent.offline import load_litellm

OFFLINE_PREFIXES = ("scripted/", "replay/")
PER_MTOK = 1_000_000


@dataclass(frozen=True)
class Rate:
    """A configured price: US dollars per million input (prompt) and output (completion) tokens."""

    input_per_mtok: float
    output_per_mtok: float

    @classmethod
    def from_dict(cls, model: str, data: Mapping[str, Any]) -> Rate:
        where = f"[pricing.\"{model}\"]"
        unknown = sorted(set(data) - {"input_per_mtok", "output_per_mtok"})
        if unknown:
            raise ValueError(f"{where} {', '.join(unknown)} is not a setting; known: input_per_mtok, output_per_mtok")
        prices = []
        for key in ("input_per_mtok", "output_per_mtok"):  # dollars per million tokens
            if key not in data:
                raise ValueError(f"{where} {key} is missing")
            try:
                prices.append(float(Bound(whole=False, low=0).check(data[key])))
            except ValueError as exc:
                raise ValueError(f"{where} {key} {exc}") from None
        rate = cls(*prices)
        return rate


@dataclass(frozen=True)
class Price:
    """A cost and who gave it; ``usd`` and ``source`` are None when nobody has a price."""

    usd: float | None = None
    source: str | None = None

    @property
    def known(self) -> bool:
        return self.usd is not None


UNPRICED = Price()


@dataclass(frozen=True)
class CachePrice:
    """A call's price without caching, what caching saved, what its writes cost, and the
    per-token rates at the call's tier (prompt, cache read, cache write); None where unknown."""

    uncached_usd: float | None = None
    saved_usd: float | None = None
    write_usd: float | None = None
    input_rate: float | None = None  # dollars per prompt token
    read_rate: float | None = None
    write_rate: float | None = None

    def miss_cost(self, missed_tokens: int, written_tokens: int) -> float | None:
        """What ``missed_tokens`` cost above being read from the cache: those written again at the
        write rate, the rest at the prompt rate (None without cache prices)."""
        if self.input_rate is None or self.read_rate is None or self.write_rate is None:
            return None
        rewritten = min(max(0, missed_tokens), max(0, written_tokens))
        sent = max(0, missed_tokens) - rewritten
        return rewritten * (self.write_rate - self.read_rate) + sent * (self.input_rate - self.read_rate)


NO_CACHE_PRICE = CachePrice()


@dataclass(frozen=True)
class Pricing:
    """The configured rates first, then litellm's cost map."""

    configured: Mapping[str, Rate] = field(default_factory=dict)

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> Pricing:
        """The ``[pricing]`` table of the config file: ``{"model": {input_per_mtok, output_per_mtok}}``."""
        rates: dict[str, Rate] = {}
        for model, data in table.items():
            if not isinstance(data, Mapping):
                raise ValueError(f"[pricing.\"{model}\"] must be a table with input_per_mtok and output_per_mtok")
            rates[model] = Rate.from_dict(model, data)
        return cls(rates)

    def source_for(self, model: str) -> str | None:
        """Who would price a call of ``model``: ``configured``, ``litellm``, or None (unpriced)."""
        if model in self.configured:
            return COST_CONFIGURED
        return COST_LITELLM if litellm_knows(model) else None

    def price(self, model: str, *, prompt_tokens: int = 0, completion_tokens: int = 0,
              cached_tokens: int | None = 0, cache_write_tokens: int | None = 0) -> Price:
        """The price of these tokens on ``model`` (:data:`UNPRICED` when nobody has one). Cache counts the
        provider did not report (None) price as none: every prompt token at the uncached input rate."""
        prompt, completion = max(0, prompt_tokens), max(0, completion_tokens)
        read, written = max(0, cached_tokens or 0), max(0, cache_write_tokens or 0)
        rate = self.configured.get(model)
        if rate is not None:
            usd = (prompt * rate.input_per_mtok + completion * rate.output_per_mtok) / PER_MTOK
            return Price(usd, COST_CONFIGURED)
        if not litellm_knows(model):
            return UNPRICED
        fast = cost_map.rates(model)
        if fast is not None:  # litellm's formula on its own map, without litellm (see cost_map)
            usd = fast.cost(prompt, completion, read, written)
            return Price(usd, COST_LITELLM)
        try:
            prompt_cost, completion_cost = load_litellm().cost_per_token(
                model=model, prompt_tokens=prompt, completion_tokens=completion,
                cache_read_input_tokens=read, cache_creation_input_tokens=written,
            )
        except Exception:  # litellm raises for names it cannot map
            return UNPRICED
        return Price(float(prompt_cost) + float(completion_cost), COST_LITELLM)

    def cache_price(self, model: str, *, prompt_tokens: int, completion_tokens: int, cached_tokens: int | None,
                    cache_write_tokens: int | None, cost: Price) -> CachePrice:
        """The cache figures of a call that cost ``cost``: known only where litellm's map prices the
        model (a configured rate has no cache prices, so its saving is unknown, not $0). Without the
        provider's cache reads (None) the call was priced as uncached: its saving is unknown, not $0;
        without its cache writes, so is what they cost."""
        if cost.source != COST_LITELLM or cost.usd is None:
            return NO_CACHE_PRICE
        uncached = self.price(model, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens).usd
        size = max(1, prompt_tokens)  # the rates at this call's tier (tiers go by prompt size)
        rates = [self.price(model, prompt_tokens=size, cached_tokens=cached, cache_write_tokens=written).usd
                 for cached, written in ((0, 0), (size, 0), (0, size))]
        input_rate, read_rate, write_rate = (None if usd is None else usd / size for usd in rates)
        return CachePrice(
            uncached_usd=uncached,
            saved_usd=None if uncached is None or cached_tokens is None else uncached - cost.usd,
            write_usd=None if write_rate is None or cache_write_tokens is None else cache_write_tokens * write_rate,
            input_rate=input_rate, read_rate=read_rate, write_rate=write_rate,
        )


LITELLM_PRICING = Pricing()


def is_offline(model: str) -> bool:
    """One of Cockpit's offline models (``scripted/``, ``replay/``): not a real model, no price."""
    return model.startswith(OFFLINE_PREFIXES)


def litellm_knows(model: str) -> bool:
    """Does litellm's cost map list ``model`` with a price above $0?"""
    if not model or is_offline(model):
        return False
    if model not in _known:
        fast = cost_map.rates(model)
        if fast is not None:
            _known[model] = fast.priced
            return fast.priced
        try:
            info = load_litellm().get_model_info(model)
        except Exception:  # not in the map
            _known[model] = False
        else:
            rates = (info.get("input_cost_per_token"), info.get("output_cost_per_token"))
            _known[model] = any(float(r or 0) > 0 for r in rates)
    return _known[model]


_known: dict[str, bool] = {}  # model name -> listed with a price (the map does not change while we run)
