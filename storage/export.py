"""Exporting a session: Markdown for people, JSON with everything, JSONL events.

What the store wrote is redacted already; the export passes the redactor over
its text once more, for databases written before (or by a process that did not
know a secret this one knows).
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from app.agent.events.core import event_from_dict
from app.agent.events.format import cost_with_source
from app.agent.events.subagents import CONTRACT_VERSION
from storage.queries import conversation, load_events, session_summary
from storage.markdown_export import header_lines, session_markdown
from storage.redact import Redactor

FORMATS = ("md", "json", "jsonl")


def export_session(db: sqlite_utils.Database, session_id: str, fmt: str, *, redactor: Redactor | None = None) -> str:
    if fmt == "md":
        text = to_markdown(db, session_id)
    elif fmt == "json":
        text = to_json(db, session_id)
    elif fmt == "jsonl":
        text = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in versioned_events(db, session_id))
    else:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return (redactor or Redactor.from_environment()).replace_secrets(text)


def to_json(db: sqlite_utils.Database, session_id: str) -> str:
    data: dict[str, Any] = {
        "contract_version": CONTRACT_VERSION,  # this export's shape and its events' vocabulary
        "session": dict(db.table("sessions").get(session_id)),
        "summary": session_summary(db, session_id),
        "messages": conversation(db, session_id),
        "model_calls": list(db.query("select * from model_calls where session_id = ? order by started_at", [session_id])),
        "tool_calls": list(db.query("select * from tool_calls where session_id = ? order by requested_at", [session_id])),
        "events": versioned_events(db, session_id),
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def versioned_events(db: sqlite_utils.Database, session_id: str) -> list[dict[str, Any]]:
    """The session's events, each with the contract version it was stored under."""
    versions = dict(db.execute("select seq, contract_version from events where session_id = ?", [session_id]).fetchall())
    return [{**event, "contract_version": versions[event["seq"]]} for event in load_events(db, session_id)]


def to_markdown(db: sqlite_utils.Database, session_id: str) -> str:
    """Folded from the stored events (``storage/markdown_export.py``): retries, loop checks and tool calls included."""
    s = session_summary(db, session_id)
    cost = cost_with_source(s["cost_usd"], unpriced=s["unpriced_calls"], sources=s["cost_sources"])
    events = [event_from_dict(row) for row in load_events(db, session_id)]
    return session_markdown(header_lines(s, cost), events)
