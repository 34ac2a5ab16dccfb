"""``cockpit show ID``: a summary of one session."""

from __future__ import annotations

import argparse
import json
from typing import Any

from app.agent.events.format import cost, cost_with_source, duration, summary_retry_tax, token_totals, tool_outcomes
from app.commands.common import clear_errors, open_database


def register(subparsers: argparse._SubParsersAction) -> None:
    from app.cli import add_db_option

    parser = subparsers.add_parser("show", help="summarise one session")
    parser.add_argument("id", help="session id, a unique prefix of one, or 'latest'")
    parser.add_argument("--json", action="store_true")
    add_db_option(parser)
    parser.set_defaults(func=run)


@clear_errors
def run(args: argparse.Namespace) -> int:
    from storage.queries import resolve_session_id, session_summary, usage_by_role, usage_provenance

    db = open_database(args)
    s = session_summary(db, resolve_session_id(db, args.id))
    provenance = usage_provenance(db, s["id"])
    roles = usage_by_role(db, s["id"])
    counted = any(source != "none" for source in provenance["sources"])  # else the source recorded no usage
    if args.json:
        s = {**s, "usage": provenance, "roles": roles}
        print(json.dumps(s, indent=2, ensure_ascii=False))
        return 0
    lines = [
        f"session      {s['id']}  ({s['source']})",
        f"title        {s['title'] or '—'}",
        f"model        {s['model'] or '—'}",
        f"workspace    {s['workspace'] or '—'}",
        f"status       {s['status']}",
        f"started      {s['started_at']}   duration {duration(s['duration_s'])}",
        f"model calls  {s['model_calls']} ({s['model_call_errors']} failed)",
        f"tool calls   {s['tool_calls']} ({tool_outcomes(s)})",
        f"tokens       {_tokens(s, provenance['sources'])}",
        f"usage        {_provenance(provenance['sources'])}",
        f"cost         {_cost(s, counted=counted)}" + (f"   (retry tax {summary_retry_tax(s)})" if s["wasted_tokens"] else ""),
        f"by role      {_by_role(roles)}",
        f"events       {s['events']}",
    ]
    if provenance["upstream_retries"]:
        lines.insert(-1, f"proxy        retried upstream {provenance['upstream_retries']}× (hidden from the retry "
                         "budget; set num_retries: 0 in the proxy's config)")
    decisions = _role_decisions(db, s["id"])
    if decisions:
        lines.insert(-1, f"roles        {decisions}")
    loops = _loop_hits(db, s["id"])
    if loops:
        lines.insert(-1, f"loops        {len(loops)}: " + "; ".join(loops))
    print("\n".join(lines))
    return 0


def _tokens(s: dict, sources: dict[str, dict[str, int]]) -> str:
    """``3,210 in / 120 out / 0 cached``; ``—`` when no call has counts (the source recorded no usage)."""
    if not any(source != "none" for source in sources):
        return "—"
    cached = s["tokens_cached"] if "provider" in sources else None  # estimates have no cache figures
    return token_totals(s["tokens_in"], s["tokens_out"], cached)


def _cost(s: dict, *, counted: bool = True) -> str:
    """``$0.0123 (litellm's cost map)``, ``$0.0100 + 2 unpriced (…)``; ``unpriced (no price for M: …)``."""
    text = cost_with_source(s["cost_usd"], unpriced=s["unpriced_calls"], sources=s["cost_sources"])
    if s["cost_usd"] is None and s["unpriced_calls"]:
        tokens = f"{s['tokens_in']:,} in / {s['tokens_out']:,} out tokens" if counted else "no token counts"
        text += f" ({s['model'] or 'the model'} has no price in litellm's cost map or [pricing]; {tokens})"
    elif s["cost_usd"] is None and s["model_calls"]:
        text += " (no call finished: a failed or cancelled call has no cost of its own)"
    return text


def _by_role(roles: dict[str, dict[str, Any]]) -> str:
    """``main 4 calls: 3,210 in / 120 out, $0.0123; summary 1 call: 900 in / 80 out, $0.0011``; tokens ``—``
    when none of a role's calls has counts (the source recorded no usage)."""
    def tokens(row: dict[str, Any]) -> str:
        return "tokens —" if row["tokens_in"] is None else f"{row['tokens_in']:,} in / {row['tokens_out']:,} out"

    return "; ".join(
        f"{role} {row['calls']} call{'' if row['calls'] == 1 else 's'}: {tokens(row)}, {cost(row['cost_usd'])}"
        for role, row in roles.items()
    ) or "—"


_SOURCES = (("provider", "reported by the provider"), ("estimated", "estimated (the provider sent none)"),
            ("none", "without counts"))


def _provenance(sources: dict[str, dict[str, int]]) -> str:
    """``3 calls reported by the provider; 1 estimated (the provider sent none): 812 in / 40 out``."""
    parts = []
    for source, meaning in _SOURCES:
        row = sources.get(source)
        if row:
            counts = f": {row['tokens_in']:,} in / {row['tokens_out']:,} out" if source == "estimated" else ""
            parts.append(f"{row['calls']} call{'' if row['calls'] == 1 else 's'} {meaning}{counts}")
    return "; ".join(parts) or "—"


def _role_decisions(db, session_id: str) -> str:
    """The router's, the verifier's and escalation's decisions, counted (``app.agent.events.roles``)."""
    from app.agent.events.core import event_from_dict
    from app.agent.events.roles import ROLE_EVENTS, RoleDecision, decisions_summary
    from storage.queries import events_of_types

    rows = events_of_types(db, session_id, [cls.type for cls in ROLE_EVENTS])
    return decisions_summary(e for e in map(event_from_dict, rows) if isinstance(e, RoleDecision))


def _loop_hits(db, session_id: str) -> list[str]:
    """The loop detector's hits, e.g. ``repeated_failing_call bash ×3 (seen)``."""
    from storage.queries import loop_hits

    return [f"{pattern}{' ' + tool if tool else ''} ×{count} ({action})" for pattern, tool, count, action in loop_hits(db, session_id)]
