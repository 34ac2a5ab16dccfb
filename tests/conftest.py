"""Shared test setup: no network, no real providers, a private COCKPIT_HOME, an empty database."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
for _name in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "OPENROUTER_API_KEY", "OPENAI_BASE_URL"):
    os.environ.pop(_name, None)
os.environ["OLLAMA_HOST"] = "http://127.0.0.1:9"  # nothing listens there: no local Ollama is picked up

from app.agent.offline import prepare_environment  # noqa: E402

prepare_environment()

pytest_plugins = ["tests.support.fixtures"]


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist each worker takes a numbered temporary folder of its own, as a plain run
    does, instead of ``popen-gwN`` inside the controller's: test paths keep the shape a plain run
    gives them, so figures that count the workspace path (the environment preamble's tokens, in
    the SVG snapshots) are the same either way."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        config.option.basetemp = None


@pytest.fixture(autouse=True)
def cockpit_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "cockpit-home"
    monkeypatch.setenv("COCKPIT_HOME", str(home))
    monkeypatch.delenv("COCKPIT_CONFIG", raising=False)
    return home


@pytest.fixture
def db(tmp_path: Path):
    """An empty database file, opened and migrated as the app opens it; closed after the test.

    Write events into it with ``tests.support.store.store_events``.
    """
    from storage.db import open_db

    database = open_db(tmp_path / "cockpit.db")
    yield database
    database.close()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "project"
    ws.mkdir()
    return ws


@pytest.fixture
def write_script(tmp_path: Path):
    """Write a scripted-model JSON file; returns the ``scripted/<path>`` model string."""
    counter = iter(range(10_000))

    def write(turns: list[dict]) -> str:
        path = tmp_path / f"script-{next(counter)}.json"
        path.write_text(json.dumps(turns), encoding="utf-8")
        return f"scripted/{path}"

    return write
