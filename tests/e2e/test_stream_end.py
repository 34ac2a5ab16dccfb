"""The end of a streamed answer over loopback HTTP: once the provider has sent its finish reason
and its usage, the rest of its stream is read without litellm's rebuild of every chunk, and the
reply is what the provider said."""

from __future__ import annotations

from app.agent.model import LiteLLMModel
from app.agent.offline import load_litellm
from tests.support.openai_server import Reply, ToolCallSpec


async def test_the_reply_is_the_providers_and_litellm_does_not_rebuild_the_stream(openai_server, monkeypatch):
    litellm = load_litellm()
    rebuilt = []
    original = litellm.stream_chunk_builder
    monkeypatch.setattr(litellm, "stream_chunk_builder", lambda *a, **k: rebuilt.append(1) or original(*a, **k))
    text = " ".join(f"word{i}" for i in range(400))
    openai_server.script([Reply(text=text), Reply(tool_calls=[ToolCallSpec("read_file", {"path": "a.py"})])])
    model = LiteLLMModel("openai/bench", api_base=openai_server.url, api_key="sk-test")
    seen: list[str] = []

    answer = await model.stream([{"role": "user", "content": "hi"}], [], seen.append)
    call = await model.stream([{"role": "user", "content": "read a.py"}], [], seen.append)

    assert (answer.text, "".join(seen), answer.finish_reason) == (text, text, "stop")
    assert answer.usage.reported and answer.usage.completion_tokens > 0
    assert [(c.name, c.arguments) for c in call.tool_calls] == [("read_file", '{"path": "a.py"}')]
    assert call.finish_reason == "tool_calls" and call.usage.reported
    assert rebuilt == []
    assert len(openai_server.chat_requests) == 2


async def test_without_usage_the_stream_ends_at_the_providers_end_too_and_usage_is_left_to_cockpit(openai_server,
                                                                                                  monkeypatch):
    litellm = load_litellm()
    rebuilt = []
    original = litellm.stream_chunk_builder
    monkeypatch.setattr(litellm, "stream_chunk_builder", lambda *a, **k: rebuilt.append(1) or original(*a, **k))
    text = " ".join(f"word{i}" for i in range(400))
    openai_server.script([Reply(text=text, send_usage=False),
                          Reply(tool_calls=[ToolCallSpec("read_file", {"path": "a.py"})], send_usage=False)])
    model = LiteLLMModel("openai/bench", api_base=openai_server.url, api_key="sk-test")
    seen: list[str] = []

    answer = await model.stream([{"role": "user", "content": "hi"}], [], seen.append)
    call = await model.stream([{"role": "user", "content": "read a.py"}], [], seen.append)

    assert (answer.text, "".join(seen), answer.finish_reason) == (text, text, "stop")
    assert answer.usage_missing and not answer.usage.reported  # the caller puts Cockpit's estimate in
    assert [(c.name, c.arguments) for c in call.tool_calls] == [("read_file", '{"path": "a.py"}')]
    assert call.finish_reason == "tool_calls" and call.usage_missing
    assert rebuilt == []


async def test_litellm_keeps_only_the_chunks_read_later_while_a_long_answer_streams(openai_server, monkeypatch):
    import app.agent.model as model_module

    held: list[int] = []

    class Watched(model_module._RawStream):
        def __init__(self, response, tail=None):
            held.append(len(response.chunks))  # litellm's list, when the answer is read
            super().__init__(response, tail)

    monkeypatch.setattr(model_module, "_RawStream", Watched)
    text = " ".join(f"word{i}" for i in range(2_000))
    openai_server.script([Reply(text=text, usage={"prompt_tokens": 7})])
    model = LiteLLMModel("openai/bench", api_base=openai_server.url, api_key="sk-test")

    fragments: list[str] = []
    answer = await model.stream([{"role": "user", "content": "hi"}], [], fragments.append)

    assert (answer.text, answer.finish_reason, answer.usage.prompt_tokens) == (text, "stop", 7)
    assert answer.usage.reported and answer.usage.completion_tokens > 0
    assert len(fragments) > 1_000 and held and held[0] <= 300  # a few hundred chunks at most, not one a fragment
