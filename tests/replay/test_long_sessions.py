"""Long sessions: a timeline read and folded in pages is the same timeline as one folded at once,
at every position and whatever the order of visits; a jump ahead folds on to its target; two
threads folding never take it back; checkpoints grow apart as the state grows; the Replay screen
opens on the first page and folds the rest behind it."""

from __future__ import annotations

import random
import threading

import pytest

from app.agent.events import core as ev
from app.replay.synthetic import generate_session
from app.replay.timeline import MARK_KINDS, UNREAD, Timeline
from app.tui import replay_app
from app.tui.screens import replay as replay_screen
from app.tui.screens.replay_parts import TimelineBar
from storage.queries import count_events, event_pages, load_events
from tests.replay.test_replay_screen import SIZE, opened, until, utc
from tests.support.store import store_events
from widgets.retries_pane import RetriesPane

SESSION = "long-0001"
EVENTS = 1_500
PAGE = 97  # not a divisor of anything: pages end in odd places


@pytest.fixture(scope="module")
def events() -> list[ev.Event]:
    return generate_session(SESSION, events=EVENTS, start_ts=1_767_225_600.0)


def paged(events: list[ev.Event], size: int = PAGE, **options) -> Timeline:
    rows = [e.to_dict() for e in events]
    pages = (rows[k:k + size] for k in range(0, len(rows), size))
    return Timeline.from_stored_pages(pages, total=len(rows), **options)


def shown(timeline: Timeline, position: int) -> tuple:
    states = timeline.panes_at(position)
    return (states.budget, states.retries_state, states.feedback_state, states.todos.items,
            timeline.transcript_at(position), timeline.highlight_at(position), timeline.turn_at(position))


def test_a_paged_timeline_shows_what_the_whole_one_shows_in_any_order(events):
    whole = Timeline(events, checkpoint_every=16)
    lazy = paged(events, checkpoint_every=16)
    assert len(lazy) == len(events) and lazy.folded < PAGE  # only the first page is read, none folded
    positions = list(range(0, len(events), 7))
    for position in random.Random(3).sample(positions, len(positions)) + positions[::-1]:
        assert shown(lazy, position) == shown(whole, position), position
    lazy.fold_to(len(events))
    assert lazy.complete and lazy.marks == whole.marks and lazy.turn_starts == whole.turn_starts
    assert lazy.mark_strip(50) == whole.mark_strip(50)


def test_a_jump_ahead_folds_on_to_its_target(events):
    whole = Timeline(events)
    lazy = paged(events)
    for kind in MARK_KINDS:
        assert lazy.next_mark(0, kind) == whole.next_mark(0, kind), kind
    last = whole.prev_mark(whole.last, "error")
    assert last is not None and lazy.next_mark(last, "error") is None and lazy.complete
    lazy = paged(events)
    assert lazy.next_turn(0) == whole.next_turn(0) and not lazy.complete
    assert lazy.event_at(lazy.last) == events[-1]  # reading the last event reads, it does not fold
    assert lazy.elapsed_at(lazy.last) == whole.elapsed_at(whole.last)


def test_the_strip_marks_what_is_not_folded_yet(events):
    lazy = paged(events)
    lazy.fold_to(len(events) // 2)
    strip = lazy.mark_strip(40)
    assert strip[:19].count(UNREAD) == 0 and strip[21:] == [UNREAD] * 19
    lazy.fold_to(len(events))
    assert UNREAD not in lazy.mark_strip(40) and lazy.mark_strip(40) == Timeline(events).mark_strip(40)


def test_a_fold_that_waited_for_another_never_takes_the_timeline_back(events):
    lazy = paged(events)
    lazy.fold_to(10)
    waiting = threading.Event()
    real_lock = lazy._lock

    class Announcing:
        def __enter__(self):
            if threading.current_thread() is not threading.main_thread():
                waiting.set()
            return real_lock.__enter__()

        def __exit__(self, *exc):
            return real_lock.__exit__(*exc)

    lazy._lock = Announcing()  # type: ignore[assignment]
    with real_lock:
        behind = threading.Thread(target=lazy.fold_to, args=(50,))  # sees 10 folded, then waits for the lock
        behind.start()
        assert waiting.wait(10)
        lazy.fold_to(800)  # this thread folds further meanwhile
    behind.join(10)
    assert lazy.folded == 800 and len(lazy.transcript.touched) == 800
    assert shown(lazy, 799) == shown(Timeline(events), 799)


def test_checkpoints_grow_apart_as_the_state_grows(events):
    timeline = Timeline(events, checkpoint_every=16)
    gaps = [b - a for a, b in zip(timeline._checkpoint_at, timeline._checkpoint_at[1:])]
    assert min(gaps) >= 16 and gaps[-1] > 2 * gaps[0] and len(timeline._checkpoint_at) < len(events) // 16 // 2


def test_event_pages_read_what_load_events_reads(db, events):
    store_events(db, events)
    pages = list(event_pages(db, SESSION, size=PAGE))
    assert {len(page) for page in pages[:-1]} == {PAGE}
    assert [row for page in pages for row in page] == load_events(db, SESSION)
    assert count_events(db, SESSION) == len(events) and count_events(db, "nobody") == 0
    assert list(event_pages(db, "nobody")) == []


async def test_the_screen_opens_on_the_first_page_and_folds_the_rest_behind_it(db, events, monkeypatch):
    store_events(db, events)
    monkeypatch.setattr(replay_screen, "READ_PAGE", PAGE)
    monkeypatch.setattr(replay_screen, "FOLD_PAGE", PAGE)
    monkeypatch.setattr(replay_screen, "FOLD_IDLE_S", 0.0)
    reference = Timeline.from_stored(load_events(db, SESSION))
    app = replay_app.ReplayApp(db, SESSION, format_time=utc)
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot, app)
        assert len(screen.timeline) == len(events)
        await until(pilot, lambda: screen.timeline.complete, "the whole session folded")
        assert screen.timeline.marks == reference.marks
        await until(pilot, lambda: "┄" not in str(screen.query_one(TimelineBar).render()), "the whole strip")
        await pilot.press("end")
        assert screen.position == reference.last
        assert screen.query_one(RetriesPane).state == reference.panes_at(reference.last).retries_state
        await pilot.press("home", "e")
        assert screen.position == reference.next_mark(0, "error")


def test_the_freeze_lasts_while_a_screen_holds_it_and_the_process_is_left_as_it_was():
    import gc

    from app.replay import gc_freeze

    was_frozen = gc.get_freeze_count() > 0  # another test's app may have settled the collector
    for frozen_before in (False, True):
        gc.unfreeze()
        if frozen_before:
            gc.freeze()  # as app.tui.gc_tuning does at start-up
        gc_freeze.hold()
        gc_freeze.hold()
        gc_freeze.freeze()
        assert gc.get_freeze_count() > 0
        assert gc_freeze.release() is False and gc.get_freeze_count() > 0  # the other screen still holds it
        assert gc_freeze.release() is frozen_before and gc.get_freeze_count() == 0
        if frozen_before:
            gc_freeze.refreeze()
        assert (gc.get_freeze_count() > 0) is frozen_before
    gc.unfreeze()
    gc_freeze.freeze()  # nobody holds it: nothing is frozen
    assert gc.get_freeze_count() == 0
    if was_frozen:
        gc.freeze()
