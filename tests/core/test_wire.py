"""The history as it goes over the wire: consecutive text user messages are one message."""

from __future__ import annotations

from app.agent.wire import wire_messages


def test_consecutive_text_user_messages_go_out_as_one_and_the_history_is_untouched():
    history = [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "explain @a.py"},
        {"role": "user", "content": "[cockpit: attached file] a.py"},
        {"role": "assistant", "content": "It prints."},
        {"role": "user", "content": "[cockpit: the user ran a shell command] ls"},
        {"role": "user", "content": "and now?"},
    ]
    before = [dict(m) for m in history]

    sent = wire_messages(history)

    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]
    assert sent[1]["content"] == "explain @a.py\n\n[cockpit: attached file] a.py"
    assert sent[3]["content"] == "[cockpit: the user ran a shell command] ls\n\nand now?"
    assert history == before  # each stays its own message (and budget item) in the history


def test_user_messages_with_parts_or_after_tool_results_are_left_alone():
    parts = {"role": "user", "content": [{"type": "text", "text": "look"}]}
    history = [
        {"role": "user", "content": "task"},
        parts,
        {"role": "tool", "tool_call_id": "c1", "content": "ok"},
        {"role": "user", "content": "next"},
    ]

    assert wire_messages(history) == history
