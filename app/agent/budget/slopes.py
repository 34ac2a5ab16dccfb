"""The pairwise slopes of a window of (estimate, provider count) samples, kept sorted as samples come and go.

Calibration's Theil–Sen fit takes the median of the slopes between every two of
the most recent samples whose estimates differ by enough. Computed afresh, that is
every pair again at every model call (60 samples: 1,770 pairs, a few milliseconds of
pure Python per step once the window is full). Here a new sample adds only its pairs
with the samples already in the window, and the oldest sample, when it leaves,
takes only its own: the sorted slopes, and so their median, are the same as a fresh
computation's, at a cost of one pass over the window per sample.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque


class SlopeWindow:
    """The last ``size`` samples and the sorted slopes of their pairs that are spread enough: two estimates
    ``a`` and ``b`` pair when ``|b - a| >= max(min_tokens, min_fraction * max(a, b))``."""

    def __init__(self, size: int, *, min_tokens: int, min_fraction: float) -> None:
        self.size = size
        self.min_tokens = min_tokens
        self.min_fraction = min_fraction
        self.samples: deque[tuple[int, int]] = deque()  # (estimated, provider), oldest first
        self._later: deque[list[float]] = deque()  # per sample, its slopes with the samples that came after it
        self.slopes: list[float] = []  # every pair's slope, sorted

    def add(self, estimated: int, provider: int) -> None:
        if len(self.samples) == self.size:
            self._drop_oldest()
        min_tokens, min_fraction, slopes = self.min_tokens, self.min_fraction, self.slopes
        for (a_estimated, a_provider), later in zip(self.samples, self._later):
            spread = estimated - a_estimated
            if abs(spread) >= max(min_tokens, min_fraction * max(a_estimated, estimated)):
                slope = (provider - a_provider) / spread
                later.append(slope)
                insort(slopes, slope)
        self.samples.append((estimated, provider))
        self._later.append([])

    def median(self) -> float | None:
        """The median slope (as ``statistics.median`` computes it), None when no pair is spread enough."""
        slopes, n = self.slopes, len(self.slopes)
        if not n:
            return None
        middle = n // 2
        return slopes[middle] if n % 2 else (slopes[middle - 1] + slopes[middle]) / 2

    def _drop_oldest(self) -> None:
        self.samples.popleft()
        slopes = self.slopes
        for slope in self._later.popleft():
            del slopes[bisect_left(slopes, slope)]  # (an equal value: which one of equals goes does not matter)
