"""Aider chat histories: the real tests/data/sessions/aider file, and generated edge cases.

The expected figures are computed here from the raw text with a few regular expressions (not the
importer): sessions are ``# aider chat started at`` lines; in each, a ``> Tokens: A sent, B
received.`` line is one model call with usage (aider's ``1.8k`` is 1,800: rounded, hence an
estimate), a ``> litellm.…Error:`` line a failed call, ``> Applied edit to F`` an edit.
"""

from __future__ import annotations

import re
import tracemalloc

import pytest

from storage.importers import (
    ImportFormatError,
    aider,
    detect,
    import_path,
    import_sessions,
)
from storage.queries import load_events
from tests.support.session_files import AIDER
from tests.support.store import table_counts

_UNIT = {"": 1, "k": 1_000, "M": 1_000_000}


def _count(text: str) -> int:
    number, unit = re.fullmatch(r"([0-9.]+)([kM]?)", text).groups()
    return round(float(number) * _UNIT[unit])


def _prompts(block: str) -> int:
    """Runs of ``####`` lines (one prompt each), aider's questions answered on such a line left out."""
    runs, inside = 0, False
    for line in block.splitlines():
        typed = line.startswith("####") and not re.search(r"\(Y\)es/\(N\)o", line)
        runs += typed and not inside
        inside = typed or (inside and line.startswith("####"))
    return runs


def _blocks(text: str):
    blocks = re.split(r"^# aider chat started at .*$", text, flags=re.MULTILINE)[1:]
    out = []
    for block in blocks:
        tokens = re.findall(r"^> Tokens: (\S+) sent, (\S+) received\.", block, re.MULTILINE)
        out.append({
            "usage": [(_count(a), _count(b)) for a, b in tokens],
            "errors": len(re.findall(r"^> litellm\.\w+Error: ", block, re.MULTILINE)),
            "edits": re.findall(r"^> Applied edit to (.+?) *$", block, re.MULTILINE),
            "prompts": _prompts(block),
        })
    return out


def test_the_file_itself():
    blocks = _blocks(AIDER.read_text())
    assert len(blocks) == 3
    assert [len(b["usage"]) for b in blocks] == [0, 7, 7] and [b["errors"] for b in blocks] == [1, 0, 0]
    assert [len(b["edits"]) for b in blocks] == [0, 0, 3]


def test_one_session_per_start_with_usage_errors_and_edits(db):
    blocks = _blocks(AIDER.read_text())
    results = import_sessions(db, AIDER)
    assert [r.source for r in results] == ["aider"] * 3 and len({r.session_id for r in results}) == 3
    for result, block in zip(results, blocks):
        assert result.tokens_in == sum(sent for sent, _ in block["usage"])
        assert result.tokens_out == sum(received for _, received in block["usage"])
        assert result.tool_calls == len(block["edits"]) and result.tool_calls_failed == 0
        counted = db.execute("select count(*) from model_calls where session_id = ? and usage_source != 'none'",
                             [result.session_id]).fetchone()[0]
        assert counted == len(block["usage"])
        failed = db.execute("select count(*) from model_calls where session_id = ? and status = 'error'",
                            [result.session_id]).fetchone()[0]
        assert failed == block["errors"]
    assert results[1].tokens_in == 26_000 and results[2].tokens_out == 13_997
    sources = {row[0] for row in db.execute("select usage_source from model_calls where prompt_tokens > 0")}
    assert sources == {"estimated"}  # aider rounds: 1.8k
    edits = [r[0] for r in db.execute("select arguments from tool_calls where session_id = ? order by rowid", [results[2].session_id])]
    assert [__import__("json").loads(a)["path"] for a in edits] == blocks[2]["edits"]
    first = db["sessions"].get(results[0].session_id)
    assert first["model"] == "lm_studio/qwen3.6-35b-a3b-uncensored-hauhaucs-aggressive" and first["title"] == "hi"
    error = db.execute("select error_message from model_calls where session_id = ?", [results[0].session_id]).fetchone()[0]
    assert error.startswith("litellm.AuthenticationError: AuthenticationError: Lm_studioException")
    turns = [e for r in results for e in load_events(db, r.session_id) if e["type"] == "turn_started"]
    assert len(turns) == sum(b["prompts"] for b in blocks)


def test_reimport_is_a_no_op_and_a_grown_history_updates(db, tmp_path):
    path = tmp_path / ".aider.chat.history.md"
    text = AIDER.read_text()
    path.write_text(text)
    first = import_sessions(db, path)
    assert [r.status for r in import_sessions(db, path)] == ["skipped"] * 3
    path.write_text(text + "\n# aider chat started at 2026-04-23 09:00:00\n\n> Model: gpt-4o with diff edit format\n\n"
                    "#### fix it\n\nDone.\n\n> Tokens: 950 sent, 12 received. Cost: $0.0025 message, $0.0025 session.\n")
    grown = import_sessions(db, path)
    assert [r.status for r in grown] == ["updated"] * 4
    assert [r.session_id for r in grown[:3]] == [r.session_id for r in first]
    assert db.execute("select count(*) from sessions").fetchone()[0] == 4
    call = db.execute("select prompt_tokens, completion_tokens, usage_source, cost_usd, model from model_calls "
                      "where session_id = ?", [grown[3].session_id]).fetchone()
    assert call == (950, 12, "provider", 0.0025, "gpt-4o")  # under 1,000: exact


def _history(tmp_path, body: str, name: str = "h.aider.chat.history.md"):
    path = tmp_path / name
    path.write_text("\n# aider chat started at 2026-01-02 03:04:05\n\n> Model: claude-3-5-sonnet with diff edit format\n\n" + body)
    return path


def test_failed_edits_unknown_lines_and_missing_usage(db, tmp_path):
    path = _history(tmp_path, """#### change the greeting

Here is the edit.

> Tokens: 12k sent, 1.2k cache write, 9.5k cache hit, 310 received.
> The LLM did not conform to the edit format.
> https://aider.chat/docs/troubleshooting/edit-errors.html
> Some line aider may print one day
> Applied edit to hello.py

Trying again without usage.

#### and now?
""")
    result = import_path(db, path)
    assert (result.model_calls, result.tool_calls, result.tool_calls_failed) == (2, 2, 1)
    rows = db.execute("select prompt_tokens, completion_tokens, cached_tokens, cache_write_tokens, usage_source "
                      "from model_calls order by rowid").fetchall()
    assert rows == [(12_000, 310, 9_500, 1_200, "estimated"), (0, 0, None, None, "none")]  # no usage: no cache counts
    assert db.execute("select status from tool_calls order by rowid").fetchall() == [("tool_error",), ("ok",)]


def test_an_answer_cut_by_ctrl_c_is_an_interruption(db, tmp_path):
    path = _history(tmp_path, "#### think hard\n\n<thinking-content-abc123>\n\nHmm, first\n\n#### stop\n>  \n> ^C KeyboardInterrupt\n")
    result = import_path(db, path)
    events = load_events(db, result.session_id)
    assert [e["type"] for e in events if e["type"] in ("interrupted", "session_finished")] == ["interrupted", "session_finished"]
    assert db["sessions"].get(result.session_id)["status"] == "interrupted"
    assert result.model_calls == 1  # the thinking that never finished


def test_leaving_aider_with_ctrl_c_is_no_interruption(db, tmp_path):
    path = _history(tmp_path, "#### hi\n\nHello.\n\n> Tokens: 10 sent, 2 received.\n\n> ^C again to exit\n> ^C KeyboardInterrupt\n")
    result = import_path(db, path)
    assert db["sessions"].get(result.session_id)["status"] == "completed"


def test_a_session_whose_only_call_failed_is_failed_and_has_no_end_time(db):
    results = import_sessions(db, AIDER)  # the file's first session: one call, an authentication error
    first, second = (db["sessions"].get(r.session_id) for r in results[:2])
    assert first["status"] == "failed" and second["status"] == "interrupted"
    assert all(db["sessions"].get(r.session_id)["ended_at"] is None for r in results)  # aider records only the start
    assert all(db["sessions"].get(r.session_id)["started_at"] for r in results)


def test_an_answer_after_a_failed_call_completes_the_session(db, tmp_path):
    path = _history(tmp_path, "#### hi\n\n> litellm.APIConnectionError: APIConnectionError: refused\n\n"
                              "#### hi again\n\nHello.\n\n> Tokens: 10 sent, 2 received.\n")
    result = import_path(db, path)
    assert db["sessions"].get(result.session_id)["status"] == "completed"


def test_detected_by_content_and_refused_when_broken(db, tmp_path):
    path = _history(tmp_path, "#### hi\n", name="notes.md")
    assert detect(path) is aider
    broken = tmp_path / "b.aider.chat.history.md"
    broken.write_bytes(b"\n# aider chat started at 2026-01-02 03:04:05\n\n#### caf\xe9\n")
    before = table_counts(db)
    with pytest.raises(ImportFormatError, match=r"b\.aider\.chat\.history\.md:4: not UTF-8 text"):
        import_path(db, broken)
    assert table_counts(db) == before


def test_a_huge_history_is_read_in_bounded_memory(tmp_path):
    session = "#### go on\n\n" + "Some answer text that goes on.\n" * 60 + "\n> Tokens: 2.5k sent, 120 received.\n\n"
    path = _history(tmp_path, session * 6_000)  # about 11 MB, one session
    assert path.stat().st_size > 10_000_000
    tracemalloc.start()
    try:
        calls = sum(1 for e in aider.convert(path, "d" * 64) if e["type"] == "model_call_finished")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert calls == 6_000 and peak < 4_000_000, peak
