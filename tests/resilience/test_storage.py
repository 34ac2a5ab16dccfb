"""storage/resilience.py: migrations and projections against a fresh SQLite database."""

from __future__ import annotations

import pytest
import sqlite_utils

from storage import resilience as store
from tests.resilience import scenarios


def stored_row(event) -> dict:
    return {"session_id": event.session_id, "seq": event.seq, "type": event.type, "ts": event.ts,
            "payload": event.payload()}


@pytest.fixture
def db() -> sqlite_utils.Database:
    db = sqlite_utils.Database(memory=True)
    for name, migrate in store.MIGRATIONS:
        assert name.startswith("resilience_")
        migrate(db)
    return db


def project(db, events) -> None:
    for event in events:
        handler = store.PROJECTIONS.get(event.type)
        if handler is not None:
            handler(db, stored_row(event))


def test_migrations_create_the_tables_and_can_run_twice(db):
    for _, migrate in store.MIGRATIONS:
        migrate(db)
    assert {store.IDEMPOTENCY, store.ATTEMPTS, store.BREAKERS, store.LOOP_HITS, store.TAX,
            store.SESSIONS} <= set(db.table_names())


def test_projections_cover_every_resilience_event_type():
    from app.agent.events import resilience as events

    types = {cls.type for cls in vars(events).values()
             if isinstance(cls, type) and issubclass(cls, events.Event) and cls is not events.Event}
    assert set(store.PROJECTIONS) == types - {"resilience_retry_ratio"}  # the ratio is derived, not stored


def test_every_attempt_is_stored_with_its_class(db):
    project(db, scenarios.storming())
    rows = list(db.query(f"select seq, call_id, attempt, outcome, reason, error_class, status, wait_s "
                         f"from {store.ATTEMPTS} order by seq"))
    assert [(r["call_id"], r["attempt"], r["outcome"], r["error_class"]) for r in rows] == [
        ("c0", 1, "ok", ""),
        ("c1", 1, "retry", "overloaded"),
        ("c1", 2, "retry", "overloaded"),
        ("c1", 3, "stop", "overloaded"),
        ("c2", 1, "retry", "rate_limit"),
        ("c2", 2, "stop", "overloaded"),
        ("c3", 0, "short_circuit", "breaker_open"),
        ("c4", 1, "stop", "server_error"),
    ]
    assert rows[4]["status"] == 429 and rows[4]["wait_s"] == 2.0


def test_session_totals(db):
    project(db, scenarios.storming())
    project(db, scenarios.stamp(scenarios.looping(), session_id="s2"))  # another session stays apart
    session = db[store.SESSIONS].get("s1")
    assert session["retries"] == 3 and session["first_tries"] == 4
    assert session["retry_ratio"] == pytest.approx(0.75)
    assert session["refused_by_budget"] == 1 and session["short_circuited"] == 1
    assert session["backoff_s"] == pytest.approx(3.2)
    assert session["wasted_tokens"] == 3000 and session["loop_halts"] == 0
    assert db[store.SESSIONS].get("s2")["wasted_tokens"] == 5200


def test_tax_and_loop_hits_per_session(db):
    events = scenarios.looping()
    project(db, events)
    session = db[store.SESSIONS].get("s1")
    assert (session["wasted_tokens"], session["loop_warnings"], session["loop_halts"]) == (5200, 1, 1)
    assert session["wasted_usd"] == pytest.approx(0.0156)
    (tax,) = db[store.TAX].rows
    assert (tax["call_id"], tax["attempt"], tax["reason"]) == ("c0", 1, "loop_killed")


def test_replaying_events_twice_changes_nothing(db):
    events = scenarios.storming()
    project(db, events)
    before = {t: list(db[t].rows) for t in db.table_names()}
    project(db, events)
    assert {t: list(db[t].rows) for t in db.table_names()} == before


def test_breaker_changes_are_kept(db):
    project(db, scenarios.storming())
    rows = list(db[store.BREAKERS].rows_where(order_by="seq"))
    assert [(r["scope"], r["target"], r["state"], r["open_for_s"]) for r in rows] == [
        ("model", scenarios.MODEL, "open", 30.0), ("tool", "mcp_search", "open", 60.0)]
