import pytest

from app.agent.feedback.config import FeedbackConfig


def test_defaults_are_the_issue_numbers():
    c = FeedbackConfig()
    assert (c.rate, c.risky_rate, c.fatigue_window_s, c.fatigue_floor, c.min_n) == (0.10, 0.25, 600.0, 0.02, 10)


def test_from_dict_ignores_unknown_keys_and_converts():
    c = FeedbackConfig.from_dict({"rate": "0.5", "min_n": 20, "colour": "blue", "risky_rate": None})
    assert c.rate == 0.5 and c.min_n == 20 and c.risky_rate == 0.25


@pytest.mark.parametrize("rate", [0, 1, 0.0, 1.0])
def test_rate_may_be_zero_or_one(rate):
    assert FeedbackConfig.from_dict({"rate": rate}).rate == rate
    assert FeedbackConfig().with_rate(rate).rate == rate


@pytest.mark.parametrize(
    "data, fragment",
    [
        ({"rate": 1.5}, "^rate must be"),
        ({"rate": -0.1}, "^rate must be"),
        ({"rate": "lots"}, "^rate must be"),
        ({"rate": True}, "^rate must be"),
        ({"fatigue_floor": 0}, "^fatigue_floor must be > 0"),
        ({"fatigue_window_s": -1}, "fatigue_window_s"),
        ({"min_n": 2.5}, "whole number"),
        ({"min_n": 0}, "min_n"),
        ({"rate": float("nan")}, "^rate must be"),
    ],
)
def test_bad_values_are_rejected_clearly(data, fragment):
    with pytest.raises(ValueError, match=fragment):
        FeedbackConfig.from_dict(data)
