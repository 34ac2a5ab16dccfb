"""The instructions_loaded event as one transcript line (the one fold: live, resume and replay)."""

from __future__ import annotations

from app.agent.events.core import InstructionsLoaded, MessagesReplaced, event_from_dict
from app.agent.events.transcript_view import NOTICE, TranscriptFold


def fold(*events):
    return [e for e in TranscriptFold.of(event_from_dict(e.to_dict()) for e in events).entries]


def test_start_lists_each_file_with_its_tokens_and_the_total() -> None:
    event = InstructionsLoaded(files=[
        {"label": "AGENTS.md", "tokens": 1_234, "imported_by": ""},
        {"label": "docs/style.md", "tokens": 300, "imported_by": "AGENTS.md", "truncated": True},
    ], tokens=1_534)
    (entry,) = fold(event)
    assert entry.kind == NOTICE and entry.level == "info" and entry.detail == ""
    assert entry.text == "Instructions: AGENTS.md 1.2k tok, docs/style.md 300 tok (imported) (cut) · 1.5k tok on every call"


def test_an_estimate_says_so_and_unknown_tokens_are_a_dash() -> None:
    (estimated,) = fold(InstructionsLoaded(files=[{"label": "AGENTS.md", "tokens": 40}], tokens=40, approximate=True))
    assert estimated.text == "Instructions: AGENTS.md ≈40 tok · ≈40 tok on every call"
    (unknown,) = fold(InstructionsLoaded(files=[{"label": "AGENTS.md", "tokens": None}], tokens=None))
    assert unknown.text == "Instructions: AGENTS.md — tok · — tok on every call"


def test_a_reload_says_what_changed_and_its_rewrite_is_no_compaction() -> None:
    reload = InstructionsLoaded(reason="reload", files=[], tokens=90, notes=["@x.md in AGENTS.md: no such file"],
                                changes=[{"label": "AGENTS.md", "change": "changed"},
                                         {"label": "CLAUDE.md", "change": "removed"}])
    entries = fold(reload, MessagesReplaced(messages=[], reason="instructions reload", compaction=False))
    (entry,) = entries
    assert entry.text == "Instructions reloaded: AGENTS.md changed, CLAUDE.md removed · 90 tok on every call"
    assert entry.level == "warning" and entry.detail == "@x.md in AGENTS.md: no such file"
    (compacted,) = fold(MessagesReplaced(messages=[], reason="threshold"))
    assert compacted.text == "The conversation was compacted (threshold)."
