"""BudgetConfig: documented defaults, unknown keys ignored, bad values rejected clearly."""

from __future__ import annotations

import pytest

from app.agent.budget.config import BudgetConfig


def test_defaults_match_the_issue() -> None:
    config = BudgetConfig()
    assert (config.warn_at, config.compact_at) == (0.60, 0.80)
    assert config.keep_last_results == 3
    assert config.tokenizer == "auto"


def test_from_dict_ignores_unknown_keys() -> None:
    config = BudgetConfig.from_dict({"warn_at": 0.5, "compact_at": 0.7, "colour": "blue", "summary_model": "openai/gpt-4o-mini"})
    assert (config.warn_at, config.compact_at, config.summary_model) == (0.5, 0.7, "openai/gpt-4o-mini")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"warn_at": 0.9, "compact_at": 0.8}, "warn_at"),
        ({"compact_at": 1.5}, "compact_at"),
        ({"compact_at": "high"}, "compact_at"),
        ({"tool_result_cap_chars": 0}, "tool_result_cap_chars"),
        ({"keep_last_results": -1}, "keep_last_results"),
        ({"advertised_window": True}, "advertised_window"),
        ({"tokenizer": "sentencepiece"}, "tokenizer"),
        ({"summary_model": ""}, "summary_model"),
    ],
)
def test_bad_values_raise_value_error_naming_the_key(data: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BudgetConfig.from_dict(data)
