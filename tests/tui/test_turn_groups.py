"""A turn's blocks sit in one group (widgets/turn_group.py), a few turns in one chapter
(widgets/turn_chapter.py), spaced as the transcript's own children would be; a chapter or group far
out of sight is covered (a layout pass does not visit its blocks), and one that comes near (scrolled
to, a block focused) is shown again."""

from __future__ import annotations

import asyncio

import pytest

from app.agent.approvals import HeadlessApprover
from app.agent.events.approvals import PermissionMode
from tests.tui.conftest import type_and_send, wait_idle, wait_open, wait_until
from widgets.notice import NoticeBlock
from widgets.tool_call import ToolCallBlock
from widgets.turn_chapter import CHAPTER_TURNS, TurnChapter
from widgets.turn_group import TurnGroup
from widgets.user_message import UserMessage

SESSION = "7a0e000000000000"
TASKS = 12
TURN = [
    {"text": "Looking.", "tool_calls": [{"id": "l1", "name": "list_dir", "arguments": {"path": "."}}]},
    {"text": "Two lines:\n\n- one\n- two"},
]


def stored_session(h) -> None:
    """``TASKS`` tasks run headless into the store, each a tool call and an answer."""
    session = h.make_session(HeadlessApprover(True))

    async def run() -> None:
        session.start()
        for n in range(TASKS):
            await session.run_task(f"task {n}")
        session.finish()

    asyncio.run(run())


def groups(app) -> list[TurnGroup]:
    """The turns' groups, top to bottom (in their chapters)."""
    return [group for chapter in app.transcript.chapters for group in chapter.groups]


def top(widget) -> int:
    """Where ``widget`` starts in the transcript's virtual space (through its chapter and group)."""
    y = 0
    while widget is not None and widget is not widget.app.transcript:
        y, widget = y + widget.virtual_region.y, widget.parent
    return y


def placed(app) -> set:
    return set(app.screen._compositor.full_map)


def expected_tops(blocks) -> list[int]:
    """Where each block would start as a child of the transcript: adjacent margins collapse."""
    tops, y, below = [], 0, None
    for block in blocks:
        top, _, bottom, _ = block.styles.margin
        y += top if below is None else max(below, top)
        tops.append(y)
        y += block.outer_size.height
        below = bottom
    return tops


def turns(chapter) -> list[str]:
    return [m.text for m in chapter.children if isinstance(m, UserMessage) and not m.queued]


def blank_in_view(app) -> list:
    """The covers (blank widgets standing for a chapter or group) a layout pass put in the view."""
    view = app.transcript.region
    return [w for w, geometry in app.screen._compositor.full_map.items()
            if isinstance(w.parent, TurnGroup) and w is w.parent._cover_widget and geometry.region.overlaps(view)]


async def opened(pilot, app) -> TurnChapter:
    """Until the session is open, its history shown, its resumption noted (nothing more comes in) and a
    chapter covered; the first chapter."""

    def settled() -> bool:
        notes = [b for b in app.transcript.blocks if isinstance(b, NoticeBlock)]
        return any("Resumed session" in n.message for n in notes) and app.transcript.chapters[0].covered

    await wait_open(pilot, app)
    await wait_until(pilot, settled, what="the resumed history, the first chapter covered")
    return app.transcript.chapters[0]


@pytest.fixture
def resumed(harness):
    """A harness whose app resumes the stored session (written before the test's event loop runs)."""
    h = harness(TURN * TASKS, mode=PermissionMode.YOLO, session_ids=[SESSION])
    stored_session(h)
    h.resume = SESSION
    return h


async def test_blocks_are_spaced_as_the_transcripts_own_children(resumed):
    app = resumed.app()
    async with app.run_test(size=(100, 200)) as pilot:  # tall enough that no group is covered
        await wait_open(pilot, app)
        await wait_until(pilot, lambda: len(groups(app)) == TASKS)
        await pilot.pause()
        transcript = app.transcript
        assert not any(group.covered for group in groups(app))
        blocks = [b for b in transcript.blocks if b.display]
        assert [type(b) for b in transcript.blocks if isinstance(b, UserMessage)] == [UserMessage] * TASKS
        assert [top(b) for b in blocks] == expected_tops(blocks)


async def test_a_resumed_session_lands_in_chapters_of_five_turns(resumed):
    app = resumed.app()
    async with app.run_test(size=(100, 40)) as pilot:
        await opened(pilot, app)
        transcript = app.transcript
        assert [w.id for w in transcript.children if not isinstance(w, TurnChapter)] == ["welcome"]
        assert [turns(c) for c in transcript.chapters] == [
            [f"task {n}" for n in range(start, min(start + CHAPTER_TURNS, TASKS))]
            for start in range(0, TASKS, CHAPTER_TURNS)]
        for chapter in transcript.chapters:  # each task line is followed by its group
            kinds = [type(w) for w in chapter.children]
            assert kinds[: 2 * len(turns(chapter))] == [UserMessage, TurnGroup] * len(turns(chapter))
        assert isinstance(transcript.blocks[-1], NoticeBlock)  # added after the history: in the last chapter
        assert transcript.chapters[-1] in transcript.blocks[-1].ancestors


async def test_far_chapters_and_groups_are_covered_and_shown_again_when_scrolled_to(resumed):
    app = resumed.app()
    async with app.run_test(size=(80, 24)) as pilot:
        first = await opened(pilot, app)
        last = app.transcript.chapters[-1]
        assert not last.covered and not groups(app)[-1].covered  # the view is at the end
        assert not set(first.walk_children()) & placed(app)  # a layout pass places none of its blocks
        shown = [c for c in app.transcript.chapters if not c.covered]
        assert any(g.covered for c in shown for g in c.groups)  # far groups of a chapter in view's reach
        assert not blank_in_view(app)

        app.transcript.scroll_home(animate=False)
        await wait_until(pilot, lambda: not first.covered, what="the first chapter shown")
        await pilot.pause()
        assert not first.groups[0].covered and set(first.groups[0].children) <= placed(app)
        assert not blank_in_view(app)
        assert last.covered  # now the end is far out of sight

        app.transcript.scroll_end(animate=False)
        await wait_until(pilot, lambda: not last.covered, what="the last chapter shown")
        await pilot.pause()
        assert not blank_in_view(app) and first.covered


async def test_a_block_focused_in_a_covered_chapter_is_shown(resumed):
    app = resumed.app()
    async with app.run_test(size=(80, 24)) as pilot:
        chapter = await opened(pilot, app)
        first = chapter.groups[0]
        title = first.query_one(ToolCallBlock).query_one("CollapsibleTitle")
        title.focus()
        await wait_until(pilot, lambda: not chapter.covered and not first.covered,
                         what="the focused block's chapter and group shown")
        await wait_until(pilot, lambda: title.region and app.transcript.region.contains_region(title.region),
                         what="the focused block scrolled to")
        await pilot.pause()
        assert not blank_in_view(app)


async def test_trim_keeps_the_last_whole_turns_across_chapters(harness):
    h = harness([{"text": f"answer {n}"} for n in range(CHAPTER_TURNS + 3)], mode=PermissionMode.YOLO)
    app = h.app(transcript_turns=3)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_open(pilot, app)
        for n in range(CHAPTER_TURNS + 3):
            await type_and_send(pilot, f"task {n}")
            await wait_idle(pilot, app, h, turns=n + 1)
        transcript = app.transcript
        assert [t for c in transcript.chapters for t in turns(c)] == [f"task {n}" for n in range(5, 8)]
        assert [turns(c) for c in transcript.chapters] == [["task 5", "task 6", "task 7"]]  # the first emptied
        assert [m.text for m in transcript.assistant_messages] == ["answer 5", "answer 6", "answer 7"]
        assert transcript.hidden_turns == 5
        assert "5 earlier turns not shown" in str(transcript.query_one("#earlier").render())
        assert [w.id for w in transcript.children][:2] == ["welcome", "earlier"]


async def test_a_queued_task_sent_after_a_chapter_boundary_goes_to_the_last_chapter(harness):
    write = {"id": "w1", "name": "write_file", "arguments": {"path": "a.txt", "content": "a\n"}}
    script = [{"text": f"answer {n}"} for n in range(CHAPTER_TURNS - 1)]
    script += [{"text": "writing", "tool_calls": [write]}, {"text": "fifth done"}, {"text": "sixth done"}]
    h = harness(script)
    app = h.app()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_open(pilot, app)
        for n in range(CHAPTER_TURNS):
            await type_and_send(pilot, f"task {n}")
            if n < CHAPTER_TURNS - 1:
                await wait_idle(pilot, app, h, turns=n + 1)
        await wait_until(pilot, lambda: app.busy and app.transcript.pending_approvals, what="the approval")
        app.prompt.focus()
        await type_and_send(pilot, "queued one")
        (queued,) = [m for m in app.transcript.query(UserMessage) if m.queued]
        assert queued.parent is app.transcript.chapters[0]  # a queued line starts no chapter

        app.transcript.pending_approvals[0].focus()
        await pilot.press("y")
        await wait_idle(pilot, app, h, turns=CHAPTER_TURNS + 1)
        transcript = app.transcript
        assert [turns(c) for c in transcript.chapters] == [[f"task {n}" for n in range(CHAPTER_TURNS)], ["queued one"]]
        assert not any(m.queued for m in transcript.query(UserMessage))
        blocks = transcript.blocks
        (sent,) = [m for m in transcript.query(UserMessage) if m.text == "queued one"]
        fifth = next(m for m in transcript.assistant_messages if m.text == "fifth done")
        assert blocks.index(sent) > blocks.index(fifth)
        assert transcript.assistant_messages[-1].text == "sixth done"
        assert transcript.assistant_messages[-1] in transcript.chapters[-1].walk_children()


async def test_a_live_turn_joins_one_group(harness):
    h = harness(TURN, mode=PermissionMode.YOLO)
    app = h.app()
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "look around")
        await wait_idle(pilot, app, h)
        (group,) = groups(app)
        kinds = [type(block).__name__ for block in group.children]
        assert kinds[0] == "AssistantMessage" and "ToolCallBlock" in kinds and kinds[-1] == "Static"
        children = list(group.parent.children)
        assert isinstance(children[children.index(group) - 1], UserMessage)


async def test_a_live_session_crossing_five_turns_starts_a_new_chapter(harness):
    h = harness([{"text": f"answer {n}"} for n in range(CHAPTER_TURNS + 1)], mode=PermissionMode.YOLO)
    app = h.app()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_open(pilot, app)
        for n in range(CHAPTER_TURNS + 1):
            await type_and_send(pilot, f"task {n}")
            await wait_idle(pilot, app, h, turns=n + 1)
        chapters = app.transcript.chapters
        assert [turns(c) for c in chapters] == [[f"task {n}" for n in range(CHAPTER_TURNS)], [f"task {CHAPTER_TURNS}"]]
        assert app.transcript.assistant_messages[-1] in chapters[-1].walk_children()
        await pilot.pause()
        blocks = [b for b in app.transcript.blocks if b.display]
        assert [top(b) for b in blocks] == expected_tops(blocks)
