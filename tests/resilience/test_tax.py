"""Retry-tax pricing with litellm's local cost map."""

from __future__ import annotations


import pytest

from app.agent.pricing import Pricing, Rate
from app.agent.resilience import tax


def test_known_model_is_priced_like_litellm(litellm):
    prompt, completion = litellm.cost_per_token(model="gpt-4o-mini", prompt_tokens=1000, completion_tokens=200)
    waste = tax.discarded_output("gpt-4o-mini", {"prompt_tokens": 1000, "completion_tokens": 200})
    assert waste.tokens == 1200
    assert waste.usd == pytest.approx(prompt + completion) and waste.usd > 0


def test_resent_input_is_priced_as_input_only(litellm):
    prompt, _ = litellm.cost_per_token(model="gpt-4o-mini", prompt_tokens=5000, completion_tokens=0)
    waste = tax.resent_input("gpt-4o-mini", 5000)
    assert (waste.tokens, waste.usd) == (5000, pytest.approx(prompt))


def test_unknown_local_and_offline_models_are_unpriced_not_free(litellm):
    """Waste on a model nobody has a price for is tokens only: its dollars are None, never 0."""
    assert tax.price("nobody/never-heard-of-it", prompt_tokens=1000, completion_tokens=10) is None
    assert tax.price("ollama/llama3", prompt_tokens=1000, completion_tokens=10) is None  # litellm lists it at $0
    assert tax.discarded_output("scripted/demo", {"prompt_tokens": 10, "completion_tokens": 5}) == tax.Waste(15, None)
    assert tax.discarded_output("gpt-4o-mini", None) == tax.Waste(0, None)  # no usage reported: nothing wasted


def test_configured_prices_price_the_waste_of_a_local_model():
    pricing = Pricing({"openai/local-qwen": Rate(input_per_mtok=2.0, output_per_mtok=8.0)})
    waste = tax.discarded_output("openai/local-qwen", {"prompt_tokens": 1_000_000, "completion_tokens": 500_000},
                                 pricing=pricing)
    assert waste == tax.Waste(1_500_000, 6.0)


def test_waste_adds_up():
    assert tax.Waste(10, 0.5) + tax.Waste(5, 0.25) == tax.Waste(15, 0.75)
    assert tax.Waste(10, 0.5) + tax.Waste(5) == tax.Waste(15, 0.5)  # the priced part, beside unpriced tokens
    assert tax.Waste(10) + tax.Waste(5) == tax.Waste(15)


def test_every_charge_says_whose_count_it_is():
    events: list = []
    book = tax.RetryTax(emit=events.append)
    book.charge_discarded(call_id="a", model="scripted/x", usage={"prompt_tokens": 90, "source": "provider"},
                          reason="dropped_stream")
    book.charge_discarded(call_id="b", model="scripted/x", usage={"prompt_tokens": 80, "source": "estimated"},
                          reason="dropped_stream")
    book.charge_resent(call_id="c", model="scripted/x", prompt_tokens=70, source="calibrated", attempt=1)
    assert [(e.call_id, e.tokens, e.source) for e in events] == [
        ("a", 90, "provider"), ("b", 80, "local"), ("c", 70, "calibrated")]
    assert events[-1].attempt == 1 and book.wasted_tokens == 240
