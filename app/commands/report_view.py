"""How the usage report reads: one cell text per figure, the Rich table and the notes under it.

Shared by ``cockpit report`` and the TUI's Report screen, so both say the same thing. Rounding
is :mod:`app.agent.events.format`'s; a value not known reads ``—``, an unpriced cost ``unpriced``.
"""

from __future__ import annotations

from typing import Any

from app.agent.events.format import UNKNOWN, UNPRICED, cost_total, money, tokens

GROUPS = ("day", "week", "month", "model", "project", "source", "role")  # storage.report.GROUPS (a test keeps them equal)
COLUMNS = (  # (figure, header)
    ("sessions", "sessions"), ("calls", "calls"), ("tokens_in", "in"), ("tokens_out", "out"),
    ("cached_tokens", "cached"), ("cache_hit_rate", "cache hit"), ("cache_saved_usd", "saved"), ("cost_usd", "cost"),
    ("retry_tax", "retry tax"), ("wasted", "wasted"), ("loop_hits", "loops"), ("compactions", "compactions"),
)
GROUP_HEADERS = {"day": "day (UTC)", "week": "week from", "month": "month"}


PATH_MOST = 20  # a project's path in the table: its tail, at most this wide (whole beside every figure at 160 columns)


def key_text(key: str, by: str = "") -> str:
    """The group's name; a project's path shortened from the left (``…/work/app``), its tail kept."""
    if not key:
        return UNKNOWN
    return "…" + key[-(PATH_MOST - 1):] if by == "project" and len(key) > PATH_MOST else key


def percent(rate: float | None) -> str:
    return UNKNOWN if rate is None else f"{100 * rate:.0f}%"


def tax(tokens_: int, usd: float | None, unpriced_tokens: int = 0) -> str:
    """``1.2k · $0.0040``; ``1.2k · unpriced`` where nobody had a price for them (never ``$0``);
    ``1.2k · $0.0040 + unpriced`` where some had none; ``0`` when nothing was wasted."""
    if not tokens_ and not usd:
        return "0"
    if usd is None or unpriced_tokens >= tokens_:
        return f"{tokens(tokens_)} · {UNPRICED}"
    return f"{tokens(tokens_)} · {money(usd)}" + (f" + {UNPRICED}" if unpriced_tokens else "")


def count(n: int | None) -> str:
    return UNKNOWN if n is None else f"{n:,}"


def cells(row: dict[str, Any]) -> dict[str, str]:
    """Every figure of one report row as it reads."""
    return {
        "sessions": count(row["sessions"]),
        "calls": count(row["calls"]),
        "tokens_in": tokens(row["tokens_in"]),
        "tokens_out": tokens(row["tokens_out"]),
        "cached_tokens": tokens(row["cached_tokens"]),
        "cache_hit_rate": percent(row["cache_hit_rate"]),
        "cache_saved_usd": money(row["cache_saved_usd"]),
        "cost_usd": cost_total(row["cost_usd"], unpriced=row["unpriced_calls"]),
        "retry_tax": tax(row["retry_tax_tokens"], row["retry_tax_usd"], row["retry_tax_unpriced_tokens"]),
        "wasted": tax(row["wasted_tokens"], row["wasted_usd"], row["wasted_unpriced_tokens"]),
        "loop_hits": count(row["loop_hits"]),
        "compactions": count(row["compactions"]),
    }


NARROW = ("tokens_in", "tokens_out", "cache_hit_rate", "cost_usd")  # what fits 80 columns
MEDIUM = ("tokens_in", "tokens_out", "cached_tokens", "cache_hit_rate", "cost_usd", "retry_tax")  # 96 columns
WIDE = 150  # from this width every column


def columns_for(width: int) -> tuple[str, ...] | None:
    """The figures a table of this width shows whole (None: all of them)."""
    return None if width >= WIDE else (MEDIUM if width >= 96 else NARROW)


def report_table(report: dict[str, Any], columns: tuple[str, ...] | None = None) -> Any:
    """The rows and the total as a Rich table (``columns``: the figures shown, default all)."""
    from rich.table import Table

    shown_columns = [(name, header) for name, header in COLUMNS if columns is None or name in columns]
    table = Table(box=None, header_style="bold", show_footer=True, footer_style="bold")
    total = cells(report["total"])
    table.add_column(GROUP_HEADERS.get(report["by"], report["by"]), footer="total",
                     overflow="fold" if columns is None else "ellipsis")  # the name gives way, never a figure
    for name, header in shown_columns:
        table.add_column(header, footer=total[name], justify="right", no_wrap=True)
    for row in report["rows"]:
        shown = cells(row)
        table.add_row(key_text(row["key"], report["by"]), *(shown[name] for name, _ in shown_columns))
    return table


def unpriced_lines(report: dict[str, Any]) -> list[str]:
    """The usage nobody had a price for, by model: never in the costs above, never $0."""
    if not report["unpriced"]:
        return []
    lines = ["Unpriced (no price in litellm's cost map or [pricing]; not in the costs above):"]
    for row in report["unpriced"]:
        calls = row["calls"]
        lines.append(f"  {key_text(row['model'])}: {calls:,} call{'' if calls == 1 else 's'}, "
                     f"{row['tokens_in']:,} in / {row['tokens_out']:,} out tokens")
    return lines


def report_notes(report: dict[str, Any]) -> list[str]:
    notes = ["Cache hit = cached ÷ prompt tokens of the calls whose provider sent cache reads; saved = against "
             "the uncached price (— where not measured: imports, unpriced models, no cache field). "
             "Retry tax = failed attempts and their re-sent prompts; wasted adds malformed and loop-killed output."]
    total = report["total"]
    if total["cache_misses"] is not None:
        misses = total["cache_misses"]
        notes.append(f"Prompt cache: writes cost {money(total['cache_write_usd'])}; {misses:,} "
                     f"miss{'' if misses == 1 else 'es'} cost {money(total['cache_miss_usd'])}.")
    if report["by"] == "model":
        notes.append("Loop hits and compactions count for the model of the session's call before them.")
    if report["by"] == "role":
        notes.append(f"Loop hits and compactions belong to sessions, not to a role: {UNKNOWN} here "
                     "(the total has them).")
    if report["since"]:
        notes.append(f"Calls since {report['since']} (UTC).")
    return notes
