"""Calibration samples that disagree wildly are left out, not averaged in."""

from __future__ import annotations

from app.agent.budget.calibration import ModelCalibration


STEADY = [(1000, 1100), (2000, 2100), (3000, 3100), (4000, 4100), (5000, 5100)]


def calibrated(samples: list[tuple[int, int]]) -> ModelCalibration:
    calibration = ModelCalibration(exact=True)
    for estimated, provider in samples:
        calibration.add(estimated, provider)
    return calibration


def test_a_wild_sample_is_rejected_and_counted_in_the_badge() -> None:
    calibration = calibrated(STEADY)
    before = (calibration.scale, calibration.overhead, calibration.n)
    assert calibration.add(2500, 9000) is None  # e.g. a proxy that reports another request's usage
    assert (calibration.scale, calibration.overhead, calibration.n) == before
    assert calibration.rejected == 1
    assert calibration.badge().endswith("n=5, 1 outlier left out")
    assert calibration.add(2500, 2600) is not None  # an ordinary sample is taken again


def test_few_samples_are_too_few_to_call_anything_an_outlier() -> None:
    calibration = calibrated(STEADY[:4])
    assert calibration.add(2500, 9000) is not None
    assert calibration.rejected == 0


def test_a_lasting_change_is_the_model_not_noise() -> None:
    calibration = calibrated(STEADY)
    results = [calibration.add(e, e * 3) for e in (1500, 2500, 3500)]
    assert results[:2] == [None, None] and results[2] is not None  # the third in a row is accepted
    assert calibration.rejected == 2
