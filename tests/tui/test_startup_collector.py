"""The cyclic collector, held off while ``cockpit`` starts (``app/startup_gc.py``), comes back in the app:
after the litellm import worker (its full collections would walk every object the imports build), or at the
first frame when the app imports nothing."""

from __future__ import annotations

import gc

import pytest

from app import startup_gc
from tests.tui.conftest import wait_open, wait_until


@pytest.fixture
def held():
    threshold = gc.get_threshold()
    startup_gc.hold()
    yield
    startup_gc._held = False
    gc.unfreeze()
    gc.enable()
    gc.set_threshold(*threshold)


@pytest.mark.parametrize("load_litellm", [False, True], ids=["no import", "after the import"])
async def test_the_collector_held_at_start_comes_back_on(harness, warm_imports, held, load_litellm):
    app = harness([{"text": "hi"}]).app(load_litellm=load_litellm)
    async with app.run_test() as pilot:
        await wait_open(pilot, app)
        await wait_until(pilot, gc.isenabled, what="the collector back on")
        assert gc.get_freeze_count() > 0  # what start-up built is frozen, out of every collection's way
