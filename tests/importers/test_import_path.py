"""import_path: idempotence, all-or-nothing on broken files, format detection, discovery."""

from __future__ import annotations

import json
import shutil

import pytest

from storage.importers import ImportFormatError, discover, import_path
from tests.support.session_files import CLAUDE_DIR, CLAUDE_MAIN, CLAUDE_SHORT, CLAUDE_SUBAGENTS, CODEX, MINI
from tests.support.store import table_counts


@pytest.mark.parametrize("path", [CLAUDE_SHORT, CODEX, MINI], ids=["claude", "codex", "mini"])
def test_reimport_is_a_no_op(db, path):
    first = import_path(db, path)
    before = table_counts(db)
    again = import_path(db, path)
    assert again.status == "skipped" and again.reason == "already imported"
    assert again.session_id == first.session_id and again.model_calls == first.model_calls
    assert table_counts(db) == before


def test_the_same_bytes_under_another_name_are_skipped(db, tmp_path):
    import_path(db, CODEX)
    copy = tmp_path / "rollout-copy.jsonl"
    shutil.copyfile(CODEX, copy)
    assert import_path(db, copy).status == "skipped"
    assert db.execute("select count(*) from sessions").fetchone() == (1,)


def test_a_file_that_grew_replaces_its_earlier_import(db, tmp_path):
    lines = CODEX.read_text().splitlines(keepends=True)
    partial = tmp_path / "rollout.jsonl"
    partial.write_text("".join(lines[:24]))  # up to the first turn's last token_count
    first = import_path(db, partial)
    assert (first.status, first.model_calls, first.tool_calls) == ("imported", 3, 2)
    partial.write_text("".join(lines))
    second = import_path(db, partial)
    assert (second.status, second.session_id) == ("updated", first.session_id)
    assert (second.model_calls, second.tool_calls, second.tool_calls_failed, second.tokens_in) == (7, 5, 2, 26_740)
    assert db.execute("select count(*) from sessions").fetchone() == (1,)
    seqs = [r[0] for r in db.execute("select seq from events where session_id = ? order by seq", [first.session_id])]
    assert seqs == list(range(1, len(seqs) + 1))


def test_truncated_file_names_file_and_line_and_writes_nothing(db, tmp_path):
    import_path(db, MINI)  # something already there must stay as it is
    before = table_counts(db)
    data = CLAUDE_SHORT.read_bytes()
    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(data[: data.index(b"\n", len(data) // 2) + 40])  # a line cut in the middle
    expected_line = cut.read_bytes().count(b"\n") + 1
    with pytest.raises(ImportFormatError) as caught:
        import_path(db, cut)
    assert (caught.value.path, caught.value.line) == (str(cut), expected_line)
    assert str(caught.value).startswith(f"{cut}:{expected_line}: not valid JSON")
    assert table_counts(db) == before


def test_garbage_and_unknown_formats_are_refused(db, tmp_path):
    before = table_counts(db)
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_bytes(b"\n\x00\xffnot json at all\n")
    with pytest.raises(ImportFormatError, match=r"garbage\.jsonl:2: unknown format: text that is not JSON"):
        import_path(db, garbage)
    unknown = tmp_path / "other.jsonl"
    unknown.write_text(json.dumps({"event": "something else"}) + "\n" + json.dumps({"event": "more"}) + "\n")
    with pytest.raises(ImportFormatError, match=r"other\.jsonl:1: unknown format: JSON Lines whose first record has keys event; not a Codex"):
        import_path(db, unknown)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    with pytest.raises(ImportFormatError, match=r"empty\.jsonl:1: empty file"):
        import_path(db, empty)
    not_a_trajectory = tmp_path / "x.traj.json"
    not_a_trajectory.write_text('{"info": {}}')
    with pytest.raises(ImportFormatError, match=r"x\.traj\.json:1: unknown format: a JSON object with keys info;"):
        import_path(db, not_a_trajectory)
    broken_json = tmp_path / "y.traj.json"
    broken_json.write_text('{\n  "messages": [\n    {"role": "user",\n')
    with pytest.raises(ImportFormatError, match=r"y\.traj\.json:4: not valid JSON"):
        import_path(db, broken_json)
    assert table_counts(db) == before


def test_a_bad_line_late_in_a_codex_file_writes_nothing(db, tmp_path):
    lines = CODEX.read_text().splitlines()
    lines[40] = '{"timestamp": "2025-12-09T19:55:59Z", "kind": "not a rollout record"}'
    path = tmp_path / "rollout-bad.jsonl"
    path.write_text("\n".join(lines))
    before = table_counts(db)
    with pytest.raises(ImportFormatError, match=r"rollout-bad\.jsonl:41: not a Codex rollout record"):
        import_path(db, path)
    assert table_counts(db) == before


def test_discover_expands_folders_and_brings_subagents(tmp_path):
    main_and_agents = [CLAUDE_MAIN, *sorted(CLAUDE_SUBAGENTS.glob("agent-*.jsonl"))]
    assert discover([CLAUDE_MAIN]) == main_and_agents  # a transcript brings its sub-agents
    assert discover([CLAUDE_DIR]) == main_and_agents  # the project folder: main first
    (tmp_path / "history.jsonl").write_text("{}\n")  # Claude Code's and Codex's prompt history: not a session
    nested = tmp_path / "2025" / "12" / "10"
    nested.mkdir(parents=True)
    shutil.copyfile(CODEX, nested / CODEX.name)
    assert discover([tmp_path]) == [nested / CODEX.name]
    assert discover([MINI, MINI]) == [MINI]


@pytest.mark.parametrize("where", ["first batch", "later batch"])
def test_a_number_too_large_to_store_is_a_clear_error_and_writes_nothing(db, tmp_path, where):
    """A token count beyond 64 bits (SQLite's integers) is refused, naming the file; what was written of it goes."""
    lines = CLAUDE_SHORT.read_text().splitlines()
    record = {"type": "assistant", "sessionId": "2b4ed4c0-b905-41de-9238-273db3ec737a", "timestamp": "2026-01-01T00:00:01Z",
              "message": {"id": "huge", "model": "claude", "role": "assistant", "content": [{"type": "text", "text": "x"}],
                          "usage": {"input_tokens": 2**64, "output_tokens": 1}}}
    filler = [json.dumps({"type": "user", "sessionId": "2b4ed4c0", "timestamp": "2026-01-01T00:00:00Z",
                          "message": {"role": "user", "content": f"prompt {i}"}}) for i in range(300)]
    body = lines + [json.dumps(record)] if where == "first batch" else lines + filler + [json.dumps(record)]
    path = tmp_path / "huge.jsonl"
    path.write_text("\n".join(body) + "\n")
    with pytest.raises(ImportFormatError) as caught:
        import_path(db, path)
    assert caught.value.path == str(path) and "too large to store" in caught.value.reason
    assert db.execute("select count(*) from sessions").fetchone() == (0,)
    assert db.execute("select count(*) from events").fetchone() == (0,)
