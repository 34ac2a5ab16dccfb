"""The store pauses the cyclic collector while it prepares and writes a batch, and leaves it as it found it."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from storage.collector import collector_paused
from storage.db import open_db
from storage.store import EventStore


@pytest.fixture
def collector_on() -> Iterator[None]:
    """On before and after the test (Python's default; "as it was" could be a moment in another test's pause)."""
    gc.enable()
    yield
    gc.enable()


def test_the_collector_is_off_in_a_pause_and_on_after_the_last_nested_one(collector_on: None) -> None:
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_switched_off_before_stays_off(collector_on: None) -> None:
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_concurrent_pauses_resume_the_collector_when_the_last_ends(collector_on: None) -> None:
    inside, leave = threading.Event(), threading.Event()

    def other() -> None:
        with collector_paused():
            inside.set()
            leave.wait()

    thread = threading.Thread(target=other)
    thread.start()
    inside.wait()
    with collector_paused():
        pass
    assert not gc.isenabled()  # (the other thread's pause goes on)
    leave.set()
    thread.join()
    assert gc.isenabled()


def test_append_many_pauses_the_collector_and_resumes_it_even_when_it_fails(collector_on: None, tmp_path) -> None:
    store = EventStore(open_db(tmp_path / "c.db"))
    seen: list[bool] = []
    store.redactor.scrub_json = lambda value: (seen.append(gc.isenabled()), (value, "{}"))[1]  # type: ignore[method-assign]
    # (a credential key: the payload is scrubbed, through scrub_json)
    store.append_many([{"type": "session_started", "session_id": "s", "seq": 0, "ts": 1.0, "api_key": "k"}])
    assert seen == [False] and gc.isenabled()
    with pytest.raises(KeyError):
        store.append_many([{"type": "notice"}])  # (no session id)
    assert gc.isenabled()
