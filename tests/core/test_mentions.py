"""Parsing ``@path`` mentions and turning them into attachments (no model involved)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.agent.budget.counter import USER, MessageCounter
from app.agent.events.mentions import ATTACHMENT_MARKER, MENTION, attachment_label
from app.agent.mentions import attach, attachments, mentioned


@pytest.mark.parametrize(("text", "paths"), [
    ("look at @src/app.py", ["src/app.py"]),
    ("@a.py and @b.py, then @a.py again", ["a.py", "b.py,"]),  # each once; punctuation is dropped when resolving
    ('open @"notes/a b.txt" please', ["notes/a b.txt"]),
    ("mail me@example.com or @@twice", []),  # inside a word, or a second @
    ("(see @x.md)", ["x.md)"]),
    ("path/@not_a_mention and a\\@b", []),
])
def test_what_is_a_mention(text: str, paths: list[str]) -> None:
    assert mentioned(text) == paths


def test_trailing_punctuation_is_not_part_of_the_path(workspace: Path) -> None:
    (workspace / "x.md").write_text("x\n")
    found = attachments("(see @x.md). Or @x.md, @x.md!", workspace)
    assert [a.path for a in found] == ["x.md"]


def test_a_mention_of_nothing_is_left_as_text(workspace: Path) -> None:
    assert attach("decorator", workspace) is None
    assert attachments("use @property here", workspace) == []


def test_escapes_and_special_files_are_refused(workspace: Path, tmp_path: Path) -> None:
    (tmp_path / "outside.txt").write_text("secret\n")
    up = attach("../outside.txt", workspace)
    assert up is not None and not up.attached and "escapes the workspace" in up.note
    home = attach("~", workspace)  # the home folder exists, and is not the workspace
    assert home is not None and not home.attached and "outside the workspace" in home.note
    os.mkfifo(workspace / "pipe")
    fifo = attach("pipe", workspace)
    assert fifo is not None and not fifo.attached and "FIFO" in fifo.note


def test_the_workspace_itself_lists_its_top(workspace: Path) -> None:
    (workspace / "a.py").write_text("a\n")
    top = attach(".", workspace)
    assert top is not None and top.path == "./" and top.message is not None
    assert '<folder path="./" entries="1">\na.py\n</folder>' in top.message["content"]


def test_an_attachment_is_its_own_budget_item_labelled_by_its_path(workspace: Path) -> None:
    (workspace / "a.py").write_text("print(1)\n")
    (found,) = attachments("explain @a.py", workspace)
    assert found.message is not None
    content = found.message["content"]
    assert content.startswith(ATTACHMENT_MARKER) and attachment_label(content) == "@a.py"
    counter = MessageCounter(len)  # one "token" per character: the formula is what is tested
    counter.update([{"role": "user", "content": "explain @a.py"}, found.message])
    task, file = counter.records
    assert (task.kind, file.kind, file.label) == ("user", MENTION, "@a.py")
    assert dict(file.parts) == {USER: 3 + len("user") + len(content)}  # counted with the user's messages


def test_a_user_message_that_merely_quotes_the_marker_is_a_task() -> None:
    assert attachment_label("[cockpit: attached nothing here") is None
    assert attachment_label(None) is None


def test_compaction_never_cuts_between_a_task_and_its_attachments(workspace: Path) -> None:
    from app.agent.budget.compaction import plan_summary

    (workspace / "a.py").write_text("a\n")
    (found,) = attachments("explain @a.py", workspace)
    assert found.message is not None
    messages = [{"role": "system", "content": "s"}, {"role": "user", "content": "first"},
                {"role": "assistant", "content": "ok"}, {"role": "user", "content": "explain @a.py"}, found.message,
                {"role": "assistant", "content": "it prints a"}]
    plan = plan_summary(messages, keep_last_turns=1, keep_last_steps=1)
    assert plan.turn_cut == 3  # the last turn starts at its task, its attachment stays with it


def test_the_transcript_line_says_an_estimate_and_an_unknown() -> None:
    from app.agent.events.mentions import FileAttached
    from app.agent.events.transcript_view import attachment_line

    assert attachment_line(FileAttached(path="a.py", tokens=30, approximate=True)) == "@a.py attached · ≈30 tok"
    assert attachment_line(FileAttached(path="a.py", tokens=1234)) == "@a.py attached · 1.2k tok"
    assert attachment_line(FileAttached(path="a.py", tokens=None, approximate=True)) == "@a.py attached · — tok"
    assert attachment_line(FileAttached(path="src/", kind="folder", tokens=9)) == "@src/ folder listing attached · 9 tok"
    assert attachment_line(FileAttached(path="x.png", attached=False)) == "@x.png not attached"
