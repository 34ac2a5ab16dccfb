"""How numbers read everywhere: token counts, money and durations, and a dash for a value not known.

One place rounds, so the status bar, the panes, the sessions list, ``cockpit show`` and exports agree:
``tokens(12_345) == "12.3k"``, ``money(0.0123) == "$0.0123"``, ``duration(1.234) == "1.2s"``.
A cost nobody has a price for reads ``unpriced`` (:func:`cost`), never ``$0.0000``.
Each rounds half up, once, and a value that rounds up to the next unit reads in that unit
(``99_950`` tokens is ``100k``, not ``100.0k``; 59.96 s is ``1m00s``, not ``60.0s``).
Standard library only: widgets, the core, commands and storage all use it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

UNKNOWN = "—"  # the value is not known (not recorded, not measured yet)

# (below this many tokens, a unit of this many, shown with this many decimals, suffix)
_TOKEN_TIERS = (
    (1_000, 1, 0, ""),
    (100_000, 1_000, 1, "k"),
    (1_000_000, 1_000, 0, "k"),
    (10_000_000, 1_000_000, 2, "M"),
    (100_000_000, 1_000_000, 1, "M"),
    (math.inf, 1_000_000, 0, "M"),
)


def _half_up(x: float) -> int:
    return math.floor(x + 0.5)


def _sign(value: float) -> str:
    return "-" if value < 0 else ""


def _fixed(steps: int, places: int) -> str:
    """``steps`` hundredths (or tenths, or ones: ``10 ** places`` to the unit) as a decimal number."""
    if not places:
        return str(steps)
    whole, part = divmod(steps, 10**places)
    return f"{whole}.{part:0{places}d}"


def tokens(n: float | None) -> str:
    """``950``, ``1.0k``, ``41.2k``, ``128k``, ``1.05M``, ``12.3M``, ``123M``; ``-2.3k``; ``—`` for None."""
    if n is None:
        return UNKNOWN
    count = abs(n)
    for below, unit, places, suffix in _TOKEN_TIERS:
        step = unit / 10**places
        steps = _half_up(count / step)
        if steps * step < below:
            return f"{_sign(n) if steps else ''}{_fixed(steps, places)}{suffix}"
    raise AssertionError("unreachable: the last tier has no bound")


def token_totals(tokens_in: int | None, tokens_out: int | None, cached: int | None) -> str:
    """``3,210 in / 120 out / 1,024 cached``; cached reads ``—`` when no call's provider sent a cache figure,
    and the whole ``—`` when no call has counts (``tokens_in`` None: ``storage.queries.SUMMARY_SQL``)."""
    if tokens_in is None or tokens_out is None:
        return UNKNOWN
    return f"{tokens_in:,} in / {tokens_out:,} out / {UNKNOWN if cached is None else f'{cached:,}'} cached"


def money(usd: float | None) -> str:
    """US dollars to a hundredth of a cent: ``$0.0123``, ``$12.5000``, ``-$0.0100``; ``—`` for None."""
    if usd is None:
        return UNKNOWN
    steps = _half_up(abs(usd) * 10_000)
    return f"{_sign(usd) if steps else ''}${_fixed(steps, 4)}"


UNPRICED = "unpriced"  # a cost nobody has a price for (litellm's cost map, the [pricing] table)

# Who priced a cost, as ``cockpit show`` and exports say it (``COST_*`` in app.agent.events.core).
COST_SOURCE_LABELS = {
    "litellm": "litellm's cost map",
    "configured": "configured in [pricing]",
    "recorded": "as the other agent recorded it",
    "model_name": "priced by Cockpit from the model name",
    "proxy": "as the LiteLLM proxy counted it",
}


def cost(usd: float | None, *, unpriced: int = 0) -> str:
    """A cost that may be unknown: ``money(usd)``; ``unpriced`` for None (no price: never ``$0``);
    ``$0.0123 + 2 unpriced`` for a known partial sum beside calls that have no price."""
    if usd is None:
        return UNPRICED
    return money(usd) + (f" + {unpriced} {UNPRICED}" if unpriced else "")


def cost_total(usd: float | None, *, unpriced: int = 0) -> str:
    """A sum over model calls (``usd`` None: no call had a price): :func:`cost`, but ``—`` when no call
    cost anything we know of (none made, or every one failed or was cancelled: no cost of its own)."""
    return UNKNOWN if usd is None and not unpriced else cost(usd, unpriced=unpriced)


@dataclass
class CostTally:
    """A running cost over model calls: the priced calls' sum and how many succeeded without a price."""

    usd: float = 0.0
    priced: int = 0
    unpriced: int = 0

    def add(self, usd: float | None, *, ok: bool) -> None:
        """One finished call: its cost (None: unpriced); a failed call without a cost counts for nothing."""
        if usd is not None:
            self.usd += usd
            self.priced += 1
        elif ok:
            self.unpriced += 1

    def add_sum(self, usd: float | None, *, unpriced: int) -> None:
        """Calls tallied elsewhere (a child agent's): their priced sum (None: none priced) and unpriced count."""
        if usd is not None:
            self.usd += usd
            self.priced += 1
        self.unpriced += unpriced

    @property
    def total(self) -> float | None:
        """The priced calls' sum; None while no call had a price (a failed call adds nothing, not $0)."""
        return self.usd if self.priced else None

    def text(self) -> str:
        return cost_total(self.total, unpriced=self.unpriced)


def cost_sources(sources: str | None) -> str:
    """``litellm,model_name`` (as stored, comma-separated) in words; "" for none."""
    names = [n for n in (sources or "").split(",") if n]
    return "; ".join(COST_SOURCE_LABELS.get(n, n) for n in names)


def cost_with_source(usd: float | None, *, unpriced: int = 0, sources: str | None = None) -> str:
    """:func:`cost` and who priced it: ``$0.0123 (litellm's cost map)``, ``$0.0100 + 1 unpriced (…)``,
    ``unpriced``, ``—`` (:func:`cost_total`). Where a line has room: ``cockpit show``, exports, the session summary."""
    note = cost_sources(sources) if usd is not None else ""
    return cost_total(usd, unpriced=unpriced) + (f" ({note})" if note else "")


def retry_tax(usd: float | None, tokens: int, estimated: int = 0) -> str:
    """The retry tax: ``$0.0012, 1,498 tokens``; tokens only where nobody has a price
    (``usd`` None): ``1,498 tokens, unpriced``; ``none`` when nothing was wasted. ``estimated``
    of the tokens are estimates, not the provider's count: ``≈540 tokens, estimated``
    (``≈1,040 tokens, 540 estimated`` when only some are)."""
    if tokens <= 0 and not usd:
        return "none"
    counted = f"{'≈' if estimated else ''}{tokens:,} tokens" + tax_estimate_note(estimated, tokens, prefix=", ")
    return f"{counted}, {UNPRICED}" if usd is None else f"{money(usd)}, {counted}"


def summary_retry_tax(summary: Mapping[str, Any]) -> str:
    """:func:`retry_tax` of a stored session's summary (``storage.queries.session_summary``): dollars
    where the session's calls had a price, else tokens only; its estimated part said."""
    usd = None if summary["cost_usd"] is None else summary["wasted_usd"]
    return retry_tax(usd, summary["wasted_tokens"], summary.get("wasted_estimated_tokens") or 0)


def tax_estimate_note(estimated: int, tokens: int, *, kind: str = "", prefix: str = "") -> str:
    """Which part of a retry tax of ``tokens`` is an estimate: ``estimated`` (all of it),
    ``540 estimated`` (some), nothing (none); ``kind`` names whose (``calibrated`` → ``calibrated
    estimate``)."""
    if estimated <= 0:
        return ""
    word = f"{kind} estimate" if kind else "estimated"
    return prefix + (word if estimated >= tokens else f"{estimated:,} {word}")


def count_of(n: int, word: str, words: str = "") -> str:
    """``1 step``, ``2 steps``, ``1 retry``, ``3 retries`` (``words``: the plural when it is not ``word + s``)."""
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def tool_outcomes(summary: Mapping[str, Any]) -> str:
    """``16 ok, 2 failed`` of a stored session's tool calls, then ``1 denied`` and ``1 outcome unknown``
    when there are any (a denied call did not fail: it never ran)."""
    parts = [f"{summary['tool_calls_ok']} ok", f"{summary['tool_calls_failed']} failed"]
    if summary.get("tool_calls_denied"):
        parts.append(f"{summary['tool_calls_denied']} denied")
    if summary.get("tool_calls_unknown"):
        parts.append(f"{summary['tool_calls_unknown']} outcome unknown")
    return ", ".join(parts)


def duration(seconds: float | None) -> str:
    """``0s``, ``0.01s``, ``0.25s``, ``4.2s``, ``42.1s``, ``3m07s``, ``2h05m``; ``—`` for None."""
    if seconds is None:
        return UNKNOWN
    if seconds == 0:
        return "0s"
    sign, s = _sign(seconds), abs(seconds)
    if (hundredths := _half_up(s * 100)) < 100:
        return f"{sign if hundredths else ''}{_fixed(hundredths, 2)}s"
    if (tenths := _half_up(s * 10)) < 600:
        return f"{sign}{_fixed(tenths, 1)}s"
    if (whole := _half_up(s)) < 3_600:
        return f"{sign}{whole // 60}m{whole % 60:02d}s"
    minutes = _half_up(s / 60)
    return f"{sign}{minutes // 60}h{minutes % 60:02d}m"
