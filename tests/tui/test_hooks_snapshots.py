"""Hook runs on screen: a hook that blocked a call, and one that failed, are one notice line each in the
transcript (the same fold live, on resume and in replay); one that ran quietly is no line. A task a
UserPromptSubmit hook refused leaves its reason and a free prompt."""

from __future__ import annotations

import asyncio

import pytest

from app.agent.approvals import HeadlessApprover
from app.agent.events.core import TurnStarted
from app.agent.events.hooks import HookRan
from app.agent.hooks.config import HooksConfig
from app.agent.hooks.hooks import Hooks
from app.tui.live_panes import LivePanes
from tests.tui.conftest import type_and_send, wait_idle, wait_open, wait_until
from tests.tui.helpers import FrozenClock
from widgets.notice import NoticeBlock

SESSION = "400c500000000000"
USAGE = {"prompt_tokens": 1200, "completion_tokens": 40}
TURNS = [
    {"text": "Cleaning up first.", "usage": USAGE, "tool_calls": [
        {"id": "b1", "name": "bash", "arguments": {"command": "rm -rf build"}}]},
    {"text": "The hook refused; I leave build/ alone.", "usage": USAGE},
]
HOOKS = {
    "PreToolUse": [{"matcher": "bash", "command": "echo 'rm is not allowed here; ask the user' >&2; exit 2"}],
    "Stop": [{"command": "echo 'lint is not installed' >&2; exit 1"}],
    "UserPromptSubmit": [{"command": "exit 0"}],
}
SIZES = [(80, 24), (100, 30), (160, 45)]


def stored_session(h) -> None:
    """The task run headless into the store, with the hooks (their durations frozen for the picture)."""
    session = h.make_session(HeadlessApprover(True))

    def emit(event: HookRan) -> None:
        event.duration_ms = 20.0
        session.bus.emit(event)

    hooks = Hooks(HooksConfig.from_dict(HOOKS), emit=emit, workspace=h.workspace, session_id=session.id)
    session.agent.hooks = session.agent.pipeline.hooks = hooks

    async def run() -> None:
        session.start()
        await session.run_task("clean the build folder")
        session.finish()

    asyncio.run(run())


def hook_notices(app) -> list[NoticeBlock]:
    return [n for n in app.transcript.query(NoticeBlock) if " hook " in n.message]


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_snapshot_a_blocking_and_a_failing_hook(harness, warm_imports, snap_compare, size):
    h = harness(TURNS, frozen=True, session_ids=[SESSION])
    stored_session(h)
    assert [(e.hook_event, e.outcome.value) for e in h.events.of(HookRan)] == [
        ("UserPromptSubmit", "ok"), ("PreToolUse", "blocked"), ("Stop", "failed")]
    h.resume = SESSION
    app = h.app(clock=FrozenClock(), cursor_blink=False, theme="textual-dark", session_panes=LivePanes)

    async def run_before(pilot):
        await wait_open(pilot, app)
        await wait_until(pilot, lambda: len(hook_notices(app)) == 2, what="the two hook lines")

    assert snap_compare(app, terminal_size=size, run_before=run_before)


async def test_a_refused_task_leaves_the_reason_on_screen_and_the_prompt_free(harness):
    h = harness([{"text": "Hello."}])
    make = h.make_session

    def with_hooks(approver, **overrides):
        session = make(approver, **overrides)
        refuse = "grep -q secret && echo 'no secrets in prompts' >&2 && exit 2; exit 0"
        session.agent.hooks = Hooks(HooksConfig.from_dict({"UserPromptSubmit": [{"command": refuse}]}),
                                    emit=session.bus.emit, workspace=h.workspace, session_id=session.id)
        return session

    h.make_session = with_hooks
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "the secret is 42")
        await wait_until(pilot, lambda: hook_notices(app) and not app.busy, what="the hook's line")
        (notice,) = hook_notices(app)
        assert notice.message.startswith("UserPromptSubmit hook blocked · exit 2") and notice.level == "warning"
        assert "no secrets in prompts" in notice.detail and not h.events.of(TurnStarted)

        await type_and_send(pilot, "say hello")
        await wait_idle(pilot, app, h)
        assert app.transcript.assistant_messages[-1].text == "Hello."


def test_a_web_fetch_call_is_titled_by_its_url():
    from widgets.tool_format import short_args

    assert short_args("web_fetch", {"url": "https://docs.python.org/3/library/asyncio.html"}, width=40) == (
        "https://docs.python.org/3/library/async…")
