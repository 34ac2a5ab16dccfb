"""@path mentions through the real loop, against the loopback OpenAI-compatible server:
what the model receives, the Context budget's items and the transcript's lines."""

from __future__ import annotations

from pathlib import Path

from app.agent.budget.counter import MESSAGE_FRAMING
from app.agent.events.budget import ContextMeasured
from app.agent.events.mentions import ATTACHMENT_MARKER, FileAttached
from app.agent.events.transcript_view import NOTICE, USER, TranscriptFold
from app.agent.mentions import MAX_ATTACH_CHARS
from tests.core.helpers import make_session
from tests.support.openai_server import Reply, encoding
from tests.support.wire import assert_sent_as_joined

from app.settings import Settings

# Every item of a measurement, not only the largest 8 (tool definitions are items too).
EVERY_ITEM = Settings(budget={"top_items": 100})

MODEL = "openai/gpt-4o"  # o200k_base: the server's own tokenizer, loaded independently of the budget's


def independent_tokens(content: str) -> int:
    """A user message as the OpenAI formula counts it, with tiktoken called directly."""
    enc = encoding("o200k_base")
    return MESSAGE_FRAMING + len(enc.encode("user")) + len(enc.encode(content))


async def run(openai_server, workspace: Path, tmp_path: Path, task: str):
    openai_server.script([Reply(text="Seen.")])
    session, events, db = make_session(MODEL, workspace, tmp_path / "m.db", api_base=openai_server.url, settings=EVERY_ITEM)
    session.start()
    result = await session.run_task(task)
    session.finish()
    assert result.outcome == "completed"
    (request,) = openai_server.chat_requests
    users = assert_sent_as_joined(request.body["messages"], session.agent.messages)
    return users, events, db, session


async def test_a_mentioned_file_is_attached_delimited_and_counted_as_a_budget_item(openai_server, workspace, tmp_path):
    (workspace / "src").mkdir()
    (workspace / "src" / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    task = "Why does @src/calc.py subtract? Mail me@example.com."

    users, events, _, _ = await run(openai_server, workspace, tmp_path, task)

    assert users[0] == task  # the task as typed, then its file (sent as one message with it)
    attachment = users[1]
    assert attachment.startswith(ATTACHMENT_MARKER)
    assert '<file path="src/calc.py">\ndef add(a, b):\n    return a - b\n</file>' in attachment
    assert len(users) == 2  # an e-mail address is no mention

    (attached,) = events.of(FileAttached)
    assert (attached.path, attached.attached, attached.kind) == ("src/calc.py", True, "file")
    assert attached.tokens == independent_tokens(attachment) and not attached.approximate  # tiktoken: exact
    measured = events.of(ContextMeasured)[-1]
    item = next(i for i in measured.items if i["id"] == attached.item_id)
    assert (item["label"], item["kind"], item["tokens"]) == ("@src/calc.py", "mention", attached.tokens)

    entries = TranscriptFold.of(events).entries
    user = next(k for k, e in enumerate(entries) if e.kind == USER)
    assert entries[user].text == task
    line = entries[user + 1]
    assert line.kind == NOTICE and line.text == f"@src/calc.py attached · {attached.tokens} tok"


async def test_quoted_paths_folders_and_trailing_punctuation(openai_server, workspace, tmp_path):
    (workspace / "notes").mkdir()
    (workspace / "notes" / "a b.txt").write_text("spaced\n")
    (workspace / "notes" / "c.md").write_text("cee\n")
    (workspace / ".gitignore").write_text("*.log\n")
    (workspace / "notes" / "skip.log").write_text("ignored\n")

    users, events, _, _ = await run(openai_server, workspace, tmp_path,
                                    'Read @"notes/a b.txt", then look at @notes/. And @nothing-here.')

    contents = users[1:]
    assert len(contents) == 2  # @nothing-here names nothing: left as text
    assert '<file path="notes/a b.txt">\nspaced\n' in contents[0]
    assert '<folder path="notes/" entries="2">\na b.txt\nc.md\n</folder>' in contents[1]  # .gitignore respected
    assert [(e.path, e.kind) for e in events.of(FileAttached)] == [("notes/a b.txt", "file"), ("notes/", "folder")]
    assert all(e.tokens == independent_tokens(c) for e, c in zip(events.of(FileAttached), contents))


async def test_binary_outside_and_big_files(openai_server, workspace, tmp_path):
    (workspace / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00binary")
    outside = tmp_path / "secret.txt"
    outside.write_text("top secret\n")
    (workspace / "link.txt").symlink_to(outside)
    (workspace / "big.txt").write_text("x" * 99 + "\n" + "y" * (MAX_ATTACH_CHARS + 5_000))

    users, events, _, _ = await run(openai_server, workspace, tmp_path,
                                    f"Look at @logo.png @{outside} @link.txt @big.txt")

    contents = users[1:]
    assert len(contents) == 1 and "top secret" not in str(openai_server.chat_requests[0].body)
    by_path = {e.path: e for e in events.of(FileAttached)}
    assert not by_path["logo.png"].attached and "binary" in by_path["logo.png"].note
    refused_outside = [e for e in events.of(FileAttached) if "outside the workspace" in e.note]
    assert len(refused_outside) == 2 and not any(e.attached for e in refused_outside)
    big = by_path["big.txt"]
    assert big.attached and big.truncated and big.chars == MAX_ATTACH_CHARS
    assert "cut: the first 50,000 characters (lines 1-2)" in big.note and big.note in contents[0]
    lines = [e for e in TranscriptFold.of(events).entries if e.kind == NOTICE and e.text.startswith("@")]
    assert [(e.text.split(" ")[0], e.level) for e in lines] == [
        ("@logo.png", "warning"), (f"@{outside}", "warning"), ("@link.txt", "warning"), ("@big.txt", "warning")]


async def test_attachments_survive_a_resume(openai_server, workspace, tmp_path):
    (workspace / "a.py").write_text("print('a')\n")
    users, events, db, session = await run(openai_server, workspace, tmp_path, "explain @a.py")
    attachment = users[-1]

    openai_server.script([Reply(text="Again.")])
    resumed, resumed_events, _ = make_session(MODEL, workspace, tmp_path / "m.db", api_base=openai_server.url, settings=EVERY_ITEM,
                                              resume=session.id)
    resumed.start()
    assert any(m.get("content") == attachment for m in resumed.agent.messages)
    assert resumed.agent.turn == 1  # the attachment is part of its task's turn
    measured = resumed_events.of(ContextMeasured)[-1]
    assert any(i["label"] == "@a.py" and i["tokens"] == independent_tokens(attachment) for i in measured.items)
    resumed.finish()
