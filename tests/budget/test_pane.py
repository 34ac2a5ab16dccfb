"""The Context budget pane: Pilot tests and SVG snapshots in its three states.

Every state is built by the reducer from synthetic events of a scripted session
(see ``scenarios.py``), exactly as replay would build it.
"""

from __future__ import annotations

import asyncio

from textual.widgets import OptionList, Static

from app.agent.events.budget_view import BudgetState
from tests.budget.pane_app import PaneApp
from tests.budget.scenarios import after_compaction_session, empty_session, near_threshold_session, state_from
from widgets.context_budget import ContextBudgetPane, allocate_cells, tokens_text

SIZE = (40, 56)


def text_of(app: PaneApp, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


async def near_state() -> BudgetState:
    recorder, _budget, _messages = await near_threshold_session()
    return state_from(recorder.events)


async def after_state() -> BudgetState:
    return state_from((await after_compaction_session()).events)


# --- Pilot --------------------------------------------------------------------------------------


async def test_empty_session() -> None:
    app = PaneApp(state_from(empty_session().events))
    async with app.run_test(size=SIZE):
        pane = app.query_one(ContextBudgetPane)
        assert "No measurement yet" in text_of(app, "#headline")
        assert not pane.has_class("-warning") and not pane.has_class("-critical")
        assert app.query_one("#top", OptionList).option_count == 0
        assert "No compaction yet" in text_of(app, "#compaction")


async def test_near_the_threshold_the_pane_warns_and_lists_the_largest_items() -> None:
    state = await near_state()
    app = PaneApp(state)
    async with app.run_test(size=SIZE):
        pane = app.query_one(ContextBudgetPane)
        assert pane.has_class("-warning")
        m = state.measured
        headline = text_of(app, "#headline")
        assert f"{m.used_pct:.0f}%" in headline and state.badge in headline
        assert f"{tokens_text(m.used)} used · {m.used_pct:.0f}% of {tokens_text(m.usable)} usable" in headline
        assert f"{tokens_text(m.advertised)} advertised (config)" in headline
        top = app.query_one("#top", OptionList)
        assert top.option_count == len(m.items) == 8
        first = str(top.get_option_at_index(0).prompt)
        assert first.startswith(m.items[0]["label"]) and first.endswith(m.items[0]["position"])
        assert top.get_option_at_index(0).id == m.items[0]["id"]
        assert state.growth_last > 0
        assert f"+{tokens_text(state.growth_last)} last" in text_of(app, "#growth")


async def test_right_after_compaction_the_pane_shows_what_was_done() -> None:
    state = await after_state()
    app = PaneApp(state)
    async with app.run_test(size=SIZE):
        pane = app.query_one(ContextBudgetPane)
        assert pane.has_class("-calm")
        shown = text_of(app, "#compaction")
        assert "capped results (threshold)" in shown and "old results replaced (threshold)" in shown
        before, after = state.compactions[0].tokens_before, state.compactions[-1].tokens_after
        assert tokens_text(before) in shown and tokens_text(after) in shown


async def test_actions_on_the_selected_item() -> None:
    state = await after_state()
    app = PaneApp(state)
    async with app.run_test(size=SIZE) as pilot:
        items = state.top_items()
        await pilot.press("d", "t", "o", "down", "enter")
        first, second = items[0], items[1]
        assert [(a.action, a.item_id) for a in app.actions] == [
            ("drop", first["id"]),
            ("truncate", first["id"]),
            ("open", first["id"]),
            ("open", second["id"]),
        ]
        system_row = next(i for i, item in enumerate(items) if item["kind"] == "system")
        app.query_one("#top", OptionList).highlighted = system_row
        await pilot.press("d", "c")
        assert [(a.action, a.item_id) for a in app.actions[4:]] == [("compact", "")]
        assert any("Only tool results" in n.message for n in app._notifications)


async def test_a_burst_of_updates_costs_one_redraw() -> None:
    state = await near_state()
    app = PaneApp(BudgetState())
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(ContextBudgetPane)
        pane.coalesce_seconds = 0.01
        before = pane.renders
        replay = BudgetState()
        events = (await near_threshold_session())[0].events
        assert len(events) > 10
        for event in events:  # the whole session arrives at once
            replay.apply(event)
            pane.update_state(replay)
        assert pane.renders == before  # nothing drawn yet: coalesced behind the timer
        await pilot.pause(0.2)
        assert pane.renders == before + 1
        assert f"{state.measured.used_pct:.0f}%" in text_of(app, "#headline")
        assert pane.has_class("-warning")
        assert app.query_one("#top", OptionList).option_count == len(state.top_items())


async def test_live_events_through_the_app_pane_contract() -> None:
    """``apply`` folds events into the pane's own reducer, like replay does."""
    recorder = await after_compaction_session()
    app = PaneApp()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(ContextBudgetPane)
        pane.coalesce_seconds = 0.01
        for event in recorder.events:
            pane.apply(event)
        await pilot.pause(0.2)
        assert pane.state is pane.reducer
        assert pane.state.series() == state_from(recorder.events).series()
        assert pane.state.compactions == recorder.of_type("compaction_performed")
        assert "capped results" in text_of(app, "#compaction")


def test_cells_are_allocated_in_proportion_and_fill_the_width() -> None:
    assert allocate_cells([1, 1, 2], 8) == [2, 2, 4]
    assert sum(allocate_cells([5, 300, 7_000, 90], 77)) == 77
    assert allocate_cells([0, 0], 10) == [0, 0]
    assert [tokens_text(n) for n in (950, 41_234, 128_000, 1_048_576, -2_300)] == ["950", "41.2k", "128k", "1.05M", "-2.3k"]


# --- snapshots ----------------------------------------------------------------------------------


async def _settle(pilot) -> None:
    await pilot.pause()


def test_snapshot_empty_session(snap_compare) -> None:
    assert snap_compare(PaneApp(state_from(empty_session().events)), terminal_size=SIZE, run_before=_settle)


def test_snapshot_near_the_compaction_threshold(snap_compare) -> None:
    state = asyncio.run(near_state())
    assert snap_compare(PaneApp(state), terminal_size=SIZE, run_before=_settle)


def test_snapshot_right_after_compaction(snap_compare) -> None:
    state = asyncio.run(after_state())
    assert snap_compare(PaneApp(state), terminal_size=SIZE, run_before=_settle)
