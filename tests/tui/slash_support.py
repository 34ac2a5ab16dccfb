"""For the slash command tests: a harness whose model is on the loopback OpenAI server (the
``served`` fixture: import it into the test module), and the notices commands answer with."""

from __future__ import annotations

from contextlib import asynccontextmanager

import pytest

from tests.tui.conftest import type_and_send, wait_open, wait_until
from widgets.notice import NoticeBlock


@pytest.fixture
def served(harness, openai_server, monkeypatch, warm_imports):
    """Every model call of the harness's sessions is a request the server records."""
    from app.agent.model import LiteLLMModel
    from tests.tui import helpers

    monkeypatch.setattr(helpers, "LiteLLMModel",
                        lambda name: LiteLLMModel(name, api_base=openai_server.url, api_key="sk-test"))
    h = harness([])
    h.model = "openai/test-model"
    return h


@asynccontextmanager
async def opened(h, size=(120, 40), **app_options):
    """``async with opened(harness) as (app, pilot)``: the harness's app, running, its session open."""
    app = h.app(**app_options)
    async with app.run_test(size=size) as pilot:
        await wait_open(pilot, app)
        yield app, pilot


def notices(app) -> list[NoticeBlock]:
    return list(app.transcript.query(NoticeBlock))


def notice(app, title: str) -> NoticeBlock:
    found = [n for n in notices(app) if n.message.startswith(title)]
    assert found, [n.message for n in notices(app)]
    return found[-1]


async def run(pilot, text: str, title: str) -> NoticeBlock:
    """Send ``text``; wait for the notice that starts with ``title``."""
    await type_and_send(pilot, text)
    app = pilot.app
    await wait_until(pilot, lambda: any(n.message.startswith(title) for n in notices(app)), what=f"the {title} notice")
    return notice(app, title)
