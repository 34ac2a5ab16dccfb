"""Fixtures for the resilience tests: fake time, an event sink, real litellm exceptions."""

from __future__ import annotations

import random
from types import ModuleType

import httpx
import pytest

from app.agent.events.core import Event
from app.agent.resilience.facade import Resilience
from app.agent.resilience.config import ResilienceConfig


class FakeTime:
    """A monotonic clock and an ``asyncio.sleep`` stand-in: sleeping advances the clock."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def events() -> list[Event]:
    return []


@pytest.fixture
def make_engine(fake_time: FakeTime, events: list[Event]):
    def make(**overrides: object) -> Resilience:
        config = ResilienceConfig.from_dict(overrides)
        return Resilience(config, sleep=fake_time.sleep, clock=fake_time, rng=random.Random(7), emit=events.append)

    return make


@pytest.fixture(scope="session")
def litellm() -> ModuleType:
    from app.agent.offline import load_litellm  # local cost map, no network

    return load_litellm()


def http_response(status: int, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, headers=headers or {}, request=httpx.Request("POST", "http://127.0.0.1/v1"))
