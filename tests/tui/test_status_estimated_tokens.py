"""The status bar's token totals and context meter say when a count is an estimate (≈), not the provider's:
a provider that sent no usage (Cockpit counted it) marks the session's in / out from then on."""

from __future__ import annotations

from app.agent.events import core as ev
from widgets.session_stats import SessionStats
from widgets.status_bar import context_forms


def _finished(call: str, source: str, prompt: int, completion: int) -> ev.ModelCallFinished:
    usage = {"prompt_tokens": prompt, "completion_tokens": completion, "source": source, "reported": source == "provider"}
    return ev.ModelCallFinished(session_id="s", call_id=call, turn=1, step=1, usage=usage)


def test_provider_counts_are_plain_and_one_estimated_call_marks_the_totals():
    stats = SessionStats()
    stats.apply(_finished("c1", "provider", 900, 80), now=0.0)
    assert (stats.tokens_in, stats.tokens_out, stats.tokens_estimated) == (900, 80, False)
    assert str(context_forms(stats.context)[0]) == "ctx 900/?"
    stats.apply(_finished("c2", "estimated", 1_000, 20), now=1.0)
    assert (stats.tokens_in, stats.tokens_out, stats.tokens_estimated) == (1_900, 100, True)


def test_an_estimated_prompt_count_is_shown_as_an_estimate_in_the_context_meter():
    stats = SessionStats()
    stats.apply(_finished("c1", "estimated", 1_500, 19), now=0.0)
    assert str(context_forms(stats.context)[0]) == "ctx ≈1.5k/?"


def test_a_call_with_no_counts_marks_nothing():
    stats = SessionStats()
    stats.apply(_finished("c1", "none", 0, 0), now=0.0)
    assert stats.tokens_estimated is False and stats.context is None
