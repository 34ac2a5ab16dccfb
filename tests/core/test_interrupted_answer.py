"""An answer the user interrupts is kept as it was seen: stored with its cancelled call, shown
the same way live, on resume, in replay and in the Markdown export, and sent to the model on
the next turn marked as interrupted."""

from __future__ import annotations

import asyncio

from app.agent.approvals import HeadlessApprover
from app.agent.events import core as ev
from app.agent.events.transcript_view import ANSWER, TranscriptFold
from app.agent.model_call import INTERRUPTED_MARK
from app.runtime import RunOptions, build_session
from app.settings import Settings
from storage.export import to_markdown
from storage.queries import load_shown_events
from storage.store import EventStore
from tests.core.helpers import make_session

LONG = "".join(f"{n}. Item **{n}**: the function `f{n}` returns a value.\n" for n in range(1, 200))


async def _interrupted(workspace, tmp_path, write_script):
    model = write_script([{"text": LONG, "chunk_chars": 5, "chunk_delay": 0.01}, {"text": "next answer"}])
    session, events, db = make_session(model, workspace, tmp_path / "c.db")
    session.start()
    task = asyncio.create_task(session.run_task("interrupt me"))
    for _ in range(500):
        if len(events.of(ev.TextDelta)) >= 20:
            break
        await asyncio.sleep(0.01)
    task.cancel()
    result = await task
    seen = "".join(d.text for d in events.of(ev.TextDelta))
    return session, events, db, result, seen


def _answers(fold: TranscriptFold) -> list:
    return [e for e in fold.entries if e.kind == ANSWER]


async def test_the_cut_short_answer_is_stored_and_folds_the_same_live_and_from_the_store(
        workspace, tmp_path, write_script):
    session, events, db, result, seen = await _interrupted(workspace, tmp_path, write_script)
    session.finish()
    assert result.outcome == "interrupted" and seen and seen != LONG
    finished = [e for e in events.of(ev.ModelCallFinished) if e.role == ev.ROLE_MAIN][-1]
    assert finished.status is ev.CallStatus.CANCELLED and finished.text == seen

    live = _answers(TranscriptFold.of(events))
    stored = _answers(TranscriptFold.of(ev.event_from_dict(row) for row in load_shown_events(db, session.id)))
    assert [(a.text, a.interrupted, a.failed) for a in live] == [(seen, True, True)]
    assert [(a.text, a.interrupted, a.failed) for a in stored] == [(seen, True, True)]


async def test_the_export_shows_the_cut_short_answer_marked_interrupted(workspace, tmp_path, write_script):
    session, _, db, _, seen = await _interrupted(workspace, tmp_path, write_script)
    session.finish()
    markdown = to_markdown(db, session.id)
    assistant = markdown.split("## Assistant", 1)[1]
    assert seen.rstrip() in assistant and "interrupted by the user" in assistant


async def test_the_next_turn_after_resume_sends_the_cut_short_answer_marked(workspace, tmp_path, write_script):
    session, _, db, _, seen = await _interrupted(workspace, tmp_path, write_script)
    assert session.agent.messages[-1] == {"role": "assistant", "content": seen + INTERRUPTED_MARK}
    session.finish()

    options = RunOptions(workspace=workspace, resume=session.id[:6], yes=True)
    again = build_session(Settings(), options, human=HeadlessApprover(True), store=EventStore(db))
    assert [m["content"] for m in again.agent.messages[1:]] == ["interrupt me", seen + INTERRUPTED_MARK]
    again.start()
    result = await again.run_task("go on")
    again.finish()
    assert result.outcome == "completed" and result.answer == "next answer"
    assert [m["role"] for m in again.agent.messages[1:]] == ["user", "assistant", "user", "assistant"]
