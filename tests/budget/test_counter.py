"""Counting: categories, the formula, incrementality, positions."""

from __future__ import annotations

import random

from app.agent.budget.counter import TOOLS_FRAMING, MessageCounter
from app.agent.budget.snapshot import CONVERSATION, FIXED, UNATTRIBUTED
from app.agent.budget.tokenizer import tokenizer_for
from tests.budget.scenarios import budget, code, grow, step, system_prompt, tool_defs
from tests.support.openai_server import count_prompt_tokens


def conversation() -> list[dict]:
    messages = system_prompt()
    messages.insert(1, {"role": "system", "content": "Environment: Linux, Python 3.11, workspace /repo."})
    messages = grow(messages, 3, 0, 3_000)
    messages.append({"role": "assistant", "content": "The bug is in mod_1. Shall I fix it?"})
    messages.append({"role": "user", "content": "Yes, fix it.", "name": "dev"})
    messages += step(9, "edit_file", {"path": "mod_1.py", "old": "a", "new": "b"}, "edited", text="Fixing now.")
    messages.append({"role": "user", "content": [{"type": "text", "text": "and "}, {"type": "text", "text": "test it"}]})
    return messages


def test_categories_sum_to_the_local_total() -> None:
    b = budget(window=128_000)
    snapshot = b.measure(conversation(), tool_defs())
    categories = snapshot.categories()
    assert sum(c["local_tokens"] for c in categories) == snapshot.local_total
    assert sum(c["tokens"] for c in categories) == snapshot.calibrated_total
    keys = {c["key"] for c in categories}
    assert {"system", "preamble", "tools", "user", "assistant", "tool_calls", "tool_results"} <= keys
    assert UNATTRIBUTED not in keys  # uncalibrated: nothing unattributed to show
    assert snapshot.fixed + snapshot.used == snapshot.calibrated_total
    assert snapshot.usable == snapshot.advertised - snapshot.fixed - snapshot.reserve - snapshot.buffer
    assert snapshot.free == snapshot.usable - snapshot.used


def test_the_estimate_is_the_loopback_servers_openai_formula() -> None:
    """Without tools, the estimate equals what the test server (and OpenAI's formula) counts."""
    b = budget(window=128_000)
    messages = conversation()
    assert b.measure(messages, []).local_total == count_prompt_tokens(messages)


def test_tool_definitions_are_counted_per_tool() -> None:
    b = budget(window=128_000)
    tools = tool_defs()
    snapshot = b.measure(system_prompt(), tools)
    per_tool = dict(snapshot.tools)
    assert list(per_tool) == ["read_file", "bash", "edit_file"]
    assert per_tool["edit_file"] > per_tool["bash"] > 0
    assert snapshot.local["tools"] == sum(per_tool.values()) + TOOLS_FRAMING
    assert [t["name"] for t in snapshot.to_event().tools] == ["read_file", "bash", "edit_file"]


def test_incremental_and_full_recount_agree_exactly_through_edits() -> None:
    rng = random.Random(7)
    incremental = budget(window=128_000)
    tools = tool_defs()
    messages = system_prompt()
    for round_ in range(60):
        action = rng.choice(["append", "append", "append", "replace", "truncate", "rebuild", "tools"])
        if action == "append" or len(messages) < 4:
            messages = messages + step(round_, "read_file", {"path": f"f{round_}"}, code(rng.randint(10, 3_000), round_))
        elif action == "replace":
            index = rng.randrange(len(messages))
            messages = list(messages)
            messages[index] = {**messages[index], "content": code(rng.randint(5, 500), 1_000 + round_)}
        elif action == "truncate":
            messages = messages[: rng.randrange(2, len(messages))]
        elif action == "rebuild":  # equal content in new dicts, as after a resume
            messages = [dict(m) for m in messages]
        else:
            tools = tools[:-1] if len(tools) > 1 else tool_defs()
        live = incremental.measure(messages, tools)
        fresh = budget(window=128_000).measure(messages, tools)
        assert live.local == fresh.local
        assert live.local_total == fresh.local_total
        assert [r.tokens for r in live.records] == [r.tokens for r in fresh.records]


def test_adding_a_message_encodes_only_that_message() -> None:
    b = budget(window=128_000)
    messages = grow(system_prompt(), 5, 0, 4_000)
    b.measure(messages, tool_defs())
    before = b.counter.encoded_chars
    result = code(6_000, seed=99)
    b.measure(messages + [{"role": "tool", "tool_call_id": "call_4", "content": result}], tool_defs())
    assert b.counter.encoded_chars - before == len(result)  # the role "tool" is cached already


def test_same_texts_in_new_dicts_cost_no_encoding() -> None:
    b = budget(window=128_000)
    messages = grow(system_prompt(), 4, 0, 2_000)
    b.measure(messages, tool_defs())
    before = b.counter.encoded_chars
    b.measure([dict(m) for m in messages], [dict(t) for t in tool_defs()])
    assert b.counter.encoded_chars == before


def test_a_message_changed_in_place_is_recounted() -> None:
    b = budget(window=128_000)
    messages = grow(system_prompt(), 2, 0, 2_000)
    first = b.measure(messages, []).local_total
    messages[-1]["content"] = "short"  # mutation of the same dict is still noticed
    assert b.measure(messages, []).local_total < first
    assert b.measure(messages, []).local_total == budget(window=128_000).measure(messages, []).local_total


def test_items_are_labelled_and_positioned_in_thirds() -> None:
    b = budget(window=128_000)
    messages = grow(system_prompt(), 6, 0, 3_000)
    snapshot = b.measure(messages, [])
    items = snapshot.positioned
    assert items[0] == {**items[0], "id": "m0", "kind": "system", "label": "system prompt", "position": "start"}
    results = [i for i in items if i["kind"] == "tool_result"]
    assert [r["id"] for r in results] == [f"call_{i}" for i in range(6)]
    assert results[0]["label"] == "read_file(src/parser/mod_0.py)"
    assert [r["position"] for r in results] == ["start", "start", "middle", "middle", "end", "end"]
    assert snapshot.middle_tokens == sum(i["tokens"] for i in items if i["position"] == "middle")
    top = snapshot.top_items(3)
    assert len(top) == 3 and all(t["kind"] == "tool_result" for t in top)
    assert top[0]["tokens"] >= top[1]["tokens"] >= top[2]["tokens"]
    assert abs(sum(i["share"] for i in items) - 1) < 0.01


def test_summaries_and_preamble_have_their_own_categories() -> None:
    from app.agent.budget.summary import summary_message

    b = budget(window=128_000)
    messages = [
        {"role": "system", "content": "You are Cockpit."},
        {"role": "system", "content": "Safety: never run rm -rf."},
        {"role": "user", "content": "task"},
        summary_message("We read three files.", 12),
    ]
    snapshot = b.measure(messages, [])
    assert snapshot.local["preamble"] > 0 and snapshot.local["summaries"] > 0
    assert [i["kind"] for i in snapshot.positioned] == ["system", "preamble", "user", "summary"]
    assert set(FIXED) | set(CONVERSATION) == set(snapshot.local)


def test_counter_works_with_any_tokenizer() -> None:
    for model in ("anthropic/claude-sonnet-4-5", "ollama/llama3"):
        counter = MessageCounter(tokenizer_for(model).count)
        counter.update(system_prompt())
        assert counter.messages_total > 10


def test_tool_definitions_rebuilt_each_call_are_not_recounted_but_changes_are() -> None:
    import copy

    b = budget(window=128_000)
    tools = tool_defs()
    first = b.measure(system_prompt(), tools).local["tools"]
    before = b.counter.encoded_chars
    assert b.measure(system_prompt(), copy.deepcopy(tools)).local["tools"] == first
    assert b.counter.encoded_chars == before
    tools[0]["function"]["description"] += " Also reads binary files as hex."  # changed in place
    assert b.measure(system_prompt(), tools).local["tools"] > first
