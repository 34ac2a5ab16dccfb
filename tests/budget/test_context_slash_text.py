"""``/context``'s text says a negative unattributed count as the pane does, not as a negative share."""

from __future__ import annotations

from app.tui.slash.info import context_text
from tests.budget.scenarios import state_from
from tests.budget.test_pane_numbers import calibrated_session
from widgets.context_budget import tokens_text


async def test_context_says_the_local_count_is_above_the_providers() -> None:
    state = state_from((await calibrated_session(0.85, 50))[0].events)
    gap = -state.unattributed
    assert gap > 0
    text = context_text(state)
    (line,) = [line for line in text.splitlines() if line.strip().startswith("unattributed")]
    assert line.split(None, 1)[1].strip() == f"local count is {tokens_text(gap)} above the provider's"
    assert f"-{tokens_text(gap)}" not in text and "-" not in line


async def test_context_keeps_a_positive_unattributed_count_as_a_share() -> None:
    state = state_from((await calibrated_session(1.2, 300))[0].events)
    assert state.unattributed > 0
    (line,) = [line for line in context_text(state).splitlines() if line.strip().startswith("unattributed")]
    assert line.split()[1:] == [tokens_text(state.unattributed), line.split()[-1]] and line.endswith("%")
