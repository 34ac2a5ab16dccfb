"""Exporting a session: Markdown for people, JSON with everything, JSONL events.

What the store wrote is redacted already; the export passes the redactor over
its text once more, for databases written before (or by a process that did not
know a secret this one knows).
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from app.agent.events.format import cost_with_source
from storage.queries import conversation, load_events, session_summary
from storage.redact import Redactor

FORMATS = ("md", "json", "jsonl")


def export_session(db: sqlite_utils.Database, session_id: str, fmt: str, *, redactor: Redactor | None = None) -> str:
    if fmt == "md":
        text = to_markdown(db, session_id)
    elif fmt == "json":
        text = to_json(db, session_id)
    elif fmt == "jsonl":
        text = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in load_events(db, session_id))
    else:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return (redactor or Redactor.from_environment()).replace_secrets(text)


def to_json(db: sqlite_utils.Database, session_id: str) -> str:
    data: dict[str, Any] = {
        "session": dict(db.table("sessions").get(session_id)),
        "summary": session_summary(db, session_id),
        "messages": conversation(db, session_id),
        "model_calls": list(db.query("select * from model_calls where session_id = ? order by started_at", [session_id])),
        "tool_calls": list(db.query("select * from tool_calls where session_id = ? order by requested_at", [session_id])),
        "events": load_events(db, session_id),
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def _fence(text: str, lang: str = "") -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}{lang}\n{text.rstrip()}\n{fence}\n"


def to_markdown(db: sqlite_utils.Database, session_id: str) -> str:
    s = session_summary(db, session_id)
    lines = [
        f"# {s['title'] or 'Untitled session'}",
        "",
        f"- Session: `{s['id']}` ({s['source']})",
        f"- Model: {s['model']}",
        f"- Workspace: {s['workspace']}",
        f"- Started: {s['started_at']} · Status: **{s['status']}**",
        f"- Model calls: {s['model_calls']} · Tool calls: {s['tool_calls']} ({s['tool_calls_ok']} ok, {s['tool_calls_failed']} failed)",
        f"- Tokens: {s['tokens_in']:,} in / {s['tokens_out']:,} out / {s['tokens_cached']:,} cached · Cost: {cost_with_source(s['cost_usd'], unpriced=s['unpriced_calls'], sources=s['cost_sources'])}",
        "",
    ]
    tool_rows = {
        r["tool_call_id"]: r
        for r in db.query("select tool_call_id, status, duration_ms from tool_calls where session_id = ?", [session_id])
    }
    for message in conversation(db, session_id):
        role, content = message["role"], message.get("content") or ""
        if role == "system":
            continue
        if role == "user":
            lines += ["## User", "", content, ""]
        elif role == "assistant":
            lines += ["## Assistant", ""]
            if content:
                lines += [content, ""]
            for call in message.get("tool_calls") or []:
                fn = call.get("function", {})
                lines += [f"**Tool call** `{fn.get('name')}`", "", _fence(fn.get("arguments") or "", "json")]
        elif role == "tool":
            info = tool_rows.get(message.get("tool_call_id"), {})
            status = info.get("status", "")
            lines += [f"**Result** ({status})", "", _fence(content)]
    return "\n".join(lines).rstrip() + "\n"
