"""The feedback report: one dict built from the feedback tables, rendered with rich.

``build_report(db)`` is what ``cockpit feedback report`` and the TUI report
screen use; ``render_report(report)`` is its rich rendering for the terminal
(the TUI has its own widget, :mod:`widgets.feedback_report`, fed the same dict).
All numbers come from :mod:`app.agent.feedback.estimator`; a rate is ``None``
(with a "not enough data" message) whenever fewer than ``min_n`` ratings back it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from app.agent.events.format import money
from app.agent.feedback.config import FeedbackConfig
from app.agent.feedback.estimator import Estimate, Task, estimate, raw_rate

METHOD = "Hajek (weights 1/π), post-stratified by task category; 95% Wilson interval on the effective sample size"
WORST_TASKS = 5

# implicit signal -> (label, is the task showing it). ``tests_last`` is read from the runner's summary;
# ``unknown`` (no summary) and ``no_tests`` count neither as passing nor as failing.
SIGNALS: dict[str, tuple[str, Callable[[dict[str, Any]], bool]]] = {
    "denied": ("tool call denied", lambda s: s.get("denials", 0) > 0),
    "interrupted": ("interrupted", lambda s: bool(s.get("interrupted"))),
    "tool_error": ("tool errors", lambda s: s.get("tool_errors", 0) > 0),
    "retried": ("model call retried", lambda s: s.get("retries", 0) > 0),
    "loop": ("loop detected", lambda s: s.get("loop_hits", 0) > 0),
    "rephrased": ("prompt rephrased next", lambda s: bool(s.get("rephrased"))),
    "corrected": ("corrected next", lambda s: bool(s.get("corrected"))),
    "reverted": ("edits reverted", lambda s: bool(s.get("reverted_files"))),
    "modified": ("edits changed by user", lambda s: bool(s.get("modified_files"))),
    "tests_failed": ("tests failing at the end", lambda s: s.get("tests_last") == "failed"),
    "tests_passed": ("tests passing at the end", lambda s: s.get("tests_last") == "passed"),
    "abandoned": ("abandoned", lambda s: bool(s.get("abandoned"))),
}

# what makes a task one of the worst: (points, label, test on the task row)
_BADNESS: list[tuple[int, str, Callable[[dict[str, Any]], bool]]] = [
    (3, "rated down", lambda r: r.get("rating") == "down" or r.get("volunteered_rating") == "down"),
    (2, "edits reverted", lambda r: bool(r["signals"].get("reverted_files"))),
    (2, "corrected", lambda r: bool(r["signals"].get("corrected"))),
    (1, "rephrased", lambda r: bool(r["signals"].get("rephrased"))),
    (1, "interrupted", lambda r: bool(r["signals"].get("interrupted"))),
    (1, "abandoned", lambda r: bool(r["signals"].get("abandoned"))),
    (1, "tests failing", lambda r: r["signals"].get("tests_last") == "failed"),
    (1, "denied", lambda r: r["signals"].get("denials", 0) > 0),
    (1, "loop", lambda r: r["signals"].get("loop_hits", 0) > 0),
]


def build_report(
    db: Any, *, since: float | None = None, model: str | None = None, config: FeedbackConfig | None = None
) -> dict[str, Any]:
    """The report over a database's feedback tables (``db``: a sqlite-utils Database)."""
    from storage.feedback import task_rows

    report = build_report_from_rows(task_rows(db, since=since, model=model), config=config)
    report["filters"] = {"since": since, "model": model}
    return report


def build_report_from_rows(rows: list[dict[str, Any]], *, config: FeedbackConfig | None = None) -> dict[str, Any]:
    """The report over task rows as :func:`storage.feedback.task_rows` returns them."""
    config = config or FeedbackConfig()
    decided = [r for r in rows if r.get("pi") is not None]
    overall = _estimate(decided, config)
    volunteered_rate, volunteered_n = raw_rate(r.get("volunteered_rating") for r in rows)
    volunteered_shown = volunteered_rate if volunteered_n >= config.min_n else None
    worst_case = None
    if overall["response_rate"] is not None and overall["response_rate"] < config.min_response_rate:
        worst_case = {"low": overall["worst_low"], "high": overall["worst_high"]}
    gap = None
    if volunteered_shown is not None and overall["rate"] is not None:
        gap = volunteered_shown - overall["rate"]
    return {
        "method": METHOD,
        "min_n": config.min_n,
        "filters": {"since": None, "model": None},
        "headline": _headline(overall, worst_case),
        "estimate": overall,
        "worst_case": worst_case,
        "volunteered": {
            "n": volunteered_n,
            "rate": volunteered_shown,
            "message": "" if volunteered_shown is not None else f"not enough data (n = {volunteered_n} < {config.min_n})",
            "gap": gap,
        },
        "signals": _signal_rates(rows),
        "by_category": breakdown(decided, "category", config),
        "by_model": breakdown(decided, "model", config),
        "by_day": _by_day(decided, config),
        "worst_tasks": _worst_tasks(rows),
    }


def _tasks(rows: Iterable[dict[str, Any]]) -> list[Task]:
    return [
        Task(
            category=r.get("category") or "",
            pi=float(r["pi"]),
            shown=bool(r.get("shown")),
            rating=r.get("rating") if r.get("response") == "answered" else None,
        )
        for r in rows
    ]


def _estimate(rows: list[dict[str, Any]], config: FeedbackConfig) -> dict[str, Any]:
    e: Estimate = estimate(_tasks(rows), min_n=config.min_n)
    return {
        "rate": e.rate,
        "low": e.low,
        "high": e.high,
        "n": e.n,
        "n_eff": round(e.n_eff, 2),
        "tasks": e.tasks,
        "asked": e.asked,
        "answered": e.answered,
        "response_rate": e.response_rate,
        "worst_low": e.worst_low,
        "worst_high": e.worst_high,
        "covered": e.covered,
        "message": e.message,
    }


def _headline(overall: dict[str, Any], worst_case: dict[str, Any] | None) -> str:
    asked = f"{overall['n']} rated of {overall['asked']} asked, {overall['tasks']} tasks"
    if overall["rate"] is None:
        return f"{overall['message'].capitalize()} · {asked}"
    text = f"Satisfaction {pct(overall['rate'])} (95% CI {pct(overall['low'])}–{pct(overall['high'])}) · {asked}"
    if worst_case is not None:
        text += f" · worst case {pct(worst_case['low'])}–{pct(worst_case['high'])}"
    return text


def breakdown(rows: list[dict[str, Any]], key: str, config: FeedbackConfig) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row.get(key) or "", []).append(row)
    return [{key: name, **_estimate(members, config)} for name, members in sorted(groups.items())]


def _by_day(rows: list[dict[str, Any]], config: FeedbackConfig) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        day = dt.datetime.fromtimestamp(row["ts"]).date().isoformat() if row.get("ts") is not None else ""
        groups.setdefault(day, []).append(row)
    days = []
    for day, members in sorted(groups.items()):
        e = _estimate(members, config)
        days.append({"date": day, "tasks": e["tasks"], "n": e["n"], "rate": e["rate"]})
    return days


def _signal_rates(rows: list[dict[str, Any]]) -> dict[str, Any]:
    observed = [r["signals"] for r in rows if r.get("signals")]
    rates = {}
    for name, (label, shows) in SIGNALS.items():
        count = sum(1 for s in observed if shows(s))
        rates[name] = {"label": label, "count": count, "rate": count / len(observed) if observed else None}
    costs = [float(s.get("cost_usd") or 0.0) for s in observed]
    return {
        "tasks": len(observed),
        "rates": rates,
        "total_cost_usd": sum(costs),
        "mean_cost_usd": sum(costs) / len(costs) if costs else None,
    }


def _worst_tasks(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    scored = []
    for row in rows:
        why = [label for points, label, test in _BADNESS if test(row)]
        score = sum(points for points, label, test in _BADNESS if test(row))
        if score:
            scored.append((score, row, why))
    scored.sort(key=lambda item: (-item[0], -(item[1].get("ts") or 0.0)))
    return [
        {
            "task_id": row["task_id"],
            "session_id": row["session_id"],
            "turn": row["turn"],
            "model": row["model"],
            "category": row["category"],
            "score": score,
            "why": why,
            "comment": row.get("comment") or row.get("volunteered_comment") or "",
        }
        for score, row, why in scored[:WORST_TASKS]
    ]


def parse_since(text: str) -> float:
    """A date (``2025-01-31``) or ISO date-time as a Unix time; naive values are local time."""
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not a date: {text!r} (expected YYYY-MM-DD or an ISO date-time)") from None
    return moment.timestamp()


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


# --- rich rendering --------------------------------------------------------------------


def render_report(report: dict[str, Any]) -> Any:
    """The report as a rich renderable (a Group of tables)."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    e = report["estimate"]
    parts: list[Any] = [Text(report["headline"], style="bold"), Text(report["method"], style="dim")]

    summary = Table.grid(padding=(0, 2))
    summary.add_row("tasks", str(e["tasks"]))
    summary.add_row("asked", str(e["asked"]))
    summary.add_row("answered", f"{e['answered']} ({pct(e['response_rate'])} response rate)")
    summary.add_row("rated up/down (n)", f"{e['n']} (effective {e['n_eff']:.1f})")
    if report["worst_case"] is not None:
        wc = report["worst_case"]
        summary.add_row("worst case", f"{pct(wc['low'])} – {pct(wc['high'])} (under 80% answered)")
    v = report["volunteered"]
    summary.add_row("volunteered (raw)", pct(v["rate"]) if v["rate"] is not None else v["message"])
    if v["gap"] is not None:
        summary.add_row("gap (volunteered − estimate)", f"{v['gap'] * 100:+.0f} points")
    parts.append(summary)

    if "merged" in report:  # cockpit feedback report --merge
        m = report["merged"]
        parts.insert(1, Text(f"{m['tasks']} tasks of {m['people']} people, from {m['files']} files", style="bold"))
    for key, title in (("by_category", "By category"), ("by_model", "By model"), ("by_person", "By person")):
        if key not in report:
            continue
        table = Table(title=title, title_justify="left", expand=False)
        people = key == "by_person"
        for column in (key.removeprefix("by_"), "tasks", "asked", "n", "rate", "", *(("volunteered gap",) if people else ())):
            table.add_column(column)
        for row in report[key]:
            rate = row["rate"]
            shown = f"{pct(rate)} ({pct(row['low'])}–{pct(row['high'])})" if rate is not None else row["message"]
            cells = [row[key.removeprefix("by_")] or "—", str(row["tasks"]), str(row["asked"]), str(row["n"]), shown, bar(rate)]
            if people:
                gap = row["volunteered"]["gap"]
                cells.append("—" if gap is None else f"{gap * 100:+.0f} points")
            table.add_row(*cells)
        parts.append(table)

    signals = Table(title=f"Implicit signals ({report['signals']['tasks']} tasks)", title_justify="left")
    signals.add_column("signal")
    signals.add_column("tasks", justify="right")
    signals.add_column("rate", justify="right")
    signals.add_column("")
    for item in report["signals"]["rates"].values():
        signals.add_row(item["label"], str(item["count"]), pct(item["rate"]), bar(item["rate"]))
    mean_cost = report["signals"]["mean_cost_usd"]
    if mean_cost is not None:
        signals.caption = f"mean cost per task {money(mean_cost)}"
    parts.append(signals)

    if report["worst_tasks"]:
        worst = Table(title="Worst tasks", title_justify="left")
        for column in ("session", "turn", "why", "comment"):
            worst.add_column(column)
        for task in report["worst_tasks"]:
            worst.add_row(task["session_id"], str(task["turn"]), ", ".join(task["why"]), task["comment"])
        parts.append(worst)
    return Group(*parts)


def bar(rate: float | None, width: int = 20) -> str:
    """A text bar for a rate in 0..1 (empty for None)."""
    if rate is None:
        return ""
    filled = round(rate * width)
    return "█" * filled + "░" * (width - filled)
