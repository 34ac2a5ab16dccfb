"""Fixtures for the replay tests: one real recorded session (run once), private database copies."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from storage.db import open_db
from tests.replay.recorded import Recorded, copy_database, record_session


@pytest.fixture(scope="session")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    folder = tmp_path_factory.mktemp("recorded")
    previous = os.environ.get("COCKPIT_HOME")
    os.environ["COCKPIT_HOME"] = str(folder / "cockpit-home")
    try:
        return record_session(folder)
    finally:
        if previous is None:
            os.environ.pop("COCKPIT_HOME", None)
        else:
            os.environ["COCKPIT_HOME"] = previous


@pytest.fixture
def recorded_db(recorded: Recorded, tmp_path: Path):
    """A private copy of the recorded session's database, opened (and migrated)."""
    db = open_db(copy_database(recorded.db_path, tmp_path / "copy.db"))
    yield db
    db.close()
