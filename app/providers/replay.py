"""``replay/<session-id>``: feed a recorded session's model responses back
through the current harness (a litellm custom provider).

Each successful model call of the recorded session becomes one scripted turn
(text, tool calls with their raw arguments, reported usage), in the order they
happened. Tools really run, so a harness change can be regression-tested
against real sessions: run it in a fresh copy of the workspace and compare the
new session with the old one (``cockpit run --model replay/ID --workspace COPY``
prints the comparison).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.agent.providers.scripted import ScriptedLLM


def recorded_turns(db: Any, session_id: str) -> list[dict[str, Any]]:
    turns = []
    for row in db.query(
        """select text, tool_calls_json, prompt_tokens, completion_tokens from (
               select m.text, (select payload from events e where e.session_id = m.session_id
                               and e.type = 'model_call_finished' and json_extract(e.payload, '$.call_id') = m.id) as tool_calls_json,
                      m.prompt_tokens, m.completion_tokens, m.turn, m.step, m.attempt, m.started_at
               from model_calls m where m.session_id = ? and m.status = 'ok')
           order by started_at, turn, step, attempt""",
        [session_id],
    ):
        payload = json.loads(row["tool_calls_json"] or "{}")
        calls = [
            {"id": c.get("id"), "name": c.get("function", {}).get("name", ""), "arguments": c.get("function", {}).get("arguments", "")}
            for c in payload.get("tool_calls") or []
        ]
        turn: dict[str, Any] = {"text": row["text"] or "", "tool_calls": calls}
        if row["prompt_tokens"] is not None:
            turn["usage"] = {"prompt_tokens": row["prompt_tokens"], "completion_tokens": row["completion_tokens"] or 0}
        turns.append(turn)
    return turns


class ReplayLLM(ScriptedLLM):
    """A scripted provider whose scripts are recorded sessions in the database."""

    def __init__(self, db_path: Path) -> None:
        super().__init__()
        self.db_path = db_path

    def _script(self, session_id: str) -> list[dict[str, Any]]:  # type: ignore[override]
        cached = self._scripts.get(session_id)
        if cached is None:
            from storage.db import open_db

            db = open_db(self.db_path)
            try:
                cached = (0.0, recorded_turns(db, session_id))
            finally:
                db.conn.close()
            self._scripts[session_id] = cached
        return cached[1]


def compare_sessions(db: Any, old_id: str, new_id: str) -> list[tuple[str, Any, Any]]:
    """Side by side: what changed between a recorded session and its re-run."""
    from storage.queries import session_summary

    old, new = session_summary(db, old_id), session_summary(db, new_id)
    keys = ("status", "steps", "model_calls", "tool_calls", "tool_calls_ok", "tool_calls_failed", "tokens_in", "tokens_out")
    return [(k, old[k], new[k]) for k in keys]
