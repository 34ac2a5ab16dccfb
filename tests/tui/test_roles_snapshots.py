"""The roles on screen: the route, each verification round and the status bar's cost by role; the same
lines from the store (resume) as live (one fold, ``transcript_view``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from app.agent.approvals import HeadlessApprover
from app.agent.events.core import Usage
from app.agent.events.roles import RouteChosen, VerificationFinished
from app.agent.model import ModelReply
from app.agent.roles.config import RolesConfig
from app.agent.roles.turn import Roles
from app.tui.live_panes import LivePanes
from tests.tui.conftest import wait_open, wait_until
from tests.tui.helpers import FrozenClock
from widgets.notice import NoticeBlock

SESSION = "40e1e50000000000"
USAGE = {"prompt_tokens": 1200, "completion_tokens": 40}
TURNS = [
    {"text": "", "usage": USAGE, "tool_calls": [{"id": "w1", "name": "write_file",
                                                 "arguments": {"path": "a.txt", "content": "bad"}}]},
    {"text": "Done.", "usage": USAGE},
    {"text": "", "usage": USAGE, "tool_calls": [{"id": "w2", "name": "write_file",
                                                 "arguments": {"path": "a.txt", "content": "good"}}]},
    {"text": "Fixed: a.txt holds good.", "usage": USAGE},
]
ROLES = {"router": {"enabled": True},
         "verifier": {"mode": "both", "model": "fake/verifier", "test_command": "python3 check.py"}}
SIZES = [(80, 24), (100, 30), (160, 45)]
CHECK = """import sys
ok = open('a.txt').read() == 'good'
print('1 passed' if ok else '1 failed')
sys.exit(0 if ok else 1)
"""


class FixedVerifier:
    """A verifier model that passes what it is shown (a fixed count and price, for the picture)."""

    def __init__(self, name: str) -> None:
        self.name = name

    async def stream(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]],
                     on_text: Callable[[str], None]) -> ModelReply:
        return ModelReply(text='{"verdict": "pass", "findings": [], "summary": "a.txt holds good"}',
                          usage=Usage(prompt_tokens=900, completion_tokens=20, reported=True, source="provider"),
                          cost_usd=0.0004, cost_source="configured", latency_ms=100.0)

    def priced_by(self) -> str | None:
        return "configured"


def stored_session(h) -> None:
    (h.workspace / "check.py").write_text(CHECK, encoding="utf-8")
    session = h.make_session(HeadlessApprover(True))
    session.agent.roles = Roles(RolesConfig.from_dict(ROLES), lambda spec: FixedVerifier(spec.name))

    async def run() -> None:
        session.start()
        await session.run_task("fix the failing check in a.txt")
        session.finish()

    asyncio.run(run())


def role_notices(app) -> list[NoticeBlock]:
    return [n for n in app.transcript.query(NoticeBlock) if n.message.startswith(("Routed:", "Verification"))]


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_snapshot_a_route_and_two_verification_rounds(harness, warm_imports, snap_compare, size, monkeypatch):
    # The resumed status bar shows the stored turn's real duration (its verifier ran a test command):
    # it varies with the machine, so the snapshot sees it as 0.
    from widgets.session_stats import SessionStats

    restored = SessionStats.restored.__func__

    def without_duration(cls, events):
        stats = restored(cls, events)
        stats.last_turn_s = 0.0
        return stats

    monkeypatch.setattr(SessionStats, "restored", classmethod(without_duration))
    h = harness(TURNS, frozen=True, session_ids=[SESSION])
    stored_session(h)
    assert [e.task_class for e in h.events.of(RouteChosen)] == ["debugging"]
    assert [(e.verdict, e.decided_by) for e in h.events.of(VerificationFinished)] == [("fail", "tests"), ("pass", "model")]
    h.resume = SESSION
    app = h.app(clock=FrozenClock(), cursor_blink=False, theme="textual-dark", session_panes=LivePanes)

    async def run_before(pilot):
        await wait_open(pilot, app)
        await wait_until(pilot, lambda: len(role_notices(app)) == 3, what="the route and the two verdicts")

    assert snap_compare(app, terminal_size=size, run_before=run_before)
