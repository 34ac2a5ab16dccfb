"""opencode sessions, on storage folders generated in the layout opencode documents (no public sample):
``session/<project>/<id>.json``, ``message/<session>/<id>.json``, ``part/<message>/<id>.json``."""

from __future__ import annotations

import json

import pytest

from storage.importers import (
    ImportFormatError,
    detect,
    find_sessions,
    import_path,
    import_sessions,
    opencode,
)
from storage.queries import load_events
from tests.support.store import table_counts

T0 = 1_760_000_000_000  # ms


class Storage:
    """Writes an opencode storage folder the way opencode does (JSON, two-space indent)."""

    def __init__(self, root):
        self.root = root / "opencode" / "storage"
        self.n = 0

    def _write(self, *where, value):
        path = self.root.joinpath(*where)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value, indent=2))
        return path

    def _id(self, prefix):
        self.n += 1
        return f"{prefix}_{self.n:04d}"

    def session(self, sid, title="Fix the tests", parent=None, updated=60_000):
        info = {"id": sid, "projectID": "abc123", "directory": "/work/app", "title": title, "version": "0.15.8",
                "time": {"created": T0, "updated": T0 + updated}}
        if parent:
            info["parentID"] = parent
        return self._write("session", "abc123", f"{sid}.json", value=info)

    def message(self, sid, role, parts, **fields):
        mid = self._id("msg")
        self._write("message", sid, f"{mid}.json", value={"id": mid, "sessionID": sid, "role": role,
                                                          "time": {"created": T0 + self.n * 1000}, **fields})
        for part in parts:
            pid = self._id("prt")
            self._write("part", mid, f"{pid}.json", value={"id": pid, "messageID": mid, "sessionID": sid, **part})
        return mid


def _text(text):
    return {"type": "text", "text": text}


def _tool(call_id, name, status, output="", error="", command="ls"):
    state = {"status": status, "input": {"command": command}, "time": {"start": T0, "end": T0 + 1500}}
    state.update({"output": output} if status == "completed" else {"error": error} if status == "error" else {})
    return {"type": "tool", "callID": call_id, "tool": name, "state": state}


def _finish(inp, out, read=0, write=0, reasoning=0, cost=0.0, reason="tool-calls"):
    return {"type": "step-finish", "reason": reason, "cost": cost,
            "tokens": {"input": inp, "output": out, "reasoning": reasoning, "cache": {"read": read, "write": write}}}


ASSISTANT = {"modelID": "claude-sonnet-4-5", "providerID": "anthropic", "cost": 0.05,
             "tokens": {"input": 999, "output": 999, "reasoning": 0, "cache": {"read": 0, "write": 0}}}


def test_steps_are_model_calls_with_their_own_usage_tools_and_a_sub_agent(db, tmp_path):
    store = Storage(tmp_path)
    main = store.session("ses_main0001")
    store.message("ses_main0001", "user", [_text("make the tests pass")])
    store.message("ses_main0001", "assistant", [
        {"type": "step-start"}, _text("Looking."), _tool("c1", "bash", "completed", output="ok"),
        _tool("c2", "bash", "error", error="exit 1"), _finish(100, 20, read=1000, write=50, reasoning=5, cost=0.02),
        {"type": "step-start"}, _tool("c3", "task", "completed", output="done"), _finish(200, 10, read=1100, cost=0.03),
        {"type": "step-start"}, _text("All green."), _finish(50, 30, reason="stop"),
    ], **ASSISTANT)  # the message's tokens repeat a step's: not counted again
    child = store.session("ses_child001", title="explore", parent="ses_main0001")
    store.message("ses_child001", "user", [_text("find the failing test")])
    store.message("ses_child001", "assistant", [_tool("k1", "grep", "running"), _finish(10, 1)], **ASSISTANT)

    assert detect(main) is opencode
    found = find_sessions([tmp_path])
    assert sorted(found.files) == sorted([main, child]) and found.unrecognised == []  # messages and parts are no sessions

    result = import_path(db, main)
    assert (result.source, result.session_id) == ("opencode", "oc-main0001")
    assert (result.model_calls, result.counted_calls) == (3, 3)
    assert result.tokens_in == (100 + 1000 + 50) + (200 + 1100) + 50
    assert result.tokens_out == (20 + 5) + 10 + 30
    cached, written, cost = db.execute("select sum(cached_tokens), sum(cache_write_tokens), round(sum(cost_usd), 4) "
                                       "from model_calls").fetchone()
    assert (cached, written, cost) == (2100, 50, 0.05)
    rows = db.execute("select tool_call_id, name, status, error, duration_ms from tool_calls order by rowid").fetchall()
    assert rows == [("c1", "bash", "ok", None, 1500.0), ("c2", "bash", "tool_error", "exit 1", 1500.0),
                    ("c3", "task", "ok", None, 1500.0)]
    session = db["sessions"].get(result.session_id)
    assert (session["title"], session["workspace"], session["model"]) == ("Fix the tests", "/work/app", "claude-sonnet-4-5")

    sub = import_path(db, child)
    assert sub.parent_id == "oc-main0001" and (sub.tool_calls, sub.tool_calls_failed) == (1, 1)  # never finished
    assert import_path(db, main).status == "skipped"
    store.session("ses_main0001", updated=90_000)  # the session went on
    assert import_path(db, main).status == "updated"


def test_a_message_without_steps_aborts_errors_and_compaction(db, tmp_path):
    store = Storage(tmp_path)
    path = store.session("ses_other001")
    store.message("ses_other001", "user", [_text("go")])
    store.message("ses_other001", "assistant", [_text("old version: no steps")], **ASSISTANT)
    store.message("ses_other001", "assistant", [], modelID="m", error={"name": "APIError", "data": {"message": "overloaded"}})
    store.message("ses_other001", "user", [{"type": "compaction", "auto": True}])
    store.message("ses_other001", "assistant", [_text("Summary: we fixed x."), _finish(10, 5, reason="stop")],
                  modelID="m", summary=True)
    store.message("ses_other001", "user", [_text("next")])
    store.message("ses_other001", "assistant", [_tool("z1", "bash", "error", error="Tool execution aborted")],
                  modelID="m", error={"name": "MessageAbortedError", "data": {"message": "aborted"}})
    store.message("ses_other001", "assistant", [], modelID="m")  # no usage at all
    result = import_path(db, path)
    assert result.model_calls == 5 and result.counted_calls == 2  # the message's tokens once, the summary's step
    assert result.tokens_in == 999 + 10 and result.tokens_out == 999 + 5
    assert db.execute("select status, error_message from model_calls where status = 'error'").fetchall() == [
        ("error", "overloaded")]
    assert db.execute("select status from tool_calls").fetchall() == [("cancelled",)]
    events = load_events(db, result.session_id)
    replaced = [e for e in events if e["type"] == "messages_replaced"]
    assert [e["messages"] for e in replaced] == [[{"role": "user", "content": "Summary: we fixed x."}]]
    assert [e["user_text"] for e in events if e["type"] == "turn_started"] == ["go", "next"]
    assert any(e["type"] == "interrupted" for e in events)


@pytest.mark.parametrize("which", ["message", "part"])
def test_a_broken_file_names_itself_and_its_line_and_writes_nothing(db, tmp_path, which):
    store = Storage(tmp_path)
    path = store.session("ses_broken01")
    mid = store.message("ses_broken01", "user", [_text("hi")])
    target = (store.root / "message" / "ses_broken01" / f"{mid}.json" if which == "message"
              else next((store.root / "part" / mid).glob("*.json")))
    target.write_text(target.read_text()[:-20])
    before = table_counts(db)
    with pytest.raises(ImportFormatError, match=rf"{target.name}:\d+: not valid JSON"):
        import_sessions(db, path)
    assert table_counts(db) == before


def test_unknown_part_types_are_left_out(db, tmp_path):
    store = Storage(tmp_path)
    path = store.session("ses_unknown1")
    store.message("ses_unknown1", "user", [_text("hi"), {"type": "file", "url": "x"}])
    store.message("ses_unknown1", "assistant", [{"type": "snapshot"}, {"type": "hologram"}, _text("hello"),
                                                 _finish(5, 1, reason="stop")], modelID="m")
    result = import_path(db, path)
    assert (result.model_calls, result.tokens_in, result.tool_calls) == (1, 5, 0)


def test_a_long_session_is_read_one_message_at_a_time(db, tmp_path):
    store = Storage(tmp_path)
    path = store.session("ses_long0001")
    for n in range(300):
        store.message("ses_long0001", "user", [_text(f"prompt {n}")])
        store.message("ses_long0001", "assistant", [_tool(f"t{n}", "bash", "completed", output="y" * 2000),
                                                     _finish(10, 2)], modelID="m")
    result = import_path(db, path)
    assert (result.model_calls, result.tool_calls, result.tokens_in) == (300, 300, 3000)
