"""Claude Code 1.0.x: sub-agents written inline in the main transcript as ``isSidechain`` records.

The expected figures are computed here from the raw file (not by the importer): a chain is a
sidechain ``user`` record without ``parentUuid`` and everything below it by ``parentUuid``; per
chain, model calls are distinct ``message.id`` of its assistant records, their prompt is the
largest ``input_tokens + cache_read + cache_creation`` seen for the id (equal on all lines of an
id), tool calls are distinct ``tool_use`` ids, failures ``tool_result`` blocks with ``is_error``.
"""

from __future__ import annotations

import json

from storage.importers import import_path, import_sessions
from storage.queries import load_events
from tests.support.session_files import CLAUDE_INLINE


def _chains():
    records = [json.loads(line) for line in CLAUDE_INLINE.read_text().splitlines() if line.strip()]
    chain_of: dict[str, str] = {}
    chains: dict[str, dict] = {}
    for r in records:
        if not r.get("isSidechain"):
            continue
        root = chain_of.get(r.get("parentUuid")) or r["uuid"]
        chain_of[r["uuid"]] = root
        chain = chains.setdefault(root, {"prompt": r["message"]["content"], "calls": {}, "tools": set(), "failed": 0})
        content = r["message"]["content"]
        if r["type"] == "assistant":
            u = r["message"]["usage"]
            chain["calls"][r["message"]["id"]] = u["input_tokens"] + u.get("cache_read_input_tokens", 0) + u.get("cache_creation_input_tokens", 0)
            chain["tools"] |= {b["id"] for b in content if isinstance(b, dict) and b.get("type") == "tool_use"}
        elif isinstance(content, list):
            chain["failed"] += sum(1 for b in content if isinstance(b, dict) and b.get("type") == "tool_result" and b.get("is_error"))
    tasks = {b["input"]["prompt"]: b for r in records if r["type"] == "assistant" and not r.get("isSidechain")
             for b in r["message"]["content"] if isinstance(b, dict) and b.get("name") == "Task"}
    return chains, tasks


def test_the_file_itself():
    chains, tasks = _chains()
    assert len(chains) == 5 == len(tasks)
    assert sum(len(c["tools"]) for c in chains.values()) == 156
    assert sum(c["failed"] for c in chains.values()) == 23
    assert sum(len(c["calls"]) for c in chains.values()) == 161
    assert sum(sum(c["calls"].values()) for c in chains.values()) == 3_618_290
    assert all(c["prompt"] in tasks for c in chains.values())


def test_each_chain_is_a_child_session(db):
    chains, tasks = _chains()
    results = import_sessions(db, CLAUDE_INLINE)
    main, children = results[0], results[1:]
    assert main.session_id == "cc-fe5e1c6753e7" and main.parent_id is None
    assert (main.model_calls, main.tool_calls) == (9, 11)
    assert [c.parent_id for c in children] == [main.session_id] * 5
    expected = {f"{main.session_id}-{root.replace('-', '')[:12]}": chain for root, chain in chains.items()}
    assert {c.session_id for c in children} == set(expected)
    for child in children:
        chain = expected[child.session_id]
        assert (child.model_calls, child.tool_calls, child.tool_calls_failed, child.tokens_in) == (
            len(chain["calls"]), len(chain["tools"]), chain["failed"], sum(chain["calls"].values()))
        task = tasks[chain["prompt"]]
        title = db["sessions"].get(child.session_id)["title"]
        assert title == f"{task['input']['subagent_type']} · {task['input']['description']}"
    assert sum(c.tool_calls_failed for c in children) == 23
    notices = [e["message"] for e in load_events(db, main.session_id) if e["type"] == "notice"]
    assert sorted(n for n in notices if n.startswith("sub-agent session ")) == sorted(
        f"sub-agent session {c.session_id}" for c in children)
    assert not any("not imported" in n for n in notices)


def test_reimport_of_a_file_with_children_is_a_no_op(db):
    first = import_sessions(db, CLAUDE_INLINE)
    again = import_sessions(db, CLAUDE_INLINE)
    assert [r.status for r in again] == ["skipped"] * 6
    assert [r.session_id for r in again] == [r.session_id for r in first]
    assert import_path(db, CLAUDE_INLINE).session_id == first[0].session_id


def test_an_interrupted_import_of_children_is_redone(db):
    """A child left without its session_finished (a killed import) makes the file not imported yet."""
    first = import_sessions(db, CLAUDE_INLINE)
    child = first[2].session_id
    last = db.execute("select max(seq) from events where session_id = ?", [child]).fetchone()[0]
    db.execute("delete from events where session_id = ? and seq = ?", [child, last])
    again = import_sessions(db, CLAUDE_INLINE)
    assert [r.status for r in again] == ["imported"] * 6
    assert db.execute("select count(*) from sessions").fetchone()[0] == 6
