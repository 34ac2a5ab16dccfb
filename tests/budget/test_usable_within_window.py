"""Usable room is never more than the window: a calibration below the local count does not widen it."""

from __future__ import annotations

from tests.budget.scenarios import MODEL, budget, grow, system_prompt, tool_defs


def test_a_calibration_below_the_local_count_leaves_usable_within_the_window() -> None:
    b = budget(window=32_768)
    # a provider that counts about a sixth of the local estimate (the scripted model counts no tool definitions)
    b.seed_calibration(MODEL, [(2_249, 357), (2_268, 372), (2_284, 385)])
    measured = b.measure(grow(system_prompt(), 30, 0, 3_000), tool_defs())
    assert measured.unattributed < 0 and measured.fixed < 0  # the calibration is applied, and it is below
    assert measured.usable == measured.advertised - measured.reserve - measured.buffer
    assert measured.compact_at <= measured.usable <= measured.advertised
    event = measured.to_event(turn=1)
    assert event.usable <= event.advertised - event.reserve - event.buffer
