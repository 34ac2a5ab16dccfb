"""Through a real HTTP round trip: litellm → the loopback OpenAI server, which counts for itself.

The server reports ``prompt_tokens`` with tiktoken o200k_base plus hidden tokens
of its own, and does not count tool definitions at all; after calibration the
budget's prediction must be within 2% of what it reports (the loop's end-to-end
test repeats this through the whole agent after integration).
"""

from __future__ import annotations

from app.agent.model import LiteLLMModel
from tests.budget.scenarios import Recorder, budget, code, system_prompt, tool_defs
from tests.support.openai_server import OpenAIServer, Reply, ToolCallSpec


async def test_calibrated_estimate_is_within_two_percent_of_the_server(openai_server: OpenAIServer) -> None:
    openai_server.hidden_prompt_overhead = 57
    calls = 6
    openai_server.script(
        [Reply(text="Reading.", tool_calls=[ToolCallSpec("read_file", {"path": f"m{i}.py"}, id=f"c{i}")]) for i in range(calls)]
    )
    model = LiteLLMModel("openai/gpt-4o", api_base=openai_server.url, api_key="sk-test")
    b = budget(window=128_000)
    tools = tool_defs()
    recorder = Recorder()
    messages = system_prompt()
    errors = []
    for i in range(calls):
        snapshot = b.measure(messages, tools)
        reply = await model.stream(messages, tools, lambda _text: None)
        provider = reply.usage.prompt_tokens
        assert reply.usage.reported and provider > 0
        errors.append(abs(snapshot.calibrated_total - provider) / provider)
        b.record_usage(model.name, snapshot.estimated_prompt_tokens, provider, reply.usage.cached_tokens, emit=recorder)
        messages = messages + [reply.as_message(), {"role": "tool", "tool_call_id": f"c{i}", "content": code(1_500 * (i + 1), i)}]
    stored = recorder.of_type("calibration_updated")
    assert [len(r.body["messages"]) for r in openai_server.chat_requests] == [2 + 2 * i for i in range(calls)]
    assert errors[0] > 0.02  # uncalibrated: the server counts no tool definitions and adds its own tokens
    assert all(error < 0.02 for error in errors[1:])  # calibrated from the first call on
    assert stored[-1].n == calls and abs(stored[-1].predicted - stored[-1].provider) / stored[-1].provider < 0.02
