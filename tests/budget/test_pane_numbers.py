"""The Context budget adds up: one basis, shares that sum to 100, stable counts, honest labels."""

from __future__ import annotations

from typing import Any

from textual.widgets import OptionList, Static

from app.agent.budget.budget import ContextBudget
from app.agent.events.budget import ContextMeasured
from app.agent.events.budget_view import BudgetState, apportion
from tests.budget.pane_app import PaneApp
from tests.budget.scenarios import (
    MODEL,
    Recorder,
    after_compaction_session,
    budget,
    code,
    empty_session,
    grow,
    near_threshold_session,
    state_from,
    system_prompt,
    tool_defs,
)
from widgets.context_budget import ContextBudgetPane, tokens_text
from widgets.context_budget_help import TERMS, ContextBudgetHelp

SIZE = (40, 60)
FIXED_KEYS = ("system", "preamble", "tools", "unattributed")


def text_of(app: PaneApp, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


async def calibrated_session(scale: float, overhead: int, turns: int = 4) -> tuple[Recorder, ContextBudget, list[Any]]:
    """Turns whose provider counts ``scale × local + overhead``: calibration moves after every call."""
    recorder = empty_session()
    b = budget(window=64_000)
    tools = tool_defs()
    messages = system_prompt()
    for turn in range(1, turns + 1):
        messages = grow(messages, 2, 2 * turn, 1_500 * turn)
        await b.prepare(messages, tools, emit=recorder, summarize=None, turn=turn)
        estimate = b.measure(messages, tools).estimated_prompt_tokens
        b.record_usage(MODEL, estimate, round(scale * estimate + overhead), emit=recorder, call_id=f"c{turn}")
    return recorder, b, messages


def measurements(recorder: Recorder) -> list[ContextMeasured]:
    return recorder.of_type("context_measured")


def assert_adds_up(state: BudgetState) -> None:
    m = state.measured
    legend = state.legend()
    assert sum(entry.pct for entry in legend.entries) == 100
    assert sum(entry.tokens for entry in legend.entries) == legend.basis
    assert sum(e.tokens for e in legend.entries if e.key in FIXED_KEYS) == m.fixed  # the headline's fixed
    assert m.fixed + m.used == m.calibrated_total


# --- the engine and the reducer ---------------------------------------------------------------


def test_apportion_sums_exactly_even_with_a_negative_share() -> None:
    assert apportion([1, 1, 1], 100) == [34, 33, 33]
    assert sum(apportion([95, 135, 121, 67, 3, 136, 7_000, 2_300, 2_048, 4_096], 100)) == 100
    shares = apportion([-121, 500, 15_621], 100)
    assert sum(shares) == 100 and shares[0] == -1
    assert apportion([0, 0], 100) == [0, 0]


async def test_the_legend_sums_to_100_percent_in_every_state() -> None:
    near = state_from((await near_threshold_session())[0].events)
    after = state_from((await after_compaction_session()).events)
    below = state_from((await calibrated_session(0.85, 50))[0].events)  # a negative unattributed count
    for state in (near, after, below):
        assert_adds_up(state)
    assert below.unattributed < 0


async def test_counts_of_unchanged_items_stay_stable_while_calibration_moves() -> None:
    recorder, b, messages = await calibrated_session(1.2, 300)
    measured = measurements(recorder)
    scales = {u.scale for u in recorder.of_type("calibration_updated")}
    assert len(scales) > 1  # calibration did move between the calls

    def system_tokens(m: ContextMeasured) -> int:
        return next(c["tokens"] for c in m.categories if c["key"] == "system")

    assert len({system_tokens(m) for m in measured}) == 1
    b.calibration.for_model(MODEL, exact=True).add(10_000, 14_000)  # calibration moves once more
    again = b.measure(messages, tool_defs())
    assert again.positioned[0]["tokens"] == system_tokens(measured[0])
    assert len({tuple(t["tokens"] for t in m.tools) for m in measured}) == 1
    # The calibrated figure is separate: it is the only one that follows the calibration.
    assert all(m.calibrated_total != m.local_total for m in measured[1:])


async def test_growth_per_turn_is_on_one_basis_and_positive_when_the_prompt_grew() -> None:
    recorder, _b, _messages = await calibrated_session(0.8, 900)  # the overhead shrinks as the scale settles
    state = state_from(recorder.events)
    series = state.series()
    assert series == [m.local_total for m in measurements(recorder)]
    assert all(b > a for a, b in zip(series, series[1:]))
    assert state.per_turn_basis == "local"


def test_imported_sessions_use_provider_counts_until_a_local_measurement_arrives() -> None:
    from app.agent.events.core import ModelCallFinished, TurnStarted

    state = BudgetState()
    for event in (TurnStarted(turn=1), ModelCallFinished(usage={"prompt_tokens": 900})):
        state.apply(event)
    assert (state.per_turn_basis, state.series()) == ("provider", [900])
    state.apply(TurnStarted(turn=2))
    state.apply(ContextMeasured(local_total=700))
    state.apply(ModelCallFinished(usage={"prompt_tokens": 1_000}))
    assert (state.per_turn_basis, state.series()) == ("local", [700])  # never mixed


async def test_truncate_re_measures_at_once() -> None:
    recorder, b, messages = await near_threshold_session()
    largest = max(measurements(recorder)[-1].items, key=lambda item: item["tokens"])
    before = len(recorder.events)
    b.truncate_item(messages, largest["id"], 400, emit=recorder)
    new = recorder.events[before:]
    assert [e.type for e in new] == ["compaction_performed", "context_measured"]
    assert all(i["tokens"] < largest["tokens"] / 2 for i in new[-1].items if i["id"] == largest["id"])
    assert new[-1].local_total < measurements(recorder)[-2].local_total
    assert new[-1].turn == 4  # within the turn it was measured in
    assert state_from(recorder.events).measured == new[-1]


async def test_drop_re_measures_at_once() -> None:
    recorder, b, messages = await near_threshold_session()
    first_result = next(m for m in messages if m.get("role") == "tool")["tool_call_id"]
    before = len(recorder.events)
    b.drop_item(messages, first_result, emit=recorder)
    assert [e.type for e in recorder.events[before:]] == ["compaction_performed", "context_measured"]


async def test_the_system_prompt_is_always_at_the_start() -> None:
    b = budget(window=64_000)
    big_tools = [{**t, "function": {**t["function"], "description": code(6_000, seed=i)}} for i, t in enumerate(tool_defs())]
    messages = [
        {"role": "system", "content": "You are Cockpit. " * 400},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
    ]
    snapshot = b.measure(messages, big_tools)
    assert snapshot.tools_total > snapshot.local_total / 2  # the old layout put the system prompt in the middle
    positions = {item["kind"]: item["position"] for item in snapshot.positioned}
    assert positions["system"] == "start"
    assert positions["assistant"] == "end"


async def test_the_middle_warning_needs_a_long_prompt_and_a_heavy_middle() -> None:
    def session(chars: int) -> list[dict[str, Any]]:
        messages = system_prompt()
        messages = grow(messages, 1, 0, 200)
        messages = grow(messages, 1, 1, chars)  # one large result in the middle
        messages = grow(messages, 1, 2, 200)
        return messages

    short = budget(window=200_000).measure(session(4_000), tool_defs())
    long = budget(window=200_000).measure(session(120_000), tool_defs())
    assert short.middle_share > 0.5 and short.local_total < 16_000
    assert not short.middle_warning and not short.to_event().middle_warning
    assert long.local_total >= 16_000 and long.middle_warning
    event = long.to_event()
    assert (event.middle_warn_tokens, event.middle_warn_share) == (16_000, 0.5)


# --- the pane ---------------------------------------------------------------------------------


def legend_percentages(app: PaneApp) -> list[int]:
    import re

    bar = str(app.query_one("#bar").render())
    return [int(n) for n in re.findall(r"■ [^■\n]*? (-?\d+)%", bar)]


async def test_the_pane_legend_sums_to_100_and_says_of_what() -> None:
    state = state_from((await near_threshold_session())[0].events)
    app = PaneApp(state)
    async with app.run_test(size=SIZE):
        assert sum(legend_percentages(app)) == 100
        bar = str(app.query_one("#bar").render())
        assert "% of the 16.0k window" in bar
        first = str(app.query_one("#top", OptionList).get_option_at_index(0).prompt)
        assert "% of prompt" in first
        assert "of 9.5k usable" in text_of(app, "#headline")


async def test_the_pane_shows_a_negative_unattributed_count() -> None:
    state = state_from((await calibrated_session(0.85, 50))[0].events)
    gap = -state.unattributed
    assert gap > 0
    app = PaneApp(state)
    async with app.run_test(size=SIZE):
        headline = text_of(app, "#headline")
        assert f"local count is {tokens_text(gap)} above the provider's" in " ".join(headline.split())  # phrases whole
        bar = str(app.query_one("#bar").render())
        assert f"unattributed {tokens_text(-gap)}" in bar
        assert sum(legend_percentages(app)) == 100
        # fixed is the sum of its parts, never silently smaller than them; what calibration leaves of it is said
        m = state.measured
        parts = sum(int(c["tokens"]) for c in m.categories if c["key"] in FIXED_KEYS[:-1])
        assert parts == m.fixed + gap
        assert f"fixed {tokens_text(parts)} ({tokens_text(m.fixed)} calibrated)" in " ".join(headline.split())


async def test_the_pane_shows_the_new_size_right_after_truncate() -> None:
    recorder, b, messages = await near_threshold_session()
    largest = max(measurements(recorder)[-1].items, key=lambda item: item["tokens"])
    app = PaneApp()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(ContextBudgetPane)
        for event in recorder.events:
            pane.apply(event)
        pane.flush()
        old = tokens_text(largest["tokens"])
        assert str(app.query_one("#top", OptionList).get_option_at_index(0).prompt).split("\n")[1].strip().startswith(old)
        b.truncate_item(messages, largest["id"], 400, emit=pane.apply)
        pane.flush()
        await pilot.pause()
        prompts = [str(app.query_one("#top", OptionList).get_option_at_index(i).prompt) for i in range(8)]
        assert not any(p.startswith(largest["label"]) and f"  {old} ·" in p for p in prompts)


async def test_no_middle_warning_on_a_short_prompt() -> None:
    state = state_from((await near_threshold_session())[0].events)
    assert state.measured.middle_tokens > 0 and not state.measured.middle_warning
    app = PaneApp(state)
    async with app.run_test(size=SIZE):
        assert "middle third" not in text_of(app, "#headline")


async def test_question_mark_opens_the_help_and_escape_closes_it() -> None:
    state = state_from((await near_threshold_session())[0].events)
    app = PaneApp(state)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, ContextBudgetHelp)
        body = str(app.screen.query_one("#help-body", Static).render())
        for term, _text in TERMS:
            assert f"{term}:" in body
        assert "at least 16.0k tokens" in body and "at least 50%" in body
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ContextBudgetHelp)
