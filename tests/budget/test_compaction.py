"""The compaction ladder: when each rung fires, what it keeps, and that pairs stay valid."""

from __future__ import annotations

import copy
import random

import pytest
import sqlite_utils

from app.agent.budget.compaction import NOTE_PREFIX, PLACEHOLDER_PREFIX, plan_summary
from app.agent.budget.counter import SUMMARY_MARKER
from app.agent.budget.pairing import pairing_problems
from storage.budget import MIGRATIONS, PROJECTIONS, compactions
from tests.budget.scenarios import Recorder, budget, code, grow, step, system_prompt, tool_defs


def steps_of(recorder: Recorder) -> list[str]:
    return [e.step for e in recorder.of_type("compaction_performed")]


async def test_below_the_threshold_nothing_changes() -> None:
    b = budget(window=32_000)
    recorder = Recorder()
    messages = grow(system_prompt(), 2, 0, 2_000)
    assert await b.prepare(messages, tool_defs(), emit=recorder, summarize=None) is None
    assert [e.type for e in recorder.events] == ["context_measured"]
    assert b.last_snapshot is not None and b.last_snapshot.local_total == recorder.events[0].local_total
    assert recorder.events[0].level == "calm"


async def test_the_ladder_starts_exactly_at_the_compact_threshold_and_warns_at_the_warn_threshold() -> None:
    b = budget(window=24_000, tool_result_cap_chars=50_000)
    tools = tool_defs()
    messages = system_prompt()
    for index in range(40):
        messages = grow(messages, 1, index, 1_500)
        recorder = Recorder()
        compacted = await b.prepare(messages, tools, emit=recorder, summarize=None)
        measured = recorder.events[0]
        expected_level = "critical" if measured.used >= measured.compact_at else (
            "warning" if measured.used >= measured.warn_at else "calm"
        )
        assert measured.level == expected_level
        assert measured.warn_at == int(measured.usable * 0.6) and measured.compact_at == int(measured.usable * 0.8)
        if measured.used < measured.compact_at:
            assert compacted is None and steps_of(recorder) == []
            continue
        assert compacted is not None and steps_of(recorder) == ["placeholder_old_results"]
        after = recorder.events[-1]
        assert after.type == "context_measured" and after.used < after.compact_at
        return
    pytest.fail("the conversation never reached the threshold")


async def test_rung_one_caps_big_results_keeping_head_tail_and_a_way_back() -> None:
    b = budget(window=16_000, tool_result_cap_chars=4_000)
    b.recall_tool = "recall_output"
    messages = grow(system_prompt(), 2, 0, 1_000)
    big = code(30_000, seed=5)
    messages += step(7, "bash", {"command": "pytest"}, big)
    recorder = Recorder()
    compacted = await b.prepare(messages, tool_defs(), emit=recorder, summarize=None)
    assert steps_of(recorder) == ["cap_results"]
    capped = compacted[-1]["content"]
    assert len(capped) <= 4_000
    assert capped.startswith(big[:1_000]) and capped.endswith(big[-500:])
    assert NOTE_PREFIX in capped and 'recall_output(tool_call_id="call_7"' in capped
    assert b.original_output("call_7") == big
    event = recorder.of_type("compaction_performed")[0]
    assert event.reason == "threshold" and event.tokens_after < event.tokens_before
    assert event.items == [
        {**event.items[0], "id": "call_7", "action": "capped", "label": "bash(pytest)", "chars_before": len(big)}
    ]
    assert messages[-1]["content"] == big  # the input list is never mutated


async def test_rung_two_replaces_all_but_the_last_results_with_placeholders() -> None:
    b = budget(window=16_000)
    messages = grow(system_prompt(), 8, 0, 3_000)
    original = copy.deepcopy(messages)
    recorder = Recorder()
    compacted = await b.prepare(messages, tool_defs(), emit=recorder, summarize=None)
    assert steps_of(recorder) == ["placeholder_old_results"]
    results = [m for m in compacted if m["role"] == "tool"]
    assert all(r["content"].startswith(PLACEHOLDER_PREFIX) for r in results[:-3])
    assert [r["content"] for r in results[-3:]] == [m["content"] for m in original if m["role"] == "tool"][-3:]
    assert "read_file(src/parser/mod_0.py)" in results[0]["content"]
    assert messages == original
    assert not pairing_problems(compacted)
    assert b.last_snapshot is not None
    assert b.last_snapshot.local_total == budget(window=16_000).measure(compacted, tool_defs()).local_total
    assert b.last_snapshot.used == recorder.events[-1].used


async def test_rung_three_summarises_old_turns_keeping_system_first_task_and_last_turns() -> None:
    b = budget(window=8_000)
    messages = system_prompt()
    for turn in range(2, 12):
        messages.append({"role": "user", "content": f"Turn {turn}: " + code(400, seed=turn)})
        messages.append({"role": "assistant", "content": f"Done with turn {turn}. " + code(600, seed=100 + turn)})
    seen: list[list[dict]] = []

    async def summarize(old: list[dict]) -> str:
        seen.append(old)
        return "Explored the parser.\nGoals: fix empty input.\nOpen items: run tests."

    recorder = Recorder()
    compacted = await b.prepare(messages, [], emit=recorder, summarize=summarize)
    assert steps_of(recorder) == ["summarize"]
    assert compacted[:2] == messages[:2]  # system prompt and first task
    assert compacted[2]["role"] == "user" and compacted[2]["content"].startswith(SUMMARY_MARKER)
    assert compacted[2]["content"].endswith("Open items: run tests.")
    assert compacted[3:] == messages[-4:]  # the last two turns, verbatim
    assert seen == [messages[2:-4]]
    event = recorder.of_type("compaction_performed")[0]
    assert event.summary_source == "model" and event.summary.startswith("Explored")
    assert len(event.items) == len(messages) - 6 and {i["action"] for i in event.items} == {"summarized"}
    assert recorder.events[-1].categories[-1]["key"] == "summaries"


async def test_a_failing_summariser_falls_back_to_a_mechanical_digest() -> None:
    b = budget(window=8_000)
    messages = system_prompt()
    for turn in range(2, 12):
        messages.append({"role": "user", "content": f"Turn {turn}: " + code(400, seed=turn)})
        messages.append({"role": "assistant", "content": code(600, seed=100 + turn)})

    async def broken(old: list[dict]) -> str:
        raise RuntimeError("summary model unavailable")

    recorder = Recorder()
    compacted = await b.prepare(messages, [], emit=recorder, summarize=broken)
    event = recorder.of_type("compaction_performed")[-1]
    assert event.step == "summarize" and event.summary_source == "fallback"
    assert "Requests:" in event.summary and "Open items:" in event.summary
    assert compacted[2]["content"].startswith(SUMMARY_MARKER)


async def test_one_long_turn_is_summarised_by_steps_keeping_the_last_ones() -> None:
    b = budget(window=8_000, keep_last_steps=2)
    messages = system_prompt()
    for index in range(12):  # one turn, many steps, each with a short result and long reasoning
        messages += step(index, "bash", {"command": f"ls {index}"}, "ok", text=code(900, seed=index))
    recorder = Recorder()
    compacted = await b.prepare(messages, [], emit=recorder, summarize=None)
    assert steps_of(recorder)[-1] == "summarize"
    assert compacted[:2] == messages[:2]
    assert compacted[3:] == messages[-4:]  # the last two steps: assistant + result each
    assert not pairing_problems(compacted)


async def test_a_rung_that_would_grow_the_prompt_is_not_applied() -> None:
    b = budget(window=8_000)
    messages = system_prompt()
    for turn in range(2, 12):
        messages.append({"role": "user", "content": f"Turn {turn}: " + code(400, seed=turn)})
        messages.append({"role": "assistant", "content": code(600, seed=100 + turn)})

    async def verbose(old: list[dict]) -> str:
        return code(40_000, seed=1)

    recorder = Recorder()
    assert await b.prepare(messages, [], emit=recorder, summarize=verbose) is None
    assert steps_of(recorder) == []


async def test_compaction_records_are_stored() -> None:
    db = sqlite_utils.Database(memory=True)
    for _name, migrate in MIGRATIONS:
        migrate(db)
    b = budget(window=16_000, tool_result_cap_chars=4_000)
    messages = grow(system_prompt(), 8, 0, 3_000) + step(50, "bash", {"command": "make"}, code(20_000, seed=50))
    recorder = Recorder()
    await b.prepare(messages, tool_defs(), emit=recorder, summarize=None)
    for event in recorder.events:
        row = {"session_id": event.session_id, "seq": event.seq, "type": event.type, "ts": event.ts, "payload": event.payload()}
        PROJECTIONS.get(event.type, lambda db, row: None)(db, row)
    stored = compactions(db, "s1")
    assert [c["step"] for c in stored] == ["cap_results", "placeholder_old_results"]
    events = recorder.of_type("compaction_performed")
    for record, event in zip(stored, events):
        assert (record["tokens_before"], record["tokens_after"]) == (event.tokens_before, event.tokens_after)
        assert record["reason"] == "threshold" and record["tokens_saved"] > 0
        assert [i["item_id"] for i in record["items"]] == [i["id"] for i in event.items]
    assert stored[0]["items"][0]["item_id"] == "call_50" and stored[0]["items"][0]["chars_before"] == 20_000


async def test_compact_now_runs_every_rung_even_below_the_threshold() -> None:
    b = budget(window=128_000)
    messages = system_prompt()
    for turn in range(2, 6):
        messages.append({"role": "user", "content": f"Turn {turn}"})
        messages += step(turn, "read_file", {"path": f"f{turn}"}, code(9_000, seed=turn))
    recorder = Recorder()
    compacted = await b.prepare(messages, [], emit=recorder, summarize=None, force=True, reason="manual")
    assert steps_of(recorder) == ["cap_results", "placeholder_old_results", "summarize"]
    assert {e.reason for e in recorder.of_type("compaction_performed")} == {"manual"}
    assert recorder.events[0].level == "calm" and not pairing_problems(compacted)


@pytest.mark.parametrize("seed", range(12))
async def test_pairs_stay_valid_and_the_head_is_kept_whatever_the_conversation(seed: int) -> None:
    rng = random.Random(seed)
    messages = system_prompt()
    call = 0
    for _turn in range(rng.randint(1, 6)):
        if len(messages) > 2:
            messages.append({"role": "user", "content": code(rng.randint(10, 800), rng.random())})
        for _step in range(rng.randint(0, 6)):
            calls = rng.randint(0, 3)
            ids = [f"c{call + i}" for i in range(calls)]
            call += calls
            messages.append(
                {
                    "role": "assistant",
                    "content": code(rng.randint(0, 600), rng.random()) or None,
                    "tool_calls": [
                        {"id": i, "type": "function", "function": {"name": "bash", "arguments": '{"command": "ls"}'}}
                        for i in ids
                    ]
                    or None,
                }
            )
            for i in ids:
                messages.append({"role": "tool", "tool_call_id": i, "content": code(rng.randint(1, 12_000), rng.random())})
    assert not pairing_problems(messages)
    b = budget(window=6_000, keep_last_turns=rng.randint(0, 2), keep_last_steps=rng.randint(0, 3))
    recorder = Recorder()
    compacted = await b.prepare(messages, [], emit=recorder, summarize=None, force=True, reason="context_exceeded")
    result = compacted if compacted is not None else messages
    assert not pairing_problems(result)
    assert result[:2] == messages[:2]
    for event in recorder.of_type("compaction_performed"):
        assert event.tokens_after < event.tokens_before


def test_plan_summary_never_cuts_inside_a_tool_block() -> None:
    messages = system_prompt() + step(0, "bash", {}, "a") + step(1, "bash", {}, "b")
    messages.append({"role": "user", "content": "next"})
    messages += step(2, "bash", {}, "c")
    plan = plan_summary(messages, keep_last_turns=1, keep_last_steps=1)
    assert plan.head_end == 2
    assert plan.turn_cut == 6 and messages[plan.turn_cut]["role"] == "user"
    assert plan.step_cut == 7 and messages[plan.step_cut]["role"] == "assistant"
    assert plan_summary(messages, keep_last_turns=5, keep_last_steps=9) == type(plan)(2, None, None)


def test_manual_drop_and_truncate_keep_pairs_and_are_recorded() -> None:
    b = budget(window=128_000)
    messages = grow(system_prompt(), 3, 0, 6_000)
    original = copy.deepcopy(messages)
    recorder = Recorder()
    dropped = b.drop_item(messages, "call_1", emit=recorder)
    assert dropped[5]["content"].startswith(PLACEHOLDER_PREFIX) and "dropped by the user" in dropped[5]["content"]
    truncated = b.truncate_item(dropped, "call_2", 1_000, emit=recorder)
    assert len(truncated[7]["content"]) <= 1_000 and truncated[7]["content"].startswith(original[7]["content"][:200])
    assert b.truncate_item(truncated, "call_2", 5_000) is truncated  # already short enough
    assert messages == original and not pairing_problems(truncated)
    events = recorder.of_type("compaction_performed")
    assert [(e.step, e.reason) for e in events] == [("drop_item", "manual"), ("truncate_item", "manual")]
    assert all(e.tokens_after < e.tokens_before for e in events)
    assert b.original_output("call_1") == original[5]["content"]
    with pytest.raises(KeyError):
        b.drop_item(messages, "nope")
