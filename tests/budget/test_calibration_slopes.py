"""Calibration's pairwise slopes, kept as samples come and go, are those computed afresh from the window."""

from __future__ import annotations

import statistics

from hypothesis import given, settings
from hypothesis import strategies as st

from app.agent.budget.calibration import _FIT_SAMPLES, _MIN_SPREAD_FRACTION, _MIN_SPREAD_TOKENS, ModelCalibration
from app.agent.budget.slopes import SlopeWindow


def fresh_slopes(samples: list[tuple[int, int]]) -> list[float]:
    """Every spread-enough pair's slope, computed from scratch (the fit's definition)."""
    return sorted(
        (pb - pa) / (eb - ea)
        for i, (ea, pa) in enumerate(samples)
        for eb, pb in samples[i + 1:]
        if abs(eb - ea) >= max(_MIN_SPREAD_TOKENS, _MIN_SPREAD_FRACTION * max(ea, eb))
    )


samples_strategy = st.lists(
    st.tuples(st.integers(1, 200_000), st.integers(1, 400_000)) | st.sampled_from([(1_000, 1_100), (5_000, 5_400)]),
    max_size=150,
)


@settings(max_examples=60, deadline=None)
@given(samples_strategy, st.integers(2, 20))
def test_the_kept_slopes_are_the_fresh_ones_after_every_sample(samples: list[tuple[int, int]], size: int) -> None:
    window = SlopeWindow(size, min_tokens=_MIN_SPREAD_TOKENS, min_fraction=_MIN_SPREAD_FRACTION)
    for k, (estimated, provider) in enumerate(samples):
        window.add(estimated, provider)
        recent = samples[max(0, k + 1 - size):k + 1]
        assert list(window.samples) == recent
        expected = fresh_slopes(recent)
        assert window.slopes == expected
        assert window.median() == (statistics.median(expected) if expected else None)


def test_a_full_window_fits_as_the_fit_over_the_last_samples_does() -> None:
    """200 calls of a session (the window holds 60): the scale and overhead are the fresh Theil-Sen fit's."""
    calibration = ModelCalibration(exact=True)
    pairs = [(2_000 + 997 * k % 90_000, round((2_000 + 997 * k % 90_000) * 1.07) + 300 + k % 7) for k in range(200)]
    for estimated, provider in pairs:
        calibration.add(estimated, provider)
    recent = [(s.estimated, s.provider) for s in list(calibration.samples)[-_FIT_SAMPLES:]]
    scale = min(4.0, max(0.25, statistics.median(fresh_slopes(recent))))
    assert calibration.scale == scale
    assert calibration.overhead == statistics.median(p - scale * e for e, p in recent)
    assert abs(calibration.scale - 1.07) < 0.001
