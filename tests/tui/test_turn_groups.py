"""A turn's blocks sit in one group (widgets/turn_group.py), spaced as the transcript's own children
would be; a group far out of sight is covered (a layout pass does not visit its blocks), and one
that comes near (scrolled to, a block focused) is shown again."""

from __future__ import annotations

import asyncio

import pytest

from app.agent.approvals import HeadlessApprover
from app.agent.events.approvals import PermissionMode
from tests.tui.conftest import type_and_send, wait_idle, wait_open, wait_until
from widgets.notice import NoticeBlock
from widgets.tool_call import ToolCallBlock
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
    return list(app.transcript.query_children(TurnGroup))


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


async def opened(pilot, app) -> TurnGroup:
    """Until the session is open, its history shown, its resumption noted (nothing more comes in) and a
    group covered; the first group."""

    def settled() -> bool:
        notes = [b for b in app.transcript.blocks if isinstance(b, NoticeBlock)]
        return any("Resumed session" in n.message for n in notes) and any(g.covered for g in groups(app))

    await wait_open(pilot, app)
    await wait_until(pilot, settled, what="the resumed history, a group covered")
    return groups(app)[0]


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
        assert [type(b) for b in transcript.children if isinstance(b, UserMessage)] == [UserMessage] * TASKS
        tops = [b.virtual_region.y + (b.parent.virtual_region.y if isinstance(b.parent, TurnGroup) else 0)
                for b in blocks]
        assert tops == expected_tops(blocks)


async def test_far_groups_are_covered_and_shown_again_when_scrolled_to(resumed):
    app = resumed.app()
    async with app.run_test(size=(80, 24)) as pilot:
        first = await opened(pilot, app)
        assert first.covered and not groups(app)[-1].covered  # the view is at the end
        assert not set(first.walk_children()) & placed(app)  # a layout pass places none of its blocks

        app.transcript.scroll_home(animate=False)
        await wait_until(pilot, lambda: not first.covered, what="the first group shown")
        await pilot.pause()
        assert set(first.children) <= placed(app)
        assert groups(app)[-1].covered  # now the end is far out of sight


async def test_a_block_focused_in_a_covered_group_is_shown(resumed):
    app = resumed.app()
    async with app.run_test(size=(80, 24)) as pilot:
        first = await opened(pilot, app)
        title = first.query_one(ToolCallBlock).query_one("CollapsibleTitle")
        title.focus()
        await wait_until(pilot, lambda: not first.covered, what="the focused block's group shown")
        await wait_until(pilot, lambda: title.region and app.transcript.region.contains_region(title.region),
                         what="the focused block scrolled to")


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
        children = list(app.transcript.children)
        assert isinstance(children[children.index(group) - 1], UserMessage)
