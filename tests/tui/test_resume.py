"""A resumed or replayed session looks as it did live: one fold of the stored events.

The live transcript, the transcript of the same session resumed, and replay's
transcript at its last event all come from ``app/agent/events/transcript_view.py``.
"""

from __future__ import annotations

from app.agent.events.approvals import PermissionMode
from app.replay.timeline import Timeline
from storage.queries import load_events
from tests.tui.conftest import type_and_send, wait_idle, wait_open, wait_until
from widgets.assistant_message import AssistantMessage
from widgets.notice import NoticeBlock
from widgets.tool_call import ToolCallBlock
from widgets.user_message import UserMessage

SESSION = "feed000000000000"
TURNS = [
    {"text": "Checking the tests.", "tool_calls": [
        {"id": "b1", "name": "bash", "arguments": {"command": "echo 'Traceback: oops'; exit 3"}},
        {"id": "r1", "name": "read_file", "arguments": {"path": "notes.txt"}},
    ]},
    {"text": "The command **failed** with exit code 3."},
    {"text": "Nothing else to do."},
]
LIVE_KINDS = ("user", "assistant", "tool", "notice", "turn_end")


def shown(app) -> list[tuple]:
    """The transcript on screen, one tuple per block (what a reader sees of it)."""
    out: list[tuple] = []
    for widget in app.transcript.blocks:
        if isinstance(widget, UserMessage):
            out.append(("user", widget.text))
        elif isinstance(widget, AssistantMessage):
            out.append(("assistant", widget.text))
        elif isinstance(widget, ToolCallBlock):
            out.append(("tool", widget.tool_name, widget.status, widget.result_text, widget.exit_code, widget.title.plain))
        elif isinstance(widget, NoticeBlock):
            out.append(("notice", widget.message))
        elif widget.has_class("turn-summary"):
            out.append(("turn_end", str(widget.render())))
    return out


def replayed(db, session_id: str) -> list[tuple]:
    """Replay's transcript at the session's last event, in the same terms as ``shown``."""
    timeline = Timeline.from_stored(load_events(db, session_id))
    out: list[tuple] = []
    for e in timeline.transcript_at(timeline.last):
        if e.kind in ("user", "assistant"):
            out.append((e.kind, e.text))
        elif e.kind == "tool":
            out.append(("tool", e.name, e.status, e.full_output or e.result, e.exit_code))
        elif e.kind == "notice":
            out.append(("notice", e.text))
        elif e.kind == "turn_end":
            out.append(("turn_end", f"— {e.status} · {e.steps} step" + ("" if e.steps == 1 else "s")))
    return out


async def run_and_resume(h, app, pilot) -> tuple[list[tuple], list[tuple]]:
    """Two tasks live, then the same session resumed: what was shown each time."""
    await wait_open(pilot, app)
    await type_and_send(pilot, "run the tests")
    await wait_idle(pilot, app, h)
    await type_and_send(pilot, "anything else?")
    await wait_idle(pilot, app, h, turns=2)
    live = shown(app)
    app.run_guarded(app.switch_session(resume=SESSION), "session")
    await wait_until(pilot, lambda: app.session is not None and len(h.sessions) == 2 and app.transcript.query(NoticeBlock),
                     what="the resumed session")
    return live, shown(app)


async def test_a_failed_command_is_still_failed_after_a_resume(harness, workspace):
    (workspace / "notes.txt").write_text("alpha\n")
    h = harness(TURNS, mode=PermissionMode.YOLO, session_ids=[SESSION])
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await run_and_resume(h, app, pilot)
        bash = app.transcript.tool_block("b1")
        assert bash is not None and bash.status == "tool_error" and bash.exit_code == 3
        title = bash.title.plain
        assert "✗" in title and "error" in title and "exit 3" in title and "ok" not in title
        assert app.transcript.tool_block("r1").status == "ok"


async def test_live_resumed_and_replayed_transcripts_agree(harness, workspace):
    (workspace / "notes.txt").write_text("alpha\n")
    h = harness(TURNS, mode=PermissionMode.YOLO, session_ids=[SESSION])
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        live, resumed = await run_and_resume(h, app, pilot)
    assert [row[0] for row in live] == ["user", "assistant", "tool", "tool", "assistant", "turn_end",
                                        "user", "assistant", "turn_end"]
    assert resumed == [*live, ("notice", f"Resumed session {SESSION[:8]}.")]
    replay = replayed(h.db, SESSION)
    assert replay[: len(live)] == [row[:5] if row[0] == "tool" else row for row in live]
