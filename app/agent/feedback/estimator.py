"""From sampled answers to an honest satisfaction rate.

The target is the share of *all completed tasks* that the user would rate
"up" (among up/down ratings). Only a random, known-propensity sample of tasks
was asked, and not everyone asked answers, so:

1. **Hajek estimator.** Each rated task weighs ``1/π`` (π = the probability it
   had of being asked), and the rate is ``Σ w·y / Σ w`` over rated tasks. This
   undoes oversampling of risky tasks and fatigue.
2. **Post-stratification by category.** The Hajek rate is computed inside each
   task category and the categories are combined with their true shares of all
   tasks (every task is logged, asked or not). This also corrects for
   non-response that differs by category. Categories where nobody rated are
   left out and the others renormalised; ``covered`` says what share of tasks
   the estimate speaks for.
3. **95 % interval: Wilson on the effective sample size** (chosen over a
   bootstrap: closed form, deterministic, instant, and well behaved at 0 % and
   100 %). Within a category the effective size is Kish's ``(Σw)²/Σw²``; the
   combined size is ``1 / Σ_c (W_c² / n_eff_c)`` with ``W_c`` the category
   shares, i.e. the size of a simple random sample with the same variance.
4. **Worst-case bounds** (Manski): every asked task without an up/down rating
   (no response, dismissed, skipped) counted as "down", then as "up". When
   fewer than 80 % of those asked answered, these bounds are the honest range.
5. **Minimum n.** Below ``min_n`` ratings there is no number, only a message.

"Skip" is an answer (it counts for the response rate) but not a rating.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypedDict

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Task:
    """One completed task as the estimator sees it."""

    category: str
    pi: float
    shown: bool
    rating: str | None = None  # solicited answer: "up" | "down" | "skip" | None (no response)

    @property
    def rated(self) -> bool:
        return self.shown and self.rating in ("up", "down")

    @property
    def answered(self) -> bool:
        return self.shown and self.rating in ("up", "down", "skip")


class Stratum(TypedDict):
    """One task category of the estimate (the Hajek rates are None where nobody rated / was asked)."""

    tasks: int
    asked: int
    answered: int
    n: int
    n_eff: float
    rate: float | None
    worst_low: float | None
    worst_high: float | None


@dataclass(frozen=True)
class Estimate:
    rate: float | None  # None when n < min_n: never a bare number
    low: float | None
    high: float | None
    n: int  # up/down ratings used
    n_eff: float
    tasks: int  # completed tasks (the population)
    asked: int
    answered: int  # including skips
    response_rate: float | None  # answered / asked
    worst_low: float | None
    worst_high: float | None
    covered: float  # share of tasks in categories with ratings
    min_n: int
    strata: dict[str, Stratum] = field(default_factory=dict)

    @property
    def enough(self) -> bool:
        return self.rate is not None

    @property
    def message(self) -> str:
        if self.enough:
            return ""
        return f"not enough data (n = {self.n} < {self.min_n})"


def hajek(pairs: Iterable[tuple[float, float]]) -> float | None:
    """Weighted mean ``Σ w·y / Σ w`` of (weight, value) pairs; None if empty."""
    total = weighted = 0.0
    for w, y in pairs:
        total += w
        weighted += w * y
    return weighted / total if total > 0 else None


def kish_n_eff(weights: Sequence[float]) -> float:
    """Kish's effective sample size ``(Σw)² / Σw²``."""
    squares = sum(w * w for w in weights)
    return sum(weights) ** 2 / squares if squares > 0 else 0.0


def wilson(p: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion ``p`` observed on (effective) size ``n``."""
    if n <= 0:
        return 0.0, 1.0
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def estimate(tasks: Sequence[Task], *, min_n: int = 10) -> Estimate:
    """The post-stratified Hajek estimate with its interval and bounds (see module doc)."""
    tasks = [t for t in tasks if t.pi > 0]  # π = 0 tasks could never be asked: outside the design
    by_category: dict[str, list[Task]] = {}
    for t in tasks:
        by_category.setdefault(t.category, []).append(t)

    strata = {name: _stratum(members) for name, members in sorted(by_category.items())}
    # the strata where someone rated (π > 0, so a rating always has weight and the rate is known)
    rates = {name: s["rate"] for name, s in strata.items() if s["rate"] is not None}
    population = sum(strata[name]["tasks"] for name in rates)
    asked = sum(s["asked"] for s in strata.values())
    answered = sum(s["answered"] for s in strata.values())
    n = sum(s["n"] for s in strata.values())

    rate = low = high = None
    n_eff = 0.0
    if population:
        shares = {name: strata[name]["tasks"] / population for name in rates}
        point = sum(shares[name] * stratum_rate for name, stratum_rate in rates.items())
        n_eff = 1.0 / sum(shares[name] ** 2 / strata[name]["n_eff"] for name in rates)
        if n >= min_n:
            rate = point
            low, high = wilson(point, n_eff)
    worst_low, worst_high = _worst_case(strata)
    return Estimate(
        rate=rate,
        low=low,
        high=high,
        n=n,
        n_eff=n_eff,
        tasks=len(tasks),
        asked=asked,
        answered=answered,
        response_rate=answered / asked if asked else None,
        worst_low=worst_low,
        worst_high=worst_high,
        covered=population / len(tasks) if tasks else 0.0,
        min_n=min_n,
        strata=strata,
    )


def _stratum(members: list[Task]) -> Stratum:
    rated = [t for t in members if t.rated]
    weights = [1.0 / t.pi for t in rated]
    asked = [t for t in members if t.shown]
    return {
        "tasks": len(members),
        "asked": len(asked),
        "answered": sum(t.answered for t in members),
        "n": len(rated),
        "n_eff": kish_n_eff(weights),
        "rate": hajek((1.0 / t.pi, float(t.rating == "up")) for t in rated),
        # worst case over the asked: unknown answers as down / as up
        "worst_low": hajek((1.0 / t.pi, float(t.rating == "up")) for t in asked),
        "worst_high": hajek((1.0 / t.pi, float(t.rating != "down")) for t in asked),
    }


def _worst_case(strata: dict[str, Stratum]) -> tuple[float | None, float | None]:
    # the strata where someone was asked: there both bounds are known
    asked = [
        (s["tasks"], low, high)
        for s in strata.values()
        if (low := s["worst_low"]) is not None and (high := s["worst_high"]) is not None
    ]
    population = sum(tasks for tasks, _, _ in asked)
    if not population:
        return None, None
    low = sum(tasks * low for tasks, low, _ in asked) / population
    high = sum(tasks * high for tasks, _, high in asked) / population
    return low, high


def raw_rate(ratings: Iterable[str | None]) -> tuple[float | None, int]:
    """Unweighted share of "up" among up/down ratings, and how many there were."""
    values = [r == "up" for r in ratings if r in ("up", "down")]
    return (sum(values) / len(values) if values else None), len(values)
