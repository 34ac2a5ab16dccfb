"""A chat span's cache attributes are the provider's counts: a reported 0 is sent as 0, a count the
provider sent no field for (llama.cpp's server) is left out, never sent as 0."""

from __future__ import annotations

from app.agent.events import core as ev
from tests.telemetry.test_spans import spans_of

READ, WRITE = "gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_creation.input_tokens"


def _span(usage: dict) -> dict:
    spans = spans_of([ev.SessionStarted(model="openai/m"), ev.TurnStarted(turn=1, user_text="go"),
                      ev.ModelCallStarted(call_id="c1", model="openai/m"),
                      ev.ModelCallFinished(call_id="c1", model="openai/m", finish_reason="stop",
                                           usage={"prompt_tokens": 900, "completion_tokens": 5, "source": "provider",
                                                  **usage}),
                      ev.TurnFinished(turn=1), ev.SessionFinished()])
    return dict(spans["chat openai/m#1"].attributes)


def test_cache_counts_not_reported_are_left_out_of_the_span():
    attributes = _span({"cached_tokens": None, "cache_write_tokens": None})
    assert attributes["gen_ai.usage.input_tokens"] == 900
    assert READ not in attributes and WRITE not in attributes


def test_reported_cache_counts_are_sent_a_zero_included():
    attributes = _span({"cached_tokens": 0, "cache_write_tokens": 640})
    assert (attributes[READ], attributes[WRITE]) == (0, 640)
    assert WRITE not in _span({"cached_tokens": 512})  # reads reported, writes not (OpenAI): only the reads
