"""A task in the app: streamed answer, tool blocks, the status bar, error notices."""

from __future__ import annotations

from app.agent.events import core as ev
from app.agent.events.approvals import PermissionMode
from app.tui.messages import AgentEvent, TextReady
from tests.tui.conftest import type_and_send, wait_idle, wait_open
from widgets.assistant_message import AssistantMessage
from widgets.user_message import UserMessage
from widgets.notice import NoticeBlock
from widgets.tool_call import ToolCallBlock

ANSWER = "All done.\n\n- `notes.txt` holds **two** lines\n- nothing else changed\n"


async def test_a_task_streams_the_answer_and_shows_tool_blocks(harness, workspace):
    (workspace / "notes.txt").write_text("alpha\nbeta\n")
    h = harness(
        [
            {"text": "Let me look.", "tool_calls": [
                {"id": "c1", "name": "list_dir", "arguments": {"path": "."}},
                {"id": "c2", "name": "read_file", "arguments": {"path": "notes.txt"}},
            ]},
            {"text": ANSWER, "chunk_chars": 3, "chunk_delay": 0.001},
        ],
        mode=PermissionMode.YOLO,
    )
    seen: list[str] = []

    def hook(message):
        if isinstance(message, AgentEvent):
            seen.append(message.event.type)
        elif isinstance(message, TextReady):
            seen.append("text_ready")

    app = h.app()
    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "what is in notes.txt?")
        await wait_idle(pilot, app, h)

        users = list(app.transcript.query(UserMessage))
        assert [u.text for u in users] == ["what is in notes.txt?"]
        answers = list(app.transcript.query(AssistantMessage))
        assert [a.text for a in answers] == ["Let me look.", ANSWER]
        assert "two" in answers[1].source  # the Markdown document itself holds the streamed text

        blocks = list(app.transcript.query(ToolCallBlock))
        assert [(b.tool_name, b.status) for b in blocks] == [("list_dir", "ok"), ("read_file", "ok")]
        assert "beta" in blocks[1].result_text
        assert blocks[1].duration_ms is not None

        stats = app.status.stats
        assert stats.steps == 2 and stats.tokens_in > 0 and stats.tokens_out > 0
        assert stats.session_id == app.session.id
        assert "idle" in str(app.status.status_line())

        # The answer streamed in ~40 fragments, but they reach the UI coalesced.
        ui_text_messages = seen.count("text_delta") + seen.count("text_ready")
        assert len(h.events.of(ev.TextDelta)) > ui_text_messages >= 1
        # Everything else reached the UI once, in the order the core emitted it.
        skip = ("text_delta", "text_ready")
        assert [t for t in seen if t not in skip] == [e.type for e in h.events if e.type not in skip]

    assert h.session_row(app.session.id)["status"] == "completed"


async def test_a_provider_error_is_a_readable_notice_and_the_session_goes_on(harness):
    h = harness([
        {"error": {"status": 401, "message": "invalid x-api-key"}},
        {"text": "Back on track."},
    ])
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "hello")
        await wait_idle(pilot, app, h)

        notices = list(app.transcript.query(NoticeBlock))
        assert len(notices) == 1
        assert notices[0].level == "error"
        assert "invalid x-api-key" in notices[0].message
        assert "Traceback" not in notices[0].message
        assert h.events.of(ev.TurnFinished)[-1].outcome == "failed"

        await type_and_send(pilot, "try again")
        await wait_idle(pilot, app, h, turns=2)
        assert app.transcript.assistant_messages[-1].text == "Back on track."


async def test_a_missing_tool_and_bad_arguments_show_as_error_blocks(harness):
    h = harness(
        [
            {"tool_calls": [
                {"id": "x1", "name": "teleport", "arguments": {}},
                {"id": "x2", "name": "read_file", "arguments": "{not json"},
            ]},
            {"text": "I see."},
        ],
        mode=PermissionMode.YOLO,
    )
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "go")
        await wait_idle(pilot, app, h)
        blocks = {b.tool_name: b for b in app.transcript.query(ToolCallBlock)}
        assert blocks["teleport"].status == "validation_error"
        assert "unknown tool" in blocks["teleport"].result_text
        assert blocks["read_file"].status == "validation_error"
        assert blocks["read_file"].has_class("-error")


async def test_a_long_result_is_cut_and_can_be_shown_in_full(harness):
    h = harness(
        [{"tool_calls": [{"id": "b", "name": "bash", "arguments": {"command": "seq 1 100"}}]}, {"text": "counted"}],
        mode=PermissionMode.YOLO,
    )
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "count")
        await wait_idle(pilot, app, h)
        block = app.transcript.tool_block("b")
        result = block.query_one(".tool-result")
        more = block.query_one(".tool-more")
        assert str(result.render()).splitlines()[-1] == "24"
        assert more.display and "76 more lines" in str(more.label)
        block.collapsed = False
        await pilot.pause()
        await pilot.click(more)
        await pilot.pause()
        assert str(result.render()).splitlines()[-1] == "100"
        assert not more.display


async def test_the_transcript_keeps_the_last_turns_and_says_how_many_it_hides(harness):
    h = harness([{"text": "one"}, {"text": "two"}, {"text": "three"}])
    app = h.app(transcript_turns=2)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        for n, task in enumerate(("first", "second", "third"), start=1):
            await type_and_send(pilot, task)
            await wait_idle(pilot, app, h, turns=n)
        assert [m.text for m in app.transcript.query(UserMessage)] == ["second", "third"]
        assert [m.text for m in app.transcript.assistant_messages] == ["two", "three"]
        assert "1 earlier turn not shown" in str(app.transcript.query_one("#earlier").render())
        assert app.transcript.hidden_turns == 1


async def test_a_resumed_long_conversation_shows_its_last_turns(harness):
    from app.agent.events.transcript_view import TranscriptFold

    h = harness([])
    app = h.app(transcript_turns=2)
    events: list[ev.Event] = []
    for n in range(5):
        events += [
            ev.TurnStarted(turn=n + 1, user_text=f"task {n}"),
            ev.ToolCallRequested(tool_call_id=f"c{n}", name="read_file", arguments_raw='{"path": "a.py"}'),
            ev.ToolCallFinished(tool_call_id=f"c{n}", name="read_file", result="x = 1"),
            ev.ModelCallFinished(call_id=f"m{n}", text=f"answer {n}"),
            ev.TurnFinished(turn=n + 1, steps=2),
        ]
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await app.transcript.show_history(TranscriptFold.of(events))
        await pilot.pause()
        assert [m.text for m in app.transcript.query(UserMessage)] == ["task 3", "task 4"]
        assert "3 earlier turns not shown" in str(app.transcript.query_one("#earlier").render())
        blocks = list(app.transcript.query("ToolCallBlock"))
        assert [b.tool_call_id for b in blocks] == ["c3", "c4"] and all(b.status == "ok" for b in blocks)


def test_transcript_turns_setting_is_checked():
    from app.tui.main import _transcript_turns

    assert _transcript_turns({}) == (20, [])
    assert _transcript_turns({"transcript_turns": 80}) == (80, [])
    turns, problems = _transcript_turns({"transcript_turns": 0, "colour": "x"})
    assert turns == 20 and len(problems) == 2 and "colour" in problems[0] and "transcript_turns" in problems[1]
