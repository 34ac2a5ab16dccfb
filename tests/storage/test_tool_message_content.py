"""A tool message's text is stored once, in its tool call's result, and reads back the same (core_006).

The oracle of every test is the conversation said by the stored events alone (:func:`conversation_of_events`):
``conversation()`` must give exactly it, whatever the store left out of ``messages``, and no message may point
at a tool call that lost its text.
"""

from __future__ import annotations

import json
import shutil

import sqlite_utils
from hypothesis import HealthCheck, given, settings, strategies as st

from storage import projection_params
from storage.db import open_db
from storage.delete import delete_session
from storage.importers import import_path
from storage.migrations import MIGRATIONS, core_steps, migrate
from storage.queries import conversation, load_events
from storage.store import EventStore
from tests.storage.test_search_index import events, requested, started
from tests.storage.test_store import run_demo
from tests.support.session_files import CLAUDE_MAIN, CLAUDE_SHORT


def conversation_of_events(db: sqlite_utils.Database, session_id: str) -> list[dict]:
    """The latest generation as the events say it: a compaction's messages, then the messages appended since
    (the latest generation that has messages: an empty compaction leaves none)."""
    generations: list[list[tuple]] = [[]]
    for event in load_events(db, session_id):
        if event["type"] == "messages_replaced":
            generations.append([projection_params.message(i, m, None, 0) for i, m in enumerate(event.get("messages") or [])])
        elif event["type"] == "message_appended":
            generations[-1].append(projection_params.message_appended(session_id, 0, 0.0, event))
    rows = next((rows for rows in reversed(generations) if rows), [])
    expected = []
    for index, role, content, tool_calls, tool_call_id, _turn, _seq in sorted(rows, key=lambda row: row[0]):
        message = {"role": role, "content": content}
        if tool_calls:
            message["tool_calls"] = json.loads(tool_calls)
        if tool_call_id:
            message["tool_call_id"] = tool_call_id
        expected.append(message)
    return expected


def assert_nothing_dangles(db: sqlite_utils.Database) -> None:
    dangling = db.execute(
        """select m.id from messages m left join tool_calls t on t.session_id = m.session_id and t.tool_call_id = m.tool_call_id
           where m.content_from is not null and (m.content is not null or typeof(t.result) != 'text')"""
    ).fetchall()
    assert dangling == []


def assert_conversations_are_the_events(db: sqlite_utils.Database) -> None:
    for (session_id,) in db.execute("select id from sessions").fetchall():
        assert conversation(db, session_id) == conversation_of_events(db, session_id), session_id
    assert_nothing_dangles(db)


def finished(call_id: str, result: object) -> dict:
    return {"type": "tool_call_finished", "tool_call_id": call_id, "name": "bash", "status": "ok", "result": result,
            "turn": 1, "step": 1}


def tool_message(call_id: str, content: str | None, index: int = 0) -> dict:
    return {"type": "message_appended", "index": index, "turn": 1,
            "message": {"role": "tool", "content": content, "tool_call_id": call_id}}


def stored_from_calls(db: sqlite_utils.Database) -> int:
    return db.execute("select count(*) from messages where content_from = 'tool_call' and content is null").fetchone()[0]


def test_a_tool_message_equal_to_its_result_is_stored_once_and_reads_back(db):
    store = EventStore(db)
    store.append_many(started("s1") + events("s1", 2, requested("t1"), finished("t1", "walrus output"),
                                             tool_message("t1", "walrus output")))
    store.append_many(events("s1", 5, tool_message("t1", "walrus output", 1)))  # the call is an earlier batch's
    assert stored_from_calls(db) == 2
    assert conversation(db, "s1") == [{"role": "tool", "content": "walrus output", "tool_call_id": "t1"}] * 2
    assert_conversations_are_the_events(db)


def test_a_message_that_differs_from_its_result_keeps_its_text(db):
    store = EventStore(db)
    store.append_many(started("s1") + events("s1", 2, requested("t1"), finished("t1", "long out"),
                                             tool_message("t1", "long out [capped for the model]"),
                                             tool_message("nowhere", "no such call", 1)))
    assert stored_from_calls(db) == 0
    assert_conversations_are_the_events(db)


def test_a_reused_call_id_gives_each_message_its_own_text_in_one_batch_and_across_batches(db):
    store = EventStore(db)
    store.append_many(started("s1") + events("s1", 2, requested("t1"), finished("t1", "first"),
                                             tool_message("t1", "first"), requested("t1"), finished("t1", "second"),
                                             tool_message("t1", "second", 1)))
    assert [m["content"] for m in conversation(db, "s1")] == ["first", "second"]
    store.append_many(events("s1", 8, requested("t1")))  # replaced: both texts go back to (or stay in) messages
    assert [m["content"] for m in conversation(db, "s1")] == ["first", "second"]
    store.append_many(events("s1", 9, finished("t1", "third"), tool_message("t1", "third", 2)))
    store.append_many(events("s1", 11, finished("t1", "fourth")))  # the result changes under a stored message
    assert [m["content"] for m in conversation(db, "s1")] == ["first", "second", "third"]
    assert_conversations_are_the_events(db)


def test_a_compaction_repeats_no_result(db):
    store = EventStore(db)
    store.append_many(started("s1") + events("s1", 2, requested("t1"), finished("t1", "ls output"),
                                             tool_message("t1", "ls output")))
    compacted = [{"role": "system", "content": "prompt"}, {"role": "user", "content": "summary"},
                 {"role": "tool", "content": "ls output", "tool_call_id": "t1"}]
    store.append_many(events("s1", 5, {"type": "messages_replaced", "messages": compacted}))
    assert stored_from_calls(db) == 2
    assert conversation(db, "s1") == compacted
    assert_conversations_are_the_events(db)


def test_a_deleted_session_leaves_the_others_whole(db):
    store = EventStore(db)
    for sid in ("s1", "s2"):
        store.append_many(started(sid) + events(sid, 2, requested("t1"), finished("t1", f"out {sid}"),
                                                tool_message("t1", f"out {sid}")))
    delete_session(db, "s1")
    assert conversation(db, "s2") == [{"role": "tool", "content": "out s2", "tool_call_id": "t1"}]
    assert_conversations_are_the_events(db)


def test_a_tool_call_deleted_or_replaced_by_hand_gives_its_text_back_to_its_messages():
    db = sqlite_utils.Database(memory=True)  # the core tables only: the search index is the store's to change
    for step in core_steps():
        step(db)
    store = EventStore(db)
    store.append_many(started("s1") + events("s1", 2, requested("t1"), finished("t1", "kept"), tool_message("t1", "kept")))
    db.execute("delete from tool_calls")
    assert db.execute("select content, content_from from messages").fetchall() == [("kept", None)]
    db.execute("insert into tool_calls (session_id, tool_call_id, name, result) values ('s1', 't1', 'bash', 'other')")
    db.execute("update messages set content = null, content_from = 'tool_call'")
    db.execute("insert or replace into tool_calls (session_id, tool_call_id, name) values ('s1', 't1', 'bash')")
    assert db.execute("select content, content_from from messages").fetchall() == [("other", None)]


async def test_a_live_session_reads_back_the_messages_the_model_saw(workspace, tmp_path, write_script):
    session, db = await run_demo(workspace, tmp_path, write_script)
    assert stored_from_calls(db) >= 1
    assert conversation(db, session.id) == session.agent.messages
    assert_conversations_are_the_events(db)


def test_an_imported_file_deleted_and_imported_again_and_a_grown_file_read_back_the_same(db, tmp_path):
    result = import_path(db, CLAUDE_MAIN)
    before = conversation(db, result.session_id)
    assert stored_from_calls(db) >= 1
    delete_session(db, result.session_id)
    import_path(db, CLAUDE_MAIN)
    assert conversation(db, result.session_id) == before
    lines = CLAUDE_SHORT.read_text(encoding="utf-8").splitlines(keepends=True)
    grown = tmp_path / CLAUDE_SHORT.name
    grown.write_text("".join(lines[: len(lines) // 2]), encoding="utf-8")
    import_path(db, grown)
    shutil.copy(CLAUDE_SHORT, grown)
    import_path(db, grown)
    assert_conversations_are_the_events(db)


def test_a_database_of_the_previous_version_keeps_its_messages_and_reads_the_same(tmp_path):
    old = sqlite_utils.Database(tmp_path / "old.db")
    MIGRATIONS.apply(old, stop_before="core_006_tool_message_content")
    old.execute("insert into sessions (id, started_at) values ('s1', '2026-01-01')")
    old.execute("insert into tool_calls (session_id, tool_call_id, name, result) values ('s1', 't1', 'bash', 'out')")
    old.execute("""insert into messages (session_id, idx, role, content, tool_call_id) values ('s1', 0, 'tool', 'out', 't1')""")
    old.conn.commit()
    migrate(old)
    assert old.execute("select content, content_from from messages").fetchall() == [("out", None)]
    assert conversation(old, "s1") == [{"role": "tool", "content": "out", "tool_call_id": "t1"}]
    old.execute("delete from tool_calls")
    assert conversation(old, "s1") == [{"role": "tool", "content": "out", "tool_call_id": "t1"}]


# Any sequence of batches: requests, results, tool messages often equal to a result, reused ids, compactions.
_TEXT = st.sampled_from(["a", "b", "", "c c"])
_CALL = st.sampled_from(["t1", "t2", "t3"])
_ITEM = st.one_of(
    st.builds(requested, _CALL),
    st.builds(finished, _CALL, st.one_of(_TEXT, st.none(), st.just(7))),
    st.builds(tool_message, _CALL, st.one_of(_TEXT, st.none())),
    st.builds(lambda messages: {"type": "messages_replaced", "messages": messages},
              st.lists(st.builds(lambda call, text: {"role": "tool", "content": text, "tool_call_id": call}, _CALL, _TEXT),
                       max_size=3)),
)


_SESSION = st.sampled_from(["s1", "s2"])
_BATCHES = st.lists(st.tuples(_SESSION, st.lists(_ITEM, min_size=1, max_size=6)), max_size=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_BATCHES, st.one_of(st.none(), _SESSION))
def test_any_sequence_of_batches_reads_back_as_its_events_say(batches, deleted):
    db = open_db(":memory:")
    store = EventStore(db)
    last_seq = {sid: store.append_many(started(sid)) for sid in ("s1", "s2")}  # (one event each: seq 1)
    for sid, items in batches:
        first = last_seq[sid] + 1
        store.append_many(events(sid, first, *(
            {**item, "index": first} if item["type"] == "message_appended" else item for item in items)))
        last_seq[sid] += len(items)
    if deleted:
        delete_session(db, deleted)
    assert_conversations_are_the_events(db)
    db.conn.close()
