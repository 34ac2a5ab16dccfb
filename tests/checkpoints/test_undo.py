"""Undo and redo over real files, through the real loop and the scripted model."""

from __future__ import annotations

from app.agent.checkpoints.actions import NOTE
from app.agent.events import core as ev
from app.agent.events.budget import ContextMeasured
from app.agent.events.checkpoints import (
    CheckpointRecorded,
    CheckpointRedone,
    CheckpointUndone,
)
from tests.checkpoints.support import call, git_workspace, tree, turn
from tests.core.helpers import make_session

BINARY = bytes(range(256)) * 4


async def test_undo_reverts_edits_creations_deletions_and_commands_then_redo_applies_them(
        workspace, tmp_path, write_script):
    git_workspace(workspace, {"a.txt": b"one\ntwo\n", "gone.txt": b"bye\n", "logo.bin": BINARY, "keep.txt": b"k\n"})
    before = tree(workspace)
    model = write_script(turn(
        call("edit_file", path="a.txt", old_string="two", new_string="TWO"),
        call("write_file", path="new/made.txt", content="fresh\n"),
        call("bash", command="rm gone.txt && printf '\\001\\002' > logo.bin && printf 'x' > by_cmd.txt"),
    ))
    session, events, _ = make_session(model, workspace, tmp_path / "c.db")
    session.start()
    await session.run_task("change things")
    after = tree(workspace)
    assert after["a.txt"] == b"one\nTWO\n" and "gone.txt" not in after and after["logo.bin"] == b"\x01\x02"

    [recorded] = events.of(CheckpointRecorded)
    kinds = {f["path"]: (f["by"], f["restorable"]) for f in recorded.files}
    assert kinds == {"a.txt": ("tool", True), "new/made.txt": ("tool", True), "gone.txt": ("command", True),
                     "logo.bin": ("command", True), "by_cmd.txt": ("command", True)}

    outcome = session.checkpoints.undo()
    assert outcome.done and outcome.conflicts == []
    assert tree(workspace) == before  # the binary file too, byte for byte
    assert not (workspace / "new").joinpath("made.txt").exists()
    messages = session.agent.messages
    assert messages[-1]["role"] == "user" and messages[-1]["content"].startswith(NOTE)
    assert not any(m.get("content") == "change things" for m in messages)  # the turn left the conversation
    assert events.of(CheckpointUndone)
    replaced = max(i for i, e in enumerate(events) if isinstance(e, ev.MessagesReplaced))
    assert not events[replaced].compaction
    measured = [e for e in list(events)[replaced:] if isinstance(e, ContextMeasured)]  # the meter follows the undo
    assert measured
    assert measured[-1].local_total < max(e.local_total for e in list(events)[:replaced] if isinstance(e, ContextMeasured))

    redone = session.checkpoints.redo()
    assert redone.done and tree(workspace) == after
    assert any(m.get("content") == "change things" for m in session.agent.messages)
    assert not session.agent.messages[-1]["content"].startswith(NOTE)
    assert events.of(CheckpointRedone)
    assert not session.checkpoints.redo().done  # once


async def test_a_file_changed_outside_between_turns_is_a_conflict_not_overwritten(workspace, tmp_path, write_script):
    (workspace / "a.txt").write_text("mine\n")
    model = write_script(turn(call("write_file", path="a.txt", content="agent\n")))
    session, events, _ = make_session(model, workspace, tmp_path / "c.db")
    session.start()
    await session.run_task("write")
    (workspace / "a.txt").write_text("edited by the user\n")

    refused = session.checkpoints.undo()
    assert not refused.done and refused.conflicts == ["a.txt"]
    assert (workspace / "a.txt").read_text() == "edited by the user\n"
    assert not events.of(CheckpointUndone)

    forced = session.checkpoints.undo(force=True)
    assert forced.done and (workspace / "a.txt").read_text() == "mine\n"
    undone = events.of(CheckpointUndone)[0]
    assert undone.conflicts == ["a.txt"] and undone.forced


async def test_the_users_own_commands_and_other_files_are_never_touched(workspace, tmp_path, write_script):
    (workspace / "other.txt").write_text("theirs\n")
    model = write_script(turn(call("write_file", path="a.txt", content="agent\n")))
    session, events, _ = make_session(model, workspace, tmp_path / "c.db")
    session.start()
    await session.run_input("!echo user > by_user.txt")  # the user's change: not recorded
    await session.run_task("write")
    (workspace / "other.txt").write_text("changed meanwhile\n")
    assert session.checkpoints.undo().done
    assert not (workspace / "a.txt").exists()
    assert (workspace / "by_user.txt").read_text() == "user\n"
    assert (workspace / "other.txt").read_text() == "changed meanwhile\n"
    [recorded] = events.of(CheckpointRecorded)
    assert [f["path"] for f in recorded.files] == ["a.txt"]


async def test_a_command_overwriting_a_file_nobody_kept_is_recorded_as_not_restorable(workspace, tmp_path, write_script):
    (workspace / "notes.txt").write_text("old\n")  # no git: its content was never read before the command
    model = write_script(turn(call("bash", command="echo new > notes.txt")))
    session, events, _ = make_session(model, workspace, tmp_path / "c.db")
    session.start()
    await session.run_task("overwrite")
    outcome = session.checkpoints.undo()
    assert outcome.done and outcome.plan.skipped == ["notes.txt"]
    assert (workspace / "notes.txt").read_text() == "new\n"  # left as it is, and said so
    undone = events.of(CheckpointUndone)[0]
    assert undone.skipped == ["notes.txt"]


async def test_undo_works_across_a_resume(workspace, tmp_path, write_script):
    (workspace / "a.txt").write_text("v1\n")
    model = write_script([*turn(call("write_file", path="a.txt", content="v2\n")),
                          *turn(call("write_file", path="a.txt", content="v3\n"))])
    session, _, _ = make_session(model, workspace, tmp_path / "c.db")
    session.start()
    await session.run_task("first")
    await session.run_task("second")
    session.finish()

    resumed, _, _ = make_session(write_script([{"text": "ok"}]), workspace, tmp_path / "c.db", resume=session.id)
    resumed.start()
    assert resumed.checkpoints.undo().done
    assert (workspace / "a.txt").read_text() == "v2\n"
    assert resumed.checkpoints.undo().done
    assert (workspace / "a.txt").read_text() == "v1\n"
    assert not any(m.get("content") in ("first", "second") for m in resumed.agent.messages)
    await resumed.run_task("third")  # the next request carries the note
    sent = resumed.agent.messages
    notes = [m for m in sent if str(m.get("content", "")).startswith(NOTE)]
    assert len(notes) == 1 and "turn 1" in notes[0]["content"]


async def test_the_transcript_fold_shows_a_line_for_each_checkpoint_event(workspace, tmp_path, write_script):
    from app.agent.events.transcript_view import NOTICE, TranscriptFold
    from storage.queries import load_events

    model = write_script(turn(call("write_file", path="a.txt", content="x\n")))
    session, _, db = make_session(model, workspace, tmp_path / "c.db")
    session.start()
    await session.run_task("write")
    session.checkpoints.undo()
    session.checkpoints.redo()
    stored = [ev.event_from_dict(row) for row in load_events(db, session.id)]  # as resume and replay read them
    lines = [e.text for e in TranscriptFold.of(stored).entries if e.kind == NOTICE]
    assert any(t.startswith("Checkpoint: turn 1 changed 1 file (1 created)") for t in lines)
    assert any(t.startswith("Undid turn 1: 1 file restored") for t in lines)
    assert any(t.startswith("Redid turn 1: 1 file applied again") for t in lines)


def test_a_stored_path_outside_the_workspace_is_never_written(workspace, tmp_path):
    from app.agent.checkpoints import files
    from app.agent.checkpoints.blobs import MemoryBlobs, digest

    blobs = MemoryBlobs()
    blobs.put(digest(b"evil"), b"evil")
    outside = tmp_path / "outside.txt"
    moves = [files.Move("../outside.txt", None, digest(b"evil"), True), files.Move(str(outside), None, digest(b"evil"), True)]
    plan = files.plan(workspace, moves, blobs)
    assert plan.skipped == ["../outside.txt", str(outside)]
    assert files.apply(workspace, plan, blobs, force=True) == [] and not outside.exists()


async def test_diff_shows_the_sessions_whole_change_from_its_checkpoints(workspace, tmp_path, write_script):
    (workspace / "a.txt").write_text("one\ntwo\n")
    (workspace / "old.bin").write_bytes(b"\0\1")
    model = write_script([*turn(call("edit_file", path="a.txt", old_string="two", new_string="TWO")),
                          *turn(call("write_file", path="b.txt", content="new\n"),
                                call("edit_file", path="a.txt", old_string="one", new_string="ONE")),
                          *turn(call("write_file", path="c.txt", content="undone\n"))])
    session, _, _ = make_session(model, workspace, tmp_path / "c.db")  # no git: the checkpoints alone
    session.start()
    for task in ("first", "second", "third"):
        await session.run_task(task)
    session.checkpoints.undo()
    diff = session.checkpoints.diff()
    assert "--- a/a.txt\n+++ b/a.txt\n" in diff and "-one\n-two\n+ONE\n+TWO\n" in diff  # both turns, one diff
    assert "--- /dev/null\n+++ b/b.txt\n" in diff and "+new\n" in diff
    assert "c.txt" not in diff  # undone
