"""The advertised window: configured, from litellm's bundled model map, or assumed."""

from __future__ import annotations

from app.agent.budget.budget import ContextBudget
from app.agent.budget.config import BudgetConfig
from app.agent.budget.window import litellm_model_info, resolve_window


def test_litellm_knows_common_models_offline() -> None:
    assert resolve_window("openai/gpt-4o", override=None, default=32_768).advertised == 128_000
    assert resolve_window("openai/gpt-4o", override=None, default=32_768).source == "litellm"
    assert litellm_model_info("no-such/model-xyz") is None


def test_unknown_models_get_the_configured_default_marked_as_assumed() -> None:
    window = resolve_window("ollama/my-finetune", override=None, default=8_192, lookup=lambda m: None)
    assert (window.advertised, window.source) == (8_192, "assumed")


def test_an_override_wins_without_asking_litellm() -> None:
    def lookup(model: str) -> dict:
        raise AssertionError("litellm should not be asked")

    assert resolve_window("openai/gpt-4o", override=50_000, default=1, lookup=lookup).source == "config"


def test_the_budget_uses_config_then_constructor_then_litellm() -> None:
    lookup = {"max_input_tokens": 200_000, "max_tokens": 64_000}.copy
    configured = ContextBudget("m", BudgetConfig(advertised_window=10_000), window_lookup=lambda m: lookup())
    assert configured.window.advertised == 10_000
    explicit = ContextBudget("m", BudgetConfig(advertised_window=10_000), advertised_window=20_000)
    assert explicit.window.advertised == 20_000
    looked_up = ContextBudget("m", BudgetConfig(), window_lookup=lambda m: lookup())
    assert (looked_up.window.advertised, looked_up.window.source) == (200_000, "litellm")
    assumed = ContextBudget("m", BudgetConfig(default_window=4_096), window_lookup=lambda m: None)
    snapshot = assumed.measure([{"role": "user", "content": "hi"}], [])
    assert (snapshot.advertised, snapshot.to_event().advertised_source) == (4_096, "assumed")


def test_max_output_tokens_sets_the_reserve() -> None:
    b = ContextBudget("openai/gpt-4o", BudgetConfig(output_reserve_tokens=1_000), advertised_window=50_000)
    assert b.measure([], []).reserve == 1_000
    assert b.measure([], [], max_output_tokens=8_000).reserve == 8_000
    assert b.measure([], []).reserve == 8_000  # remembered for later measurements
