"""model_calls.role: what each call was for, also for rows written before roles existed."""

from __future__ import annotations

from app.agent.events import core as ev
from storage.db import open_db
from storage.migrations import MIGRATIONS
from storage.queries import usage_by_role
from storage.store import EventStore


def test_rows_from_before_roles_are_the_conversations_and_fallback_attempts_are_known_by_id(tmp_path):
    path = tmp_path / "old.db"
    old = open_db(path, migrate=False)
    MIGRATIONS.apply(old, stop_before="core_004_model_call_role")
    old.execute("insert into sessions (id, source, started_at) values ('s', 'cockpit', '')")
    old.execute("""insert into model_calls (id, session_id, status) values
                   ('mc_0123456789ab.1', 's', 'ok'), ('mc_0123456789ab.f1', 's', 'ok'), ('imported-7', 's', 'ok')""")
    old.conn.close()
    db = open_db(path)
    rows = db.execute("select id, role from model_calls order by id").fetchall()
    assert rows == [("imported-7", "main"), ("mc_0123456789ab.1", "main"), ("mc_0123456789ab.f1", "fallback")]


def test_the_store_projects_the_role_and_sums_usage_by_role(db):
    store = EventStore(db)
    store.append(ev.SessionStarted(session_id="s", seq=1).to_dict())
    calls = [("a", ev.ROLE_MAIN, 0.5), ("b", ev.ROLE_SUMMARY, 0.25), ("c", ev.ROLE_FALLBACK, None)]
    seq = 2
    for call_id, role, cost in calls:
        store.append(ev.ModelCallStarted(session_id="s", seq=seq, call_id=call_id, role=role).to_dict())
        store.append(ev.ModelCallFinished(session_id="s", seq=seq + 1, call_id=call_id, role=role, cost_usd=cost,
                                          usage={"prompt_tokens": 100, "completion_tokens": 10,
                                                 "source": "provider"}).to_dict())
        seq += 2
    # An imported session records only the finished call: it makes the row, role included.
    store.append(ev.ModelCallFinished(session_id="s", seq=seq, call_id="d", role=ev.ROLE_SUMMARY, cost_usd=0.125,
                                      usage={"prompt_tokens": 1, "completion_tokens": 1, "source": "provider"}).to_dict())
    assert db.execute("select id, role from model_calls order by id").fetchall() == [
        ("a", "main"), ("b", "summary"), ("c", "fallback"), ("d", "summary")]
    roles = usage_by_role(db, "s")
    assert list(roles) == ["main", "summary", "fallback"]
    assert roles["summary"] == {"calls": 2, "tokens_in": 101, "tokens_out": 11, "cost_usd": 0.375, "wasted_usd": 0}
    assert roles["fallback"]["cost_usd"] is None  # unpriced, never $0
    assert roles["fallback"]["wasted_usd"] is None  # no dollars of retry tax without a price either


def test_a_role_none_of_whose_calls_has_counts_has_unknown_tokens(db):
    store = EventStore(db)
    store.append(ev.SessionStarted(session_id="s", seq=1).to_dict())
    store.append(ev.ModelCallFinished(session_id="s", seq=2, call_id="a", role=ev.ROLE_MAIN, cost_usd=None).to_dict())
    assert usage_by_role(db, "s")["main"] == {"calls": 1, "tokens_in": None, "tokens_out": None, "cost_usd": None,
                                              "wasted_usd": None}
