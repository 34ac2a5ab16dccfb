"""A context-window-exceeded error: compact, retry once, never blindly."""

from __future__ import annotations

import pytest

from app.agent.budget.overflow import call_with_compaction_retry, is_context_exceeded
from app.agent.budget.pairing import pairing_problems
from app.agent.offline import load_litellm
from tests.budget.scenarios import Recorder, budget, grow, system_prompt, tool_defs


def exceeded() -> Exception:
    litellm = load_litellm()
    return litellm.ContextWindowExceededError(
        message="This model's maximum context length is 16000 tokens.", model="gpt-4o", llm_provider="openai"
    )


class Provider:
    """Fails with ``errors`` in order, then answers; remembers what it was sent."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.sent: list[list[dict]] = []

    async def __call__(self, messages: list[dict]) -> str:
        self.sent.append(messages)
        if self.errors:
            raise self.errors.pop(0)
        return "answer"


def test_context_errors_are_recognised() -> None:
    assert is_context_exceeded(exceeded())
    assert is_context_exceeded(RuntimeError("Error code: 400 - prompt is too long: 210000 tokens > 200000 maximum"))
    assert is_context_exceeded(ValueError("This model's maximum context length is 128000 tokens."))
    assert not is_context_exceeded(RuntimeError("rate limit reached, retry after 2s"))


async def test_context_exceeded_triggers_compaction_and_exactly_one_retry() -> None:
    b = budget(window=128_000)  # our estimate thinks it fits: the provider knows better
    messages = grow(system_prompt(), 6, 0, 4_000)
    provider = Provider(exceeded())
    recorder = Recorder()
    result, used = await call_with_compaction_retry(
        provider, messages, tool_defs(), budget=b, emit=recorder, summarize=None
    )
    assert result == "answer" and len(provider.sent) == 2
    assert provider.sent[0] is messages and provider.sent[1] is used
    assert not pairing_problems(used) and used[:2] == messages[:2]
    steps = recorder.of_type("compaction_performed")
    assert steps and {e.reason for e in steps} == {"context_exceeded"}
    assert steps[-1].tokens_after < steps[0].tokens_before


async def test_a_second_context_error_is_not_retried_again() -> None:
    b = budget(window=128_000)
    provider = Provider(exceeded(), exceeded())
    with pytest.raises(Exception, match="maximum context length"):
        await call_with_compaction_retry(
            provider, grow(system_prompt(), 6, 0, 4_000), [], budget=b, emit=Recorder(), summarize=None
        )
    assert len(provider.sent) == 2


async def test_nothing_to_compact_means_no_retry() -> None:
    b = budget(window=128_000)
    provider = Provider(exceeded())
    recorder = Recorder()
    with pytest.raises(Exception, match="maximum context length"):
        await call_with_compaction_retry(provider, system_prompt(), [], budget=b, emit=recorder, summarize=None)
    assert len(provider.sent) == 1 and recorder.of_type("compaction_performed") == []


async def test_other_errors_pass_through_untouched() -> None:
    b = budget(window=128_000)
    provider = Provider(RuntimeError("rate limit reached"))
    recorder = Recorder()
    with pytest.raises(RuntimeError, match="rate limit"):
        await call_with_compaction_retry(provider, grow(system_prompt(), 3, 0, 4_000), [], budget=b, emit=recorder, summarize=None)
    assert len(provider.sent) == 1 and recorder.events == []


async def test_success_needs_no_measurement() -> None:
    provider = Provider()
    messages = system_prompt()
    recorder = Recorder()
    assert await call_with_compaction_retry(provider, messages, [], budget=budget(), emit=recorder, summarize=None) == (
        "answer",
        messages,
    )
    assert recorder.events == []
