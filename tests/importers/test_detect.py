"""Formats are told apart by content; what no format recognises says what it looked like."""

from __future__ import annotations

import json
import shutil

import pytest

import app.cli
from storage.importers import (
    FORMATS,
    ImportFormatError,
    aider,
    claude_code,
    codex_cli,
    detect,
    find_sessions,
    gemini_cli,
    mini_swe_agent,
)
from storage.importers.detect import HEAD_BYTES, read_head
from tests.support.session_files import (
    AIDER,
    CLAUDE_INLINE,
    CLAUDE_MAIN,
    CLAUDE_SHORT,
    CLAUDE_SUBAGENTS,
    CODEX,
    CODEX_NEW,
    GEMINI,
    MINI,
)

SAMPLES = [(CODEX, codex_cli), (CODEX_NEW, codex_cli), (CLAUDE_SHORT, claude_code), (CLAUDE_INLINE, claude_code),
           (CLAUDE_MAIN, claude_code), (GEMINI, gemini_cli), (MINI, mini_swe_agent), (AIDER, aider)]


@pytest.mark.parametrize(("path", "module"), SAMPLES, ids=[m.SOURCE + ":" + p.name[:20] for p, m in SAMPLES])
def test_every_real_sample_is_recognised_under_any_name(tmp_path, path, module):
    assert detect(path) is module
    renamed = tmp_path / "session.data"
    shutil.copyfile(path, renamed)
    assert detect(renamed) is module


@pytest.mark.parametrize(("content", "said"), [
    ('{"a": 1, "b": [1, 2]}', "1: unknown format: a JSON object with keys a, b; not a Codex CLI rollout"),
    ('[\n  {"id": 0, "action": "run"},\n  {"id": 1}\n]', "1: unknown format: a JSON array whose first item has keys id, action;"),
    ('{"x": 1}\n{"x": 2}\n', "1: unknown format: JSON Lines whose first record has keys x;"),
    ("\n\nhello world\n", "3: unknown format: text that is not JSON (line 3: 'hello world');"),
])
def test_unknown_content_says_what_was_recognised(tmp_path, content, said):
    path = tmp_path / "thing.json"
    path.write_text(content)
    with pytest.raises(ImportFormatError) as caught:
        detect(path)
    assert str(caught.value) == f"{path}:{said}" + str(caught.value).split(said, 1)[1]
    assert "Aider chat history" in str(caught.value) and "Gemini CLI session" in str(caught.value)


def test_a_document_longer_than_the_head_is_recognised_from_its_first_keys(tmp_path):
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"sessionId": "s", "projectHash": "p", "messages": [{"x": "y" * 1000}] * 200}))
    assert path.stat().st_size > HEAD_BYTES and detect(path) is gemini_cli
    assert read_head(path).keys == ("sessionId", "projectHash", "messages")


def test_a_long_first_line_is_read_whole(tmp_path):
    records = [{"type": "user", "sessionId": "s", "message": {"role": "user", "content": "x" * (HEAD_BYTES * 2)}}, {"type": "summary"}]
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    head = read_head(path)
    assert head.kind == "jsonl" and head.record is not None and detect(path) is claude_code


def test_a_folder_gives_what_is_recognised_and_lists_the_rest(tmp_path):
    chats = tmp_path / ".gemini" / "tmp" / "abc" / "chats"
    chats.mkdir(parents=True)
    shutil.copyfile(GEMINI, chats / GEMINI.name)
    (chats.parent / "logs.json").write_text('[{"sessionId": "s", "messageId": 0, "type": "user", "message": "hi"}]')
    shutil.copyfile(AIDER, tmp_path / ".aider.chat.history.md")
    shutil.copytree(CLAUDE_SUBAGENTS, tmp_path / "claude" / "subagents")  # with its .meta.json files
    found = find_sessions([tmp_path])
    assert found.files == sorted([tmp_path / ".aider.chat.history.md", chats / GEMINI.name,
                                  *(tmp_path / "claude" / "subagents" / p.name for p in CLAUDE_SUBAGENTS.glob("*.jsonl"))], key=str)
    assert [(e.path, e.reason.split(";")[0]) for e in found.unrecognised] == [
        (str(chats.parent / "logs.json"), "unknown format: a JSON array whose first item has keys sessionId, messageId, type, message")]


def test_the_import_command_on_a_folder_of_gemini_sessions(capsys, tmp_path, monkeypatch):
    if "import_" not in app.cli.COMMANDS:
        monkeypatch.setattr(app.cli, "COMMANDS", (*app.cli.COMMANDS, "import_"))
    folder = tmp_path / "chats"
    folder.mkdir()
    shutil.copyfile(GEMINI, folder / GEMINI.name)
    (folder / "package.json").write_text('{"name": "x", "version": "1.0.0"}')
    code = app.cli.main(["import", str(folder), "--db", str(tmp_path / "c.db")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.splitlines()[0] == f"not imported {folder / 'package.json'}: unknown format: a JSON object with keys name, version; " \
        "not a " + ", ".join(m.NAME for m in FORMATS)
    assert out.splitlines()[1].split()[:3] == ["imported", "gm-37b7abef713d", "gemini-cli"]
    only_unknown = tmp_path / "other"
    only_unknown.mkdir()
    (only_unknown / "package.json").write_text("{}")
    code = app.cli.main(["import", str(only_unknown), "--db", str(tmp_path / "c.db")])
    _, err = capsys.readouterr()
    assert code == 2 and "no session files of a known format found in" in err and "(1 files of unknown format)" in err
