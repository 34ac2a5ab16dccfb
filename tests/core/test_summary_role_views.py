"""A compaction summary is a model call, but not a step of the task nor a measure of the conversation."""

from __future__ import annotations

from app.agent.events.budget_view import BudgetState
from app.agent.events.core import ModelCallFinished, ModelCallStarted
from widgets.session_stats import SessionStats
from widgets.tool_format import STATUS_LABELS


def test_a_summary_call_is_not_a_step():
    stats = SessionStats()
    stats.apply(ModelCallStarted(call_id="a", attempt=1, role="main"), 0.0)
    stats.apply(ModelCallStarted(call_id="s", attempt=1, role="summary"), 0.0)
    stats.apply(ModelCallFinished(call_id="s", role="summary", usage={"prompt_tokens": 900, "completion_tokens": 50}), 0.0)
    assert stats.steps == 1
    assert stats.tokens_in == 900  # its tokens still count


def test_a_summary_prompt_is_not_the_conversations_size():
    state = BudgetState()
    state.apply(ModelCallFinished(call_id="a", turn=1, usage={"prompt_tokens": 5000}))
    state.apply(ModelCallFinished(call_id="s", turn=1, role="summary", usage={"prompt_tokens": 40000}))
    assert state.provider_prompt_tokens == 5000
    assert state.series() == [5000]


def test_an_unknown_outcome_has_a_label():
    assert STATUS_LABELS["unknown"][1] == "outcome unknown"
