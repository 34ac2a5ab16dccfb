"""litellm's cost map read directly: a text call priced without importing litellm.

Importing litellm costs seconds and each ``litellm.cost_per_token`` call about a
quarter of a millisecond: an import of 150,000 model calls spent most of its
time there. For the models whose entry this module understands completely,
:func:`rates` gives their per-token rates, read once from the cost map file
litellm itself reads offline (``model_prices_and_context_window_backup.json``;
litellm's own copy, ``litellm.model_cost``, when it is already loaded),
and :meth:`ModelRates.cost` applies litellm's formula (``generic_cost_per_token``
for a usage with text tokens, cache reads and cache writes; no reasoning, audio,
image or web-search tokens, no service tier, region or batch): the same
operations in the same order, so the same float, to the last bit. A test
compares the two for every model this module accepts.

Understood completely means: the name is a key of the map without a ``/`` or
``:`` (litellm resolves no alias or prefix for it), the provider is ``anthropic`` or ``openai`` (whose cost functions
are the generic one), the mode is chat or responses, and every price key is one
this module applies or one that cannot apply to such a usage. Anything else
(per-second or per-character prices, ``tiered_pricing``, off-peak windows, a
threshold key of another shape, a price that is not a number) gives None: the
caller asks litellm. So does every model when ``LITELLM_LOCAL_MODEL_COST_MAP`` is
not ``true`` (litellm would then use another map).
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.agent.offline import litellm_package_dir, loaded_litellm, prepare_environment

MAP_FILE = "model_prices_and_context_window_backup.json"
PROVIDERS = frozenset({"anthropic", "openai"})
MODES = frozenset({"chat", "responses"})
_RATES = ("input_cost_per_token", "output_cost_per_token", "cache_creation_input_token_cost", "cache_read_input_token_cost")
_THRESHOLD = re.compile(rf"^({'|'.join(_RATES)})_above_(\d+)(k?)_tokens$")
_THRESHOLD_LIKE = tuple(f"{rate}_above_" for rate in _RATES)
# Prices that cannot apply to a text usage without a service tier, a region, batches or tool requests.
_IDLE_SUFFIXES = ("_batches", "_flex", "_priority")
_IDLE_KEYS = frozenset({"cache_creation_input_token_cost_above_1hr", "search_context_cost_per_query"})
_IDLE_PREFIXES = ("regional_processing_uplift_multiplier_",)
_PREFIXED = re.compile("[:/]")  # "ft:...", "openai/...": litellm resolves a provider from such names its own way
_PRICE_WORDS = ("cost", "price", "pricing", "multiplier", "uplift", "tier", "peak")


@dataclass(frozen=True)
class TokenRates:
    """Dollars per token; a cache rate None means litellm bills those tokens at the input rate."""

    input: float
    output: float
    cache_write: float | None
    cache_read: float | None


@dataclass(frozen=True)
class ModelRates:
    """One model's rates: the base ones and those above prompt-size thresholds (ascending)."""

    base: TokenRates
    above: tuple[tuple[float, TokenRates], ...] = ()

    @property
    def priced(self) -> bool:
        """Listed with a price above $0 (litellm lists local models at $0: Cockpit calls them unpriced)."""
        return self.base.input > 0 or self.base.output > 0

    def cost(self, prompt_tokens: int, completion_tokens: int, cached_tokens: int, cache_write_tokens: int) -> float:
        """litellm's prompt cost plus its completion cost for this usage (``prompt_tokens`` counts the cached ones)."""
        rates = self.base
        for threshold, tier in self.above:
            if prompt_tokens > threshold:
                rates = tier
        cache_read = rates.input if rates.cache_read is None else rates.cache_read
        cache_write = rates.input if rates.cache_write is None else rates.cache_write
        text = max(prompt_tokens - cached_tokens - cache_write_tokens, 0)
        prompt_cost = float(text) * rates.input
        prompt_cost += float(cached_tokens) * cache_read
        prompt_cost += float(0) * cache_read  # litellm adds its cached audio tokens here: +0.0, kept for the bits
        if cache_write_tokens:
            prompt_cost += 0.0 + cache_write_tokens * cache_write
        completion_cost = float(completion_tokens) * rates.output
        return float(prompt_cost) + float(completion_cost)


def rates(model: str) -> ModelRates | None:
    """The rates of ``model`` when this module can price it exactly as litellm would; None otherwise."""
    table = _table()
    if table is None:
        return None
    return table.get(model)


def parse_entry(entry: Any) -> ModelRates | None:
    """An entry of the cost map as rates, or None when it holds anything this module does not apply."""
    if not isinstance(entry, dict) or entry.get("litellm_provider") not in PROVIDERS or entry.get("mode") not in MODES:
        return None
    values: dict[str, float] = {}
    thresholds: dict[float, str] = {}
    for key, value in entry.items():
        if value is None:
            continue
        if key in _RATES or _THRESHOLD.match(key):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return None
            values[key] = float(value)
            found = _THRESHOLD.match(key)
            if found:
                number = float(found.group(2)) * (1000 if found.group(3) else 1)
                label = found.group(2) + found.group(3)
                if thresholds.setdefault(number, label) != label:  # 200k and 200000: litellm would apply both
                    return None
        elif key.startswith(_THRESHOLD_LIKE) and "_tokens" in key and not key.endswith(_IDLE_SUFFIXES):
            return None  # a threshold litellm applies that this module does not
        elif _is_price(key) and not _idle(key):
            return None
    base = TokenRates(values.get(_RATES[0], 0.0), values.get(_RATES[1], 0.0), values.get(_RATES[2]), values.get(_RATES[3]))
    above: list[tuple[float, TokenRates]] = []
    current = base
    for number in sorted(thresholds):
        label = thresholds[number]
        keys = [f"{rate}_above_{label}_tokens" for rate in _RATES]
        current = TokenRates(
            values.get(keys[0], current.input), values.get(keys[1], current.output),
            values.get(keys[2], current.cache_write), values.get(keys[3], current.cache_read),
        )
        above.append((number, current))
    return ModelRates(base, tuple(above))


def _is_price(key: str) -> bool:
    return any(word in key for word in _PRICE_WORDS)


def _idle(key: str) -> bool:
    return key in _IDLE_KEYS or key.endswith(_IDLE_SUFFIXES) or key.startswith(_IDLE_PREFIXES)


_lock = threading.Lock()
_loaded: list[dict[str, ModelRates] | None] = []  # [table] once read (None: not usable here)


def _table() -> dict[str, ModelRates] | None:
    if not _loaded:
        with _lock:
            if not _loaded:
                _loaded.append(_read())
    return _loaded[0]


def _read() -> dict[str, ModelRates] | None:
    prepare_environment()
    if os.environ.get("LITELLM_LOCAL_MODEL_COST_MAP", "").lower() != "true":
        return None  # litellm fetches another map: only litellm can say what it holds
    entries = _entries()
    if not isinstance(entries, dict):
        return None
    table: dict[str, ModelRates] = {}
    for name, entry in entries.items():
        parsed = None if _PREFIXED.search(name) else parse_entry(entry)
        if parsed is not None:
            table[name] = parsed
    return table


def _entries() -> object:
    """The cost map's entries: litellm's own copy once it is loaded (the file as it read it: a second
    parse would cost ~5 MB and tens of milliseconds at the first priced call), else the file."""
    litellm = loaded_litellm()
    if litellm is not None:
        return getattr(litellm, "model_cost", None)
    package = litellm_package_dir()
    path = package / MAP_FILE if package is not None else Path(MAP_FILE)
    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
