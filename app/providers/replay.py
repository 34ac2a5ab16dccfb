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

from pathlib import Path
from typing import Any

from app.agent.providers.scripted import ScriptedLLM


def recorded_turns(db: Any, session_id: str) -> list[dict[str, Any]]:
    """One scripted turn per successful model call of the recorded session, in order."""
    from storage.queries import recorded_model_calls

    turns = []
    for call in recorded_model_calls(db, session_id):
        calls = [
            {"id": c.get("id"), "name": c.get("function", {}).get("name", ""), "arguments": c.get("function", {}).get("arguments", "")}
            for c in call["finished"].get("tool_calls") or []
        ]
        turn: dict[str, Any] = {"text": call["text"] or "", "tool_calls": calls}
        if call["prompt_tokens"] is not None:
            turn["usage"] = {"prompt_tokens": call["prompt_tokens"], "completion_tokens": call["completion_tokens"] or 0}
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
