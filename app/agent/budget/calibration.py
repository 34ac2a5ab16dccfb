"""How far the local estimate is from what the provider counts, per model.

After every model call the loop reports the local estimate of that request and
the provider's prompt-token count. Calibration fits ``provider ≈ scale ×
estimate + overhead`` robustly (Theil–Sen: the median of pairwise slopes, then
the median intercept), which captures both a tokenizer that is off by a factor
(the chars/4 fallback) and a fixed number of hidden tokens the provider adds
(a tool-use system prompt). A slope is taken only from two calls whose estimates
differ by enough (``_MIN_SPREAD_TOKENS`` and ``_MIN_SPREAD_FRACTION`` of the larger):
two requests of nearly the same size give a slope made of noise (a 100-token step
with 500 more provider tokens reads as ×5), and its line, extrapolated, predicted
negative counts. Until such a pair exists, an exact tokenizer is assumed to be off
by a constant and an approximate one by a factor.

Accuracy is measured honestly: each call's prediction is made *before* that
call is added, and the badge reports the 95th percentile of those errors.
Only provider-reported counts are samples, and once a few exist, a count that
disagrees wildly with the prediction (off by more than a factor of
``_OUTLIER_FACTOR``) is rejected as an outlier, not averaged in -- unless
``_REGIME_CHANGE`` such counts come in a row, which is the model, not noise.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass
from typing import TypedDict

from app.agent.budget.slopes import SlopeWindow

_FIT_SAMPLES = 60  # pairwise slopes over the most recent calls only (60 → 1,770 pairs, kept: slopes.py)
_SLOPE_RANGE = (0.25, 4.0)
_OUTLIER_FACTOR = 2.0
_OUTLIER_MIN_SAMPLES = 5  # fewer samples predict too little (a fit over small prompts extrapolates badly)
_REGIME_CHANGE = 3
_MIN_SPREAD_TOKENS = 256  # a pair's estimates differ by at least this much ...
_MIN_SPREAD_FRACTION = 0.05  # ... and by this fraction of the larger one, for its slope to count


@dataclass(frozen=True)
class Sample:
    estimated: int
    provider: int
    predicted: int  # the calibrated estimate made before this sample was known

    @property
    def ratio(self) -> float:
        return self.provider / self.estimated


class CalibrationStats(TypedDict):
    """The statistics of one model as events and the pane carry them."""

    n: int
    median_ratio: float
    p95_error_pct: float | None
    scale: float
    overhead: float
    badge: str
    last_estimated: int | None
    last_provider: int | None


class ModelCalibration:
    """Statistics for one model; ``exact`` says whether its tokenizer is exact."""

    def __init__(self, *, exact: bool, window: int = 200) -> None:
        self.exact = exact
        self.samples: deque[Sample] = deque(maxlen=window)
        self._errors: deque[float] = deque(maxlen=window)
        self.scale = 1.0
        self.overhead = 0.0
        self.rejected = 0  # outliers left out
        self._rejected_in_row = 0
        self._summary: dict[bool, CalibrationStats] = {}
        # The samples the fit reads, with their pairwise slopes kept sorted (a sample adds its pairs, not all of them)
        self._recent = SlopeWindow(_FIT_SAMPLES, min_tokens=_MIN_SPREAD_TOKENS, min_fraction=_MIN_SPREAD_FRACTION)

    @property
    def n(self) -> int:
        return len(self.samples)

    def predict(self, estimated: int) -> int:
        """The provider count we expect for a request estimated locally at ``estimated``."""
        return max(0, round(self.scale * estimated + self.overhead))

    def add(self, estimated: int, provider: int) -> Sample | None:
        """Record one call; returns the sample, or None when either count is missing or it is an outlier."""
        if estimated <= 0 or provider <= 0:
            return None
        sample = Sample(estimated=estimated, provider=provider, predicted=self.predict(estimated))
        if self._outlier(sample):
            self.rejected += 1
            self._rejected_in_row += 1
            self._summary.clear()
            return None
        self._rejected_in_row = 0
        if self.samples:  # the very first prediction is a guess, not a measured error
            self._errors.append(abs(sample.predicted - provider) / provider * 100)
        self.samples.append(sample)
        self._recent.add(estimated, provider)
        self._fit()
        self._summary.clear()
        return sample

    def _outlier(self, sample: Sample) -> bool:
        if self.n < _OUTLIER_MIN_SAMPLES or sample.predicted <= 0 or self._rejected_in_row + 1 >= _REGIME_CHANGE:
            return False
        off = sample.provider / sample.predicted
        return off > _OUTLIER_FACTOR or off < 1 / _OUTLIER_FACTOR

    @property
    def median_ratio(self) -> float:
        return statistics.median(s.ratio for s in self.samples) if self.samples else 1.0

    @property
    def p95_error_pct(self) -> float | None:
        if not self._errors:
            return None
        ordered = sorted(self._errors)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]

    def badge(self, approximate: bool = False) -> str:
        """``±3% p95, n=41``; before any comparison, say so."""
        p95 = self.p95_error_pct
        if p95 is None:
            return f"uncalibrated (n={self.n})" if self.n else ("≈ uncalibrated" if approximate else "uncalibrated")
        shown = f"{p95:.1f}" if p95 < 10 else f"{p95:.0f}"
        rejected = f", {self.rejected} outlier{'' if self.rejected == 1 else 's'} left out" if self.rejected else ""
        return f"±{shown}% p95, n={self.n}{rejected}"

    def as_dict(self, approximate: bool = False) -> CalibrationStats:
        """The statistics for events and the pane (cached until the next sample)."""
        cached = self._summary.get(approximate)
        if cached is None:
            cached = self._summary[approximate] = self._as_dict(approximate)
        return cached

    def _as_dict(self, approximate: bool) -> CalibrationStats:
        last = self.samples[-1] if self.samples else None
        return {
            "n": self.n,
            "median_ratio": round(self.median_ratio, 4),
            "p95_error_pct": None if self.p95_error_pct is None else round(self.p95_error_pct, 2),
            "scale": round(self.scale, 4),
            "overhead": round(self.overhead, 1),
            "badge": self.badge(approximate),
            "last_estimated": last.estimated if last else None,
            "last_provider": last.provider if last else None,
        }

    def _fit(self) -> None:
        recent = self._recent.samples
        slope = self._recent.median()
        if slope is not None:
            low, high = _SLOPE_RANGE
            self.scale = min(high, max(low, slope))
            self.overhead = statistics.median(provider - self.scale * estimated for estimated, provider in recent)
        elif self.exact:
            self.scale = 1.0
            self.overhead = statistics.median(provider - estimated for estimated, provider in recent)
        else:
            self.scale = statistics.median(provider / estimated for estimated, provider in recent)
            self.overhead = 0.0


class CalibrationBook:
    """Calibration per model name."""

    def __init__(self, window: int = 200) -> None:
        self.window = window
        self._models: dict[str, ModelCalibration] = {}

    def for_model(self, model: str, *, exact: bool) -> ModelCalibration:
        calibration = self._models.get(model)
        if calibration is None:
            calibration = self._models[model] = ModelCalibration(exact=exact, window=self.window)
        return calibration
