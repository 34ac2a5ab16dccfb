"""storage/budget: migrations and projections over a fresh in-memory database."""

from __future__ import annotations

import sqlite_utils

from storage.budget import MIGRATIONS, PROJECTIONS, calibration_samples, compactions
from tests.budget.scenarios import MODEL, Recorder, after_compaction_session, budget, system_prompt


def fresh_db() -> sqlite_utils.Database:
    db = sqlite_utils.Database(memory=True)
    for _name, migrate in MIGRATIONS:
        migrate(db)
    return db


def store(db: sqlite_utils.Database, events: list) -> None:
    for event in events:
        row = {"session_id": event.session_id, "seq": event.seq, "type": event.type, "ts": event.ts, "payload": event.payload()}
        projection = PROJECTIONS.get(event.type)
        if projection is not None:
            projection(db, row)


def test_migrations_are_named_for_the_feature_and_rerunnable() -> None:
    assert [name for name, _ in MIGRATIONS] == ["budget_001_tables"]
    db = fresh_db()
    for _name, migrate in MIGRATIONS:
        migrate(db)
    assert {"budget_compactions", "budget_compaction_items", "budget_calibration", "budget_measurements"} <= set(
        db.table_names()
    )


async def test_a_session_projects_into_the_tables_and_replaying_changes_nothing() -> None:
    recorder = await after_compaction_session()
    db = fresh_db()
    store(db, recorder.events)
    counts = {t: db[t].count for t in db.table_names()}
    store(db, recorder.events)  # projections are idempotent
    assert {t: db[t].count for t in db.table_names()} == counts
    assert counts["budget_measurements"] == len(recorder.of_type("context_measured"))
    assert counts["budget_calibration"] == len(recorder.of_type("calibration_updated")) == 4
    stored = compactions(db, "s1")
    assert [c["step"] for c in stored] == [e.step for e in recorder.of_type("compaction_performed")]
    assert sum(c["item_count"] for c in stored) == db["budget_compaction_items"].count


async def test_estimate_and_provider_count_are_stored_per_call() -> None:
    recorder = Recorder()
    b = budget()
    for estimated, provider in ((1_000, 1_120), (2_000, 2_120), (3_000, 3_121)):
        b.record_usage(MODEL, estimated, provider, emit=recorder, call_id=f"call-{estimated}")
    db = fresh_db()
    store(db, recorder.events)
    rows = list(db["budget_calibration"].rows_where(order_by="seq"))
    assert [(r["call_id"], r["estimated"], r["provider"]) for r in rows] == [
        ("call-1000", 1_000, 1_120),
        ("call-2000", 2_000, 2_120),
        ("call-3000", 3_000, 3_121),
    ]
    assert rows[2]["predicted"] == 3_120 and abs(rows[2]["error_pct"] - 100 / 3_121) < 1e-3
    assert rows[2]["n"] == 3 and rows[2]["unattributed"] == 121


def test_stored_calibration_seeds_a_new_session() -> None:
    recorder = Recorder()
    first = budget()
    for estimated in (1_000, 2_000, 4_000):
        first.record_usage(MODEL, estimated, estimated + 200, emit=recorder)
    db = fresh_db()
    store(db, recorder.events)
    pairs = calibration_samples(db, MODEL)
    assert pairs == [(1_000, 1_200), (2_000, 2_200), (4_000, 4_200)]
    assert calibration_samples(db, "other/model") == []
    second = budget()
    second.seed_calibration(MODEL, pairs)
    snapshot = second.measure(system_prompt(), [])
    assert snapshot.calibrated_total == snapshot.local_total + 200
    assert calibration_samples(sqlite_utils.Database(memory=True), MODEL) == []
