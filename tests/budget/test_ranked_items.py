"""The largest items and the middle third, found from the counter's ranking and each message's place: the
same as going through every item of the conversation, whatever happened to it between measurements."""

from __future__ import annotations

import heapq

from hypothesis import given, settings
from hypothesis import strategies as st

from app.agent.budget.counter import SYSTEM, SubItem
from app.agent.budget.snapshot import BudgetSnapshot
from tests.budget.scenarios import budget, step, system_prompt, tool_defs
from tests.caching.test_breakpoints_and_prefix import layouts_for


def every_item(snapshot: BudgetSnapshot) -> list[dict]:
    """Each item with its position, message by message, as the Context pane defines them."""
    prompt = max(1, snapshot.local_total)
    messages = max(1, sum(record.tokens for record in snapshot.records))
    cursor, items = 0, []
    for record in snapshot.records:
        middle = cursor + record.tokens / 2
        cursor += record.tokens
        fraction = middle / messages
        position = "start" if record.kind == SYSTEM or fraction < 1 / 3 else "middle" if fraction < 2 / 3 else "end"
        for part in record.items or (SubItem(record.item_id, record.kind, record.label, record.tokens),):
            items.append({"id": part.item_id, "kind": part.kind, "label": part.label, "tokens": part.tokens,
                          "share": round(part.tokens / prompt, 4), "position": position})
    return items + snapshot.tool_items()


def agrees(snapshot: BudgetSnapshot) -> None:
    items = every_item(snapshot)
    assert snapshot.positioned == items
    for n in (1, 3, 8, 50):
        assert snapshot.top_items(n) == heapq.nlargest(n, items, key=lambda item: item["tokens"])
    assert snapshot.middle_tokens == sum(item["tokens"] for item in items if item["position"] == "middle")


def test_a_growing_conversation_keeps_its_largest_items_and_its_middle_third():
    b = budget(window=1_000_000)
    messages = system_prompt()
    for n in range(40):
        messages += step(n, "read_file", {"path": f"m{n}.py"}, "x = 1\n" * (n * 7 % 23 + 1))
        agrees(b.measure(messages, tool_defs()))


def test_a_huge_system_prompt_in_the_middle_third_is_still_at_the_start():
    b = budget(window=1_000_000)
    messages = [{"role": "system", "content": "rules " * 3_000}, {"role": "user", "content": "go"},
                *step(0, "read_file", {"path": "a.py"}, "x = 1\n" * 400)]
    snapshot = b.measure(messages, [])
    assert snapshot.positioned[0]["position"] == "start" and snapshot.records[0].before == 0
    agrees(snapshot)


edits = st.lists(st.tuples(st.sampled_from(["step", "replace", "cut", "summarise", "system"]),
                           st.integers(min_value=0, max_value=40)), min_size=1, max_size=20)


@settings(max_examples=40, deadline=None)
@given(edits)
def test_whatever_happens_to_the_conversation_the_items_are_those_of_going_through_it(actions):
    layouts, content = layouts_for("You are Cockpit.", "cwd: /w " * 30)
    b = budget(window=1_000_000)
    b.layouts = layouts
    messages = [{"role": "system", "content": content}, {"role": "user", "content": "go"}]
    for action, n in actions:
        if action == "step":
            messages = [*messages, *step(n, "read_file", {"path": f"m{n}.py"}, "y = 2\n" * (n % 9 + 1))]
        elif action == "replace" and len(messages) > 2:
            index = 1 + n % (len(messages) - 1)
            messages = [*messages[:index], {**messages[index], "content": "z" * n}, *messages[index + 1:]]
        elif action == "cut":
            messages = messages[:max(1, len(messages) - n % 5)]
        elif action == "summarise" and len(messages) > 4:
            messages = [messages[0], {"role": "user", "content": "summary " * n}, *messages[4:]]
        elif action == "system":
            messages = [{"role": "system", "content": "other " * n}, *messages[1:]]
        agrees(b.measure(messages, tool_defs()))
