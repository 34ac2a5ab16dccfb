"""The first pass over a Claude Code transcript, split in parts (a large file's reading process checks the first
part while the importing process checks the rest): joined, the parts find what one pass over the file finds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.importers import ImportFormatError, claude_code, import_path, reader_process
from storage.importers.common import Span, line_start_after
from tests.support.session_files import CLAUDE_INLINE, CLAUDE_MAIN, CLAUDE_SHORT, CLAUDE_SUBAGENTS


def _found(header: claude_code.Header) -> tuple[object, ...]:
    """Everything a header holds, the error as (line, reason)."""
    error = None if header.error is None else (header.error.line, header.error.reason)
    return (header.source_id, header.agent_id, header.first_ts, header.first_cwd, header.first_cwd_line, header.model,
            header.title, header.records, error)


def _line_starts(path: Path) -> list[int]:
    data = path.read_bytes()
    starts = [0] + [i + 1 for i, byte in enumerate(data) if byte == 0x0A]
    return sorted(set(starts))


def _joined(path: Path, split: int) -> claude_code.Header:
    return claude_code.scan_part(path, Span(0, split)).then(claude_code.scan_part(path, Span(split)))


@pytest.mark.parametrize("path", [CLAUDE_SHORT, CLAUDE_INLINE, CLAUDE_MAIN, *sorted(CLAUDE_SUBAGENTS.glob("*.jsonl"))],
                         ids=lambda p: p.name[:40])
def test_two_parts_of_a_real_transcript_find_what_one_pass_finds_wherever_it_is_split(path):
    whole = _found(claude_code.scan_part(path))
    for split in _line_starts(path):
        assert _found(_joined(path, split)) == whole, split


_RECORD = st.fixed_dictionaries({}, optional={
    "type": st.sampled_from(["user", "assistant", "summary", "custom-title", "system"]),
    "sessionId": st.sampled_from(["", "s-1", "s-2"]),
    "agentId": st.sampled_from(["a1", "a2"]),
    "isSidechain": st.booleans(),
    "timestamp": st.sampled_from(["", "2026-01-02T03:04:05Z", "2026-01-02T03:04:06.5Z", "not a time"]),
    "cwd": st.sampled_from(["/a", "/b"]),
    "message": st.fixed_dictionaries({}, optional={"model": st.sampled_from(["", "<synthetic>", "claude-x", "m2"])}),
    "summary": st.sampled_from(["sum one", "sum two"]),
    "customTitle": st.sampled_from(["title one", "title two"]),
})
_LINE = st.one_of(
    _RECORD.map(json.dumps),
    st.sampled_from(["", "   ", '{"type": "user", "message": ', "[1, 2]", "nan", '{"n": NaN}']),
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(_LINE, min_size=0, max_size=12), where=st.integers(min_value=0))
def test_any_file_split_anywhere_finds_the_same_fields_and_the_same_first_bad_line(tmp_path, lines, where):
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(lines) + ("\n" if lines and where % 2 else ""))
    starts = _line_starts(path)
    split = starts[where % len(starts)]
    assert _found(_joined(path, split)) == _found(claude_code.scan_part(path))


def test_a_split_point_is_the_start_of_a_line(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_bytes(b"abc\ndefg\n\nhij")
    assert [line_start_after(path, offset) for offset in range(15)] == [0, 4, 4, 4, 4, 9, 9, 9, 9, 9, 10, 13, 13, 13, 13]  # (13: the size)


# --- through the reading process -------------------------------------------------------------------------------


@pytest.fixture
def children(monkeypatch):
    monkeypatch.setattr(reader_process, "MIN_BYTES", 0)


def _transcript(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in lines))
    return path


def _filler(count: int) -> list[str]:
    """User prompts without a working folder, model or title: a header found only after them is in the last part."""
    return [json.dumps({"type": "user", "sessionId": "5e5510-aa", "timestamp": "2026-01-02T03:04:05Z",
                        "uuid": f"u{i}", "message": {"role": "user", "content": f"prompt {i} " + "x" * 200}})
            for i in range(count)]


def test_a_bad_line_in_the_importing_processs_part_names_its_line_in_the_file_and_nothing_is_written(db, tmp_path, children):
    lines = _filler(40)
    lines[35] = '{"type": "user", "message": '
    path = _transcript(tmp_path, "late-break.jsonl", lines)
    assert reader_process._split(path) < len("\n".join(lines[:35]))  # the broken line is in this process's part
    with pytest.raises(ImportFormatError) as caught:
        import_path(db, path)
    assert (caught.value.line, "not valid JSON" in caught.value.reason) == (36, True)
    assert db.execute("select count(*) from sessions").fetchone() == (0,)


def test_of_two_bad_lines_one_in_each_part_the_first_is_named(db, tmp_path, children):
    lines = _filler(40)
    lines[3], lines[38] = "[1, 2]", '{"type": "user", "message": '
    path = _transcript(tmp_path, "two-breaks.jsonl", lines)
    with pytest.raises(ImportFormatError) as caught:
        import_path(db, path)
    assert (caught.value.line, caught.value.reason) == (4, "expected a JSON object on every line")


def test_a_header_found_only_in_the_last_part_is_the_sessions(db, tmp_path, children, monkeypatch):
    late = [
        json.dumps({"type": "assistant", "sessionId": "5e5510-aa", "timestamp": "2026-01-02T03:05:05Z", "cwd": "/work/late",
                    "version": "2.1.0", "uuid": "a1",
                    "message": {"id": "msg1", "model": "claude-late", "role": "assistant",
                                "content": [{"type": "text", "text": "done"}],
                                "usage": {"input_tokens": 1234, "output_tokens": 5}}}),
        json.dumps({"type": "custom-title", "customTitle": "named late", "sessionId": "5e5510-aa"}),
    ]
    path = _transcript(tmp_path, "late-header.jsonl", _filler(40) + late)
    assert reader_process._split(path) < path.stat().st_size - sum(len(line) + 1 for line in late)
    there = import_path(db, path)
    row = db.execute("select title, workspace, model from sessions where id = ?", [there.session_id]).fetchone()
    assert row == ("named late", "/work/late", "claude-late")
    first = json.loads(db.execute("select payload from events where session_id = ? and seq = 1",
                                  [there.session_id]).fetchone()[0])
    assert first["settings"] == {"source_version": "2.1.0", "source_session_id": "5e5510-aa"}
    monkeypatch.setattr(reader_process, "MIN_BYTES", 10**12)  # read in one process: the same session
    from storage.db import open_db

    here_db = open_db(tmp_path / "here.db")
    here = import_path(here_db, path)
    assert here_db.execute("select title, workspace, model from sessions").fetchone() == row
    assert (here.session_id, here.tokens_in, here.events) == (there.session_id, there.tokens_in, there.events)
