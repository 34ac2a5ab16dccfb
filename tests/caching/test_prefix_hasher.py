"""The prefix hashed as the conversation grows: the same items as hashing it whole, for the new messages' work."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.agent.caching.prefix import PrefixHasher, prefix_items
from tests.caching.test_breakpoints_and_prefix import TOOLS, conversation, layouts_for


def test_each_call_hashes_only_the_messages_added_since_the_last():
    layouts, content = layouts_for("You are Cockpit.", "cwd: /w")
    messages = [{"role": "system", "content": content}, *conversation(3)[1:]]
    hasher = PrefixHasher(layouts)
    assert hasher.items(messages, TOOLS) == prefix_items(messages, TOOLS, layouts)
    assert hasher.hashed == len(messages)
    for n in range(5):
        messages.append({"role": "tool", "tool_call_id": f"x{n}", "content": f"more {n}"})
        assert hasher.items(messages, TOOLS) == prefix_items(messages, TOOLS, layouts)
    assert hasher.hashed == len(messages)


def test_a_compacted_list_is_hashed_again_from_its_first_new_message():
    messages = conversation(4)
    hasher = PrefixHasher()
    hasher.items(messages, TOOLS)
    compacted = [*messages[:2], {"role": "user", "content": "[summary]"}, *messages[6:]]
    assert hasher.items(compacted, TOOLS) == prefix_items(compacted, TOOLS)
    assert hasher.hashed == len(messages) + len(compacted) - 2
    changed_tools = [*TOOLS, {"type": "function", "function": {"name": "grep", "parameters": {}}}]
    assert hasher.items(compacted, changed_tools) == prefix_items(compacted, changed_tools)


# What the conversation may go through between two calls: a message appended, one replaced by a new
# dict (a tool result capped), the list cut short or rebuilt around a summary, the tools changed.
edits = st.lists(st.tuples(st.sampled_from(["append", "replace", "cut", "summarise", "tools"]),
                           st.integers(min_value=0, max_value=30)), max_size=25)


@settings(max_examples=60, deadline=None)
@given(edits)
def test_whatever_happens_to_the_list_the_items_are_those_of_hashing_it_whole(steps):
    layouts, content = layouts_for("You are Cockpit.", "cwd: /w")
    messages = [{"role": "system", "content": content}, *conversation(2)[1:]]
    tools = list(TOOLS)
    hasher = PrefixHasher(layouts)
    for action, n in steps:
        if action == "append":
            messages = [*messages, {"role": "user", "content": f"u{n}"}]
        elif action == "replace" and len(messages) > 1:
            index = 1 + n % (len(messages) - 1)
            messages = [*messages[:index], {**messages[index], "content": f"capped {n}"}, *messages[index + 1:]]
        elif action == "cut":
            messages = messages[:max(1, len(messages) - n % 4)]
        elif action == "summarise" and len(messages) > 3:
            messages = [messages[0], {"role": "user", "content": f"summary {n}"}, *messages[3:]]
        elif action == "tools":
            tools = [*TOOLS, {"type": "function", "function": {"name": f"t{n}", "parameters": {}}}]
        assert hasher.items(messages, tools) == prefix_items(messages, tools, layouts)
