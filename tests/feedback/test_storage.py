import json

from app.agent.events.feedback import FeedbackAnswered, FeedbackDismissed, FeedbackSampled, ImplicitSignals
from storage.feedback import ANSWERS, MIGRATIONS, SIGNALS, TASKS, ensure_tables, task_rows

from .helpers import fresh_db, project


def _stamp(event, seq, ts=1000.0, session="s1"):
    event.session_id, event.seq, event.ts = session, seq, ts
    return event


def test_migrations_are_named_ordered_and_idempotent():
    assert [name for name, _ in MIGRATIONS] == ["feedback_001_tables"]
    db = fresh_db()
    ensure_tables(db)  # a second run changes nothing
    assert {TASKS, ANSWERS, SIGNALS} <= set(db.table_names())
    assert db[TASKS].pks == ["task_id"] and db[ANSWERS].pks == ["session_id", "seq"]


def test_projections_build_the_decision_log_answers_and_signals():
    db = fresh_db()
    project(db, _stamp(FeedbackSampled(task_id="s1:1", turn=1, pi=0.25, u=0.1, shown=True, category="edit",
                                       reasons=["retry"], model="m", outcome="completed"), 5))
    project(db, _stamp(FeedbackAnswered(task_id="s1:1", source="solicited", rating="down", comment="broke it"), 6, 1001.0))
    project(db, _stamp(FeedbackAnswered(task_id="s1:1", source="volunteered", rating="up"), 9, 1002.0))
    project(db, _stamp(ImplicitSignals(task_id="s1:1", turn=1, signals={
        "model": "m", "category": "edit", "denials": 2, "interrupted": True, "tests_last": "failed",
        "reverted_files": ["a.py"], "reverted": True, "cost_usd": 0.3, "extra": "kept in json"}), 12))

    task = db[TASKS].get("s1:1")
    assert (task["pi"], task["u"], task["shown"], task["category"], json.loads(task["reasons"])) == (0.25, 0.1, 1, "edit", ["retry"])
    assert (task["response"], task["rating"], task["comment"], task["answered_ts"]) == ("answered", "down", "broke it", 1001.0)
    assert [(a["seq"], a["source"], a["rating"]) for a in db[ANSWERS].rows] == [(6, "solicited", "down"), (9, "volunteered", "up")]
    signals = db[SIGNALS].get("s1:1")
    assert (signals["denials"], signals["interrupted"], signals["reverted"], signals["tests_last"]) == (2, 1, 1, "failed")
    assert json.loads(signals["signals"])["extra"] == "kept in json"


def test_reprojection_is_idempotent():
    db = fresh_db()
    events = [
        _stamp(FeedbackSampled(task_id="s1:1", turn=1, pi=0.1, u=0.05, shown=True), 1),
        _stamp(FeedbackAnswered(task_id="s1:1", rating="up"), 2),
        _stamp(ImplicitSignals(task_id="s1:1", turn=1, signals={}), 3),
    ]
    for _ in range(2):
        for event in events:
            project(db, event)
    assert (db[TASKS].count, db[ANSWERS].count, db[SIGNALS].count) == (1, 1, 1)
    assert db[TASKS].get("s1:1")["rating"] == "up"


def test_an_answer_wins_over_a_dismissal_in_either_order():
    db = fresh_db()
    for task_id, first_answer in (("s1:1", True), ("s1:2", False)):
        project(db, _stamp(FeedbackSampled(task_id=task_id, pi=1.0, u=0.3, shown=True), 1))
        answered = _stamp(FeedbackAnswered(task_id=task_id, rating="skip"), 2)
        dismissed = _stamp(FeedbackDismissed(task_id=task_id, reason="moved_on"), 3)
        for event in ((answered, dismissed) if first_answer else (dismissed, answered)):
            project(db, event)
        row = db[TASKS].get(task_id)
        assert (row["response"], row["rating"], row["dismiss_reason"]) == ("answered", "skip", None)


def test_task_rows_join_everything_and_filter():
    db = fresh_db()
    project(db, _stamp(FeedbackSampled(task_id="s1:1", turn=1, pi=0.1, u=0.5, shown=False, model="a", category="chat"), 1, 100.0))
    project(db, _stamp(FeedbackAnswered(task_id="s1:1", source="volunteered", rating="up"), 2, 101.0))
    project(db, _stamp(FeedbackAnswered(task_id="s1:1", source="volunteered", rating="down", comment="on reflection"), 3, 102.0))
    project(db, _stamp(FeedbackSampled(task_id="s2:1", turn=1, pi=1.0, u=0.5, shown=True, model="b"), 1, 200.0, "s2"))
    # an abandoned task has signals and no decision
    project(db, _stamp(ImplicitSignals(task_id="s2:2", turn=2, signals={"abandoned": True, "model": "b", "category": "run"}),
                       2, 300.0, "s2"))

    rows = task_rows(db)
    assert [r["task_id"] for r in rows] == ["s1:1", "s2:1", "s2:2"]
    first = rows[0]
    assert (first["volunteered_rating"], first["volunteered_comment"]) == ("down", "on reflection")  # the latest
    assert first["shown"] is False and first["reasons"] == [] and first["signals"] == {}
    abandoned = rows[2]
    assert abandoned["pi"] is None and abandoned["abandoned"] == 1 and abandoned["category"] == "run"
    assert abandoned["session_id"] == "s2" and abandoned["model"] == "b"
    assert [r["task_id"] for r in task_rows(db, since=150.0)] == ["s2:1", "s2:2"]
    assert [r["task_id"] for r in task_rows(db, model="a")] == ["s1:1"]
    assert task_rows(db, since=150.0, model="a") == []
