"""A resumed session's turns continue from the last recorded turn, whatever its conversation now holds."""

from __future__ import annotations

import json

from app.agent.budget.counter import SUMMARY_MARKER
from app.agent.checkpoints.actions import NOTE
from app.agent.events.core import MessagesReplaced
from storage.db import open_db
from storage.queries import conversation, events_of_types
from storage.store import EventStore
from tests.support.cli import run_cli


def _turns(db_path: str, session_id: str) -> list[int]:
    return [e["turn"] for e in events_of_types(open_db(db_path), session_id, ["turn_started"])]


def test_a_compaction_summary_and_an_undo_note_are_not_counted_as_turns(capsys, workspace, write_script, tmp_path):
    model = write_script([{"text": "One."}, {"text": "Two."}, {"text": "Three."}])
    db = str(tmp_path / "c.db")
    common = ("--model", model, "--workspace", str(workspace), "--db", db)
    assert run_cli(capsys, "run", "task one", *common)[0] == 0
    session_id = json.loads(run_cli(capsys, "sessions", "--json", "--db", db)[1])[0]["id"]
    assert run_cli(capsys, "run", "task two", *common, "--resume", session_id)[0] == 0
    assert _turns(db, session_id) == [1, 2]

    # /undo of turn 2, then a /compact that summarized: two user messages that are not tasks
    store = EventStore(open_db(db))
    messages = conversation(store.db, session_id)
    rewritten = [messages[0], messages[1], {"role": "user", "content": f"{SUMMARY_MARKER} (2 messages)\nOne."},
                 {"role": "user", "content": f"{NOTE}The user undid their last request (turn 2, \"task two\")."}]
    replaced = MessagesReplaced(messages=rewritten, reason="manual", compaction=True)
    replaced.session_id, replaced.seq = session_id, store.last_seq(session_id) + 1
    store.append(replaced.to_dict())

    assert run_cli(capsys, "run", "task three", *common, "--resume", session_id)[0] == 0
    assert _turns(db, session_id) == [1, 2, 3]
