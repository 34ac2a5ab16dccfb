"""Prices from litellm's cost map, read directly, are litellm's prices to the last bit."""

from __future__ import annotations

import random

import pytest

from app.agent import cost_map
from app.agent.offline import load_litellm
from app.agent.pricing import LITELLM_PRICING

# Prompt sizes around the thresholds the map uses (200k, 272k), and far beyond.
SIZES = (1_000, 150_000, 199_999, 200_000, 200_001, 272_000, 272_001, 400_000, 1_100_000)


def _usages(seed: int, count: int) -> list[tuple[int, int, int, int]]:
    """(prompt, completion, cache read, cache write); the prompt counts the cached tokens, as Cockpit's do."""
    rnd = random.Random(seed)
    usages = [(0, 0, 0, 0), (1, 0, 0, 0), (0, 1, 0, 0), (200_001, 10, 200_001, 0), (300_000, 5, 0, 300_000)]
    for _ in range(count):
        prompt = rnd.randint(0, rnd.choice(SIZES))
        read = rnd.randint(0, prompt) if rnd.random() < 0.7 else 0
        write = rnd.randint(0, prompt - read) if rnd.random() < 0.6 else 0
        if rnd.random() < 0.05:  # inconsistent usage from a source: more cached than prompt tokens
            read = prompt + rnd.randint(1, 50)
        usages.append((prompt, rnd.randint(0, 40_000), read, write))
    return usages


def _litellm_price(model: str, prompt: int, completion: int, read: int, write: int) -> float:
    prompt_cost, completion_cost = load_litellm().cost_per_token(
        model=model, prompt_tokens=prompt, completion_tokens=completion,
        cache_read_input_tokens=read, cache_creation_input_tokens=write,
    )
    return float(prompt_cost) + float(completion_cost)


def _litellm_knows(model: str) -> bool:
    info = load_litellm().get_model_info(model)
    return any(float(info.get(key) or 0) > 0 for key in ("input_cost_per_token", "output_cost_per_token"))


def test_the_map_is_read_and_the_common_models_are_in_it() -> None:
    for model in ("claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5", "gpt-4o", "gpt-5"):
        assert cost_map.rates(model) is not None, model


def test_every_model_priced_directly_costs_what_litellm_says() -> None:
    accepted = sorted(name for name in _accepted())
    assert len(accepted) > 50
    compared = 0
    for index, model in enumerate(accepted):
        rates = cost_map.rates(model)
        assert rates is not None
        assert rates.priced == _litellm_knows(model), model
        if not rates.priced:
            continue
        for usage in _usages(index, 30):
            assert rates.cost(*usage) == _litellm_price(model, *usage), (model, usage)
            compared += 1
    assert compared > 1000


@pytest.mark.parametrize("model", ["claude-opus-4-5", "claude-sonnet-4-5", "claude-opus-4-6", "gpt-4o", "gpt-5",
                                   "gpt-5.4", "gemini-2.5-pro", "gemini/gemini-2.5-pro", "claude-3-5-haiku-latest"])
def test_pricing_gives_litellm_s_figure_for_real_models(model: str) -> None:
    """Through ``Pricing.price`` (direct or by litellm, whichever it picks), tiered models above 200k/272k included."""
    for prompt, completion, read, write in _usages(7, 200):
        price = LITELLM_PRICING.price(model, prompt_tokens=prompt, completion_tokens=completion,
                                      cached_tokens=read, cache_write_tokens=write)
        try:
            expected = _litellm_price(model, prompt, completion, read, write)
        except Exception:
            assert not price.known
            continue
        assert price.usd == expected, (model, prompt, completion, read, write)


def test_tiered_prices_apply_above_the_threshold() -> None:
    rates = cost_map.parse_entry({
        "litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06,
        "input_cost_per_token_above_200k_tokens": 3e-06, "cache_read_input_token_cost_above_200k_tokens": 5e-07,
    })
    assert rates is not None
    assert rates.cost(200_000, 0, 0, 0) == 200_000 * 1e-06
    assert rates.cost(200_001, 0, 1, 0) == 200_000 * 3e-06 + 5e-07
    assert rates.cost(200_001, 1, 0, 0) == 200_001 * 3e-06 + 2e-06  # no tiered output rate: the base one


@pytest.mark.parametrize("extra", [
    {"input_cost_per_second": 1e-03},
    {"tiered_pricing": [{"range": [0, 1], "input_cost_per_token": 1e-06}]},
    {"off_peak_pricing": {"input_cost_per_token": 1e-07}},
    {"input_cost_per_token_above_200k_tokens_decisions": 1e-06},
    {"input_cost_per_token_above_200k_tokens": 1e-06, "output_cost_per_token_above_200000_tokens": 1e-06},
    {"output_cost_per_image_token": 1e-06},
    {"input_cost_per_token": "3e-7"},
    {"litellm_provider": "vertex_ai-language-models"},
    {"mode": "embedding"},
])
def test_entries_it_does_not_fully_understand_are_left_to_litellm(extra: dict[str, object]) -> None:
    entry = {"litellm_provider": "anthropic", "mode": "chat", "input_cost_per_token": 1e-06,
             "output_cost_per_token": 2e-06, **extra}
    assert cost_map.parse_entry(entry) is None


def test_another_cost_map_than_the_local_one_leaves_every_price_to_litellm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "False")
    assert cost_map._read() is None


def _accepted() -> list[str]:
    table = cost_map._table()
    assert table is not None
    return list(table)


def test_with_litellm_loaded_its_own_copy_of_the_map_is_read_and_gives_the_same_rates(monkeypatch) -> None:
    from app.agent import offline

    from_file = cost_map._read()
    litellm = offline.load_litellm()
    monkeypatch.setattr(litellm, "model_cost", {"gpt-4o": litellm.model_cost["gpt-4o"]})
    assert cost_map._read() == {"gpt-4o": from_file["gpt-4o"]}  # read from litellm's copy, not the file
    monkeypatch.undo()
    assert cost_map._read() == from_file
