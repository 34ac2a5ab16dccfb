"""Fixtures for the TUI tests: a harness per test, and waiting on conditions (never sleeps)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from app.agent.events.approvals import PermissionMode
from tests.tui.helpers import Harness

WAIT_S = 20.0


@pytest.fixture
def harness(workspace: Path, tmp_path: Path, write_script) -> Callable[..., Harness]:
    """``harness(turns, mode=..., frozen=..., session_ids=[...])`` → a :class:`Harness`."""

    def make(turns: list[dict], *, mode: PermissionMode = PermissionMode.ASK, frozen: bool = False,
             session_ids: list[str] | None = None) -> Harness:
        return Harness(
            model=write_script(turns),
            workspace=workspace,
            db_path=tmp_path / "cockpit.db",
            mode=mode,
            frozen=frozen,
            session_ids=list(session_ids or []),
        )

    return make


@pytest.fixture(autouse=True)
def unhurried_quit(monkeypatch) -> None:
    """The second Ctrl+C counts however late it comes: on a loaded machine a test's two presses can be
    more than ``QUIT_WINDOW_S`` apart (the window is the user's, not the test's clock)."""
    monkeypatch.setattr("app.tui.quitting.QUIT_WINDOW_S", float("inf"))


@pytest.fixture(scope="session")
def warm_imports() -> None:
    """What the real app imports in a worker after its first frame (``CockpitApp._import_litellm``):
    litellm, the Markdown parser and the highlighter, loaded once before the test starts.

    Without it the first model call of the test imports litellm on the agent thread, which takes
    seconds, and tens of seconds on a loaded machine: longer than ``WAIT_S``."""
    import textual.highlight  # noqa: F401

    import widgets.assistant_message  # noqa: F401
    from app.agent.offline import load_litellm

    load_litellm()


async def wait_until(pilot, condition: Callable[[], object], timeout: float = WAIT_S, what: str = "") -> None:
    """Let the app run until ``condition()`` holds (the agent works on its own thread)."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await pilot.pause(0.02)
    await pilot.pause()


async def wait_open(pilot, app) -> None:
    """Until the session is open and the key hints (mounted after the first frame) are shown."""
    from textual.widgets._footer import FooterKey

    await wait_until(pilot, lambda: app.session is not None, what="the session to open")
    await wait_until(pilot, lambda: app.screen.query(FooterKey), what="the key hints")


async def wait_idle(pilot, app, harness: Harness, turns: int = 1) -> None:
    """Until ``turns`` turns have finished and the app took note (not busy, nothing queued)."""
    from app.agent.events.core import TurnFinished

    await wait_until(
        pilot,
        lambda: len(harness.events.of(TurnFinished)) >= turns and not app.busy and not app.queue,
        what=f"{turns} turn(s) to finish",
    )


async def type_and_send(pilot, text: str) -> None:
    pilot.app.prompt.focus()
    pilot.app.prompt.insert(text)
    await pilot.press("enter")
