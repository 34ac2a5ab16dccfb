"""The loopback OpenAI server, checked on the wire and through litellm's real network path.

The litellm tests run on both of litellm's async transports (its default aiohttp
transport, and plain httpx as selected by ``DISABLE_AIOHTTP_TRANSPORT=True``), and
pin down which exception each fault becomes -- the resilience classifier relies
on exactly these classes and attributes.
"""

from __future__ import annotations

import asyncio
import http.client
import importlib.util
import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.support.openai_server import (
    DropStream,
    EmptyReply,
    Fault,
    Hang,
    OpenAIServer,
    Reply,
    ToolCallSpec,
    count_completion_tokens,
    count_prompt_tokens,
    encoding,
)

MESSAGES = [
    {"role": "system", "content": "You are a careful coding agent."},
    {"role": "user", "content": "Read src/app.py and tell me what it does."},
]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "read_file",
            "description": "Read a file.",
            "parameters": {
                "type": "object",
                "properties": {"path": {"type": "string"}, "start_line": {"type": "integer"}},
                "required": ["path"],
                "additionalProperties": False,
            },
        },
    }
]


# --------------------------------------------------------------------------- raw HTTP helpers


def post(server: OpenAIServer, path: str, body: Any) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    connection.request("POST", path, payload, {"Content-Type": "application/json"})
    return connection.getresponse()


def sse_events(raw: bytes) -> list[Any]:
    """Decode an SSE body into JSON events, keeping the ``[DONE]`` marker as a string."""
    events: list[Any] = []
    for block in raw.decode().split("\n\n"):
        if block.startswith("data: "):
            data = block[len("data: ") :]
            events.append(data if data == "[DONE]" else json.loads(data))
    return events


# --------------------------------------------------------------------------- the wire


def test_models_endpoint_lists_the_configured_models(openai_server: OpenAIServer) -> None:
    openai_server.models = ["test-model", "other-model"]
    connection = http.client.HTTPConnection("127.0.0.1", openai_server.port, timeout=30)
    connection.request("GET", "/v1/models")
    response = connection.getresponse()

    assert response.status == 200
    assert [m["id"] for m in json.loads(response.read())["data"]] == ["test-model", "other-model"]


def test_url_is_the_v1_base_on_loopback(openai_server: OpenAIServer) -> None:
    assert openai_server.url == f"http://127.0.0.1:{openai_server.port}/v1"


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/chat/completions"])
def test_default_reply_is_done_on_both_paths(openai_server: OpenAIServer, path: str) -> None:
    response = post(openai_server, path, {"model": "test-model", "messages": MESSAGES})

    body = json.loads(response.read())
    assert response.status == 200
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"]["content"] == "done"
    assert body["choices"][0]["finish_reason"] == "stop"


def test_unknown_path_and_missing_messages_are_client_errors(openai_server: OpenAIServer) -> None:
    assert post(openai_server, "/v1/embeddings", {"input": "x"}).status == 404
    bad = post(openai_server, "/v1/chat/completions", b"{not json")
    assert bad.status == 400
    assert json.loads(bad.read())["error"]["type"] == "invalid_request_error"


def test_steps_are_consumed_in_order_then_responder_then_default(
    openai_server: OpenAIServer,
) -> None:
    openai_server.script([Reply(text="first"), Fault.server_error(), Reply(text="third")])
    body = {"model": "test-model", "messages": MESSAGES}

    assert json.loads(post(openai_server, "/v1/chat/completions", body).read())["choices"][0][
        "message"
    ]["content"] == "first"
    assert openai_server.pending == 2
    assert post(openai_server, "/v1/chat/completions", body).status == 500
    third = json.loads(post(openai_server, "/v1/chat/completions", body).read())
    assert third["choices"][0]["message"]["content"] == "third"
    assert openai_server.pending == 0

    openai_server.responder = lambda request: Reply(text=f"{len(request['messages'])} messages")
    answer = json.loads(post(openai_server, "/v1/chat/completions", body).read())
    assert answer["choices"][0]["message"]["content"] == "2 messages"

    openai_server.responder = None
    last = json.loads(post(openai_server, "/v1/chat/completions", body).read())
    assert last["choices"][0]["message"]["content"] == "done"


def test_requests_are_recorded_with_monotonic_times_headers_and_body(
    openai_server: OpenAIServer,
) -> None:
    openai_server.script([Fault.unauthorized()])
    post(openai_server, "/v1/chat/completions", {"model": "a", "messages": MESSAGES}).read()
    post(openai_server, "/chat/completions", {"model": "b", "messages": MESSAGES}).read()

    first, second = openai_server.requests
    assert first.time <= second.time
    assert (first.method, first.path, second.path) == (
        "POST",
        "/v1/chat/completions",
        "/chat/completions",
    )
    assert first.headers["content-type"] == "application/json"
    assert first.body == {"model": "a", "messages": MESSAGES}
    assert isinstance(first.step, Fault) and first.step.status == 401
    assert second.step == Reply(text="done")
    assert openai_server.chat_requests == [first, second]


def test_stream_has_openai_chunk_shape(openai_server: OpenAIServer) -> None:
    openai_server.script(
        [Reply(text="Two words.", tool_calls=[ToolCallSpec("read_file", {"path": "a.py"})])]
    )
    response = post(
        openai_server,
        "/v1/chat/completions",
        {
            "model": "test-model",
            "messages": MESSAGES,
            "stream": True,
            "stream_options": {"include_usage": True},
        },
    )
    assert response.getheader("Content-Type").startswith("text/event-stream")
    events = sse_events(response.read())

    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    texts = [c["choices"][0]["delta"].get("content") for c in chunks[1:] if c["choices"]]
    assert [t for t in texts if t] == ["Two ", "words."]
    call_deltas = [
        c["choices"][0]["delta"]["tool_calls"][0]
        for c in chunks
        if c["choices"] and "tool_calls" in c["choices"][0]["delta"]
    ]
    head, *fragments = call_deltas
    assert head["index"] == 0 and head["id"] and head["type"] == "function"
    assert head["function"] == {"name": "read_file", "arguments": ""}
    assert len(fragments) > 1
    assert all(set(f) == {"index", "function"} for f in fragments)
    assert "".join(f["function"]["arguments"] for f in fragments) == '{"path": "a.py"}'
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    assert chunks[-1]["choices"] == []
    assert set(chunks[-1]["usage"]) == {
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "prompt_tokens_details",
    }
    assert all(c["usage"] is None for c in chunks[:-1])


def test_stream_without_include_usage_sends_no_usage_chunk(openai_server: OpenAIServer) -> None:
    response = post(
        openai_server,
        "/v1/chat/completions",
        {"model": "test-model", "messages": MESSAGES, "stream": True},
    )
    chunks = sse_events(response.read())[:-1]
    assert all(c["choices"] for c in chunks)
    assert all("usage" not in c for c in chunks)


def test_dropped_stream_leaves_the_chunked_body_incomplete(openai_server: OpenAIServer) -> None:
    openai_server.script([DropStream(after_chunks=2)])
    response = post(
        openai_server,
        "/v1/chat/completions",
        {"model": "test-model", "messages": MESSAGES, "stream": True},
    )
    with pytest.raises(http.client.IncompleteRead) as caught:
        response.read()
    assert len(sse_events(caught.value.partial)) == 2


STREAM = {"model": "test-model", "messages": MESSAGES, "stream": True, "stream_options": {"include_usage": True}}


def get(server: OpenAIServer, path: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.request("GET", path)
    return connection.getresponse()


def test_a_reply_without_usage_sends_none_even_when_asked(openai_server: OpenAIServer) -> None:
    openai_server.script([Reply(text="no counts", send_usage=False)])
    events = sse_events(post(openai_server, "/v1/chat/completions", STREAM).read())
    assert events[-1] == "[DONE]" and events[-2]["choices"][0]["finish_reason"] == "stop"
    assert all("usage" not in e for e in events[:-1])


def test_an_unchunked_drop_closes_cleanly_before_finish_reason_and_done(openai_server: OpenAIServer) -> None:
    openai_server.script([DropStream(after_chunks=3, chunked=False)])
    response = post(openai_server, "/v1/chat/completions", STREAM)
    assert response.getheader("Transfer-Encoding") is None and response.getheader("Content-Length") is None
    events = sse_events(response.read())  # no IncompleteRead: the close ends the body
    assert len(events) == 3 and all(e["choices"][0]["finish_reason"] is None for e in events)


def test_an_empty_reply_is_a_200_with_no_body(openai_server: OpenAIServer) -> None:
    openai_server.script([EmptyReply()])
    response = post(openai_server, "/v1/chat/completions", STREAM)
    assert (response.status, response.getheader("Content-Type").split(";")[0], response.read()) == (
        200, "text/event-stream", b"")


def test_reply_headers_and_proxy_faults_carry_the_proxy_headers(openai_server: OpenAIServer) -> None:
    openai_server.script([Reply(text="hi", headers={"x-litellm-attempted-retries": "1"}), Fault.proxy_rate_limited()])
    assert post(openai_server, "/v1/chat/completions", STREAM).getheader("x-litellm-attempted-retries") == "1"
    fault = post(openai_server, "/v1/chat/completions", STREAM)
    assert fault.status == 429 and fault.getheader("Retry-After") is None
    assert (fault.getheader("llm_provider-retry-after"), fault.getheader("x-litellm-attempted-retries")) == ("1", "2")


def test_a_strict_server_refuses_malformed_history_and_keeps_its_script(openai_server: OpenAIServer) -> None:
    openai_server.strict_tool_arguments = True
    openai_server.script([Reply(text="after")])
    bad = {"role": "assistant", "content": None,
           "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "read_file", "arguments": "{"}}]}
    refused = post(openai_server, "/v1/chat/completions", {"model": "test-model", "messages": [*MESSAGES, bad]})
    assert refused.status == 500 and "Failed to parse tool call arguments as JSON" in refused.read().decode()
    assert openai_server.pending == 1
    fine = {**bad, "tool_calls": [{**bad["tool_calls"][0], "function": {"name": "read_file", "arguments": "{}"}}]}
    answer = json.loads(post(openai_server, "/v1/chat/completions", {"model": "test-model", "messages": [*MESSAGES, fine]}).read())
    assert answer["choices"][0]["message"]["content"] == "after"


def test_models_metadata_and_props(openai_server: OpenAIServer) -> None:
    assert get(openai_server, "/props").status == 404  # only llama.cpp has it
    openai_server.model_metadata = {"test-model": {"max_model_len": 8192}}
    openai_server.props = {"default_generation_settings": {"n_ctx": 4096}}
    assert json.loads(get(openai_server, "/v1/models").read())["data"][0]["max_model_len"] == 8192
    assert json.loads(get(openai_server, "/props").read())["default_generation_settings"]["n_ctx"] == 4096


def test_close_releases_a_hanging_request(openai_server: OpenAIServer) -> None:
    openai_server.script([Hang(seconds=600)])
    outcome: list[BaseException | int] = []

    def client() -> None:
        try:
            outcome.append(post(openai_server, "/v1/chat/completions", {"messages": []}).status)
        except BaseException as exc:  # noqa: BLE001 - recorded for the assertion
            outcome.append(exc)

    thread = threading.Thread(target=client)
    thread.start()
    while not openai_server.requests and thread.is_alive():  # wait until it hangs
        thread.join(0.01)
    openai_server.close()
    thread.join(30)

    assert not thread.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], http.client.RemoteDisconnected)


# --------------------------------------------------------------------------- usage


def test_prompt_tokens_follow_the_openai_formula_over_o200k() -> None:
    enc = encoding("o200k_base")
    expected = 3 + sum(
        3 + len(enc.encode(m["role"])) + len(enc.encode(m["content"])) for m in MESSAGES
    )
    assert count_prompt_tokens(MESSAGES) == expected
    # Pinned: "user" and "hi" are one token each -> 3 + (3 + 1 + 1).
    assert count_prompt_tokens([{"role": "user", "content": "hi"}]) == 8


def test_prompt_tokens_count_names_tool_calls_and_content_parts() -> None:
    enc = encoding("o200k_base")
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "read_file", "arguments": '{"path": "a.py"}'},
    }
    messages = [
        {"role": "user", "name": "ada", "content": [{"type": "text", "text": "hello there"}]},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": "print('hi')"},
    ]
    n = lambda text: len(enc.encode(text))  # noqa: E731
    expected = (
        3
        + (3 + n("user") + n("hello there") + n("ada") + 1)
        + (3 + n("assistant") + n("read_file") + n('{"path": "a.py"}'))
        + (3 + n("tool") + n("print('hi')"))
    )
    assert count_prompt_tokens(messages) == expected


def test_reported_usage_adds_hidden_overhead_and_honours_overrides(
    openai_server: OpenAIServer,
) -> None:
    reply = Reply(text="ok then", tool_calls=[ToolCallSpec("read_file", {"path": "a.py"})])
    openai_server.hidden_prompt_overhead = 40
    overrides = {"prompt_tokens": 5000, "cached_tokens": 4096}
    openai_server.script([reply, Reply(text="x", usage=overrides)])
    body = {"model": "test-model", "messages": MESSAGES}

    usage = json.loads(post(openai_server, "/v1/chat/completions", body).read())["usage"]
    assert usage["prompt_tokens"] == count_prompt_tokens(MESSAGES) + 40
    assert usage["completion_tokens"] == count_completion_tokens(reply) > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["prompt_tokens_details"] == {"cached_tokens": 0}

    overridden = json.loads(post(openai_server, "/v1/chat/completions", body).read())["usage"]
    assert overridden["prompt_tokens"] == 5000
    assert overridden["total_tokens"] == 5000 + overridden["completion_tokens"]
    assert overridden["prompt_tokens_details"] == {"cached_tokens": 4096}


def test_tiktoken_encodings_load_offline_from_litellm_files(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import tiktoken.load
    import tiktoken_ext.openai_public

    from tests.support import openai_server as module

    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    module._point_tiktoken_at_litellm_files()
    spec = importlib.util.find_spec("litellm")
    assert spec is not None and spec.submodule_search_locations
    litellm_dir = Path(next(iter(spec.submodule_search_locations)))
    tokenizers = litellm_dir / "litellm_core_utils" / "tokenizers"
    assert Path(os.environ["TIKTOKEN_CACHE_DIR"]) == tokenizers

    def no_network(blobpath: str) -> bytes:
        raise AssertionError(f"tiktoken tried to fetch {blobpath}")

    monkeypatch.setattr(tiktoken.load, "read_file", no_network)
    public = tiktoken_ext.openai_public
    for constructor in (public.o200k_base, public.cl100k_base):
        assert len(constructor()["mergeable_ranks"]) > 100_000


# --------------------------------------------------------------------------- through litellm


@pytest.fixture(params=["aiohttp", "httpx"])
def litellm(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Any:
    """litellm, offline and quiet, on the async transport named by the parameter."""
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    import litellm as module

    use_httpx = request.param == "httpx"
    monkeypatch.setenv("DISABLE_AIOHTTP_TRANSPORT", str(use_httpx))
    monkeypatch.setattr(module, "disable_aiohttp_transport", use_httpx)
    monkeypatch.setattr(module, "suppress_debug_info", True)
    return module


async def complete(litellm: Any, server: OpenAIServer, stream: bool = True, **kwargs: Any) -> Any:
    options: dict[str, Any] = {"stream_options": {"include_usage": True}} if stream else {}
    return await litellm.acompletion(
        model="openai/test-model",
        api_base=server.url,
        api_key="sk-test",
        messages=kwargs.pop("messages", MESSAGES),
        tools=TOOLS,
        stream=stream,
        num_retries=0,
        max_retries=0,
        **options,
        **kwargs,
    )


async def collect(stream: Any) -> list[Any]:
    return [chunk async for chunk in stream]


async def test_streamed_text_tool_calls_and_usage_reassemble(
    litellm: Any, openai_server: OpenAIServer
) -> None:
    assert importlib.util.find_spec("mcp") is not None  # litellm's async tool path needs it
    text = "I will read the file, then grep for definitions."
    openai_server.hidden_prompt_overhead = 25
    openai_server.script(
        [
            Reply(
                text=text,
                tool_calls=[
                    ToolCallSpec("read_file", {"path": "src/app.py", "start_line": 1}),
                    ToolCallSpec("grep", '{"pattern": "def ", "glob": "*.py"}', id="call_grep"),
                ],
            )
        ]
    )

    chunks = await collect(await complete(litellm, openai_server))

    deltas = [c.choices[0].delta for c in chunks if c.choices]
    pieces = [d.content for d in deltas if d.content]
    assert len(pieces) > 1 and "".join(pieces) == text
    calls: dict[int, dict[str, str]] = {}
    fragments: dict[int, int] = {}
    for delta in deltas:
        for call in delta.tool_calls or []:
            entry = calls.setdefault(call.index, {"id": "", "name": "", "arguments": ""})
            entry["id"] += call.id or ""
            entry["name"] += call.function.name or ""
            entry["arguments"] += call.function.arguments or ""
            fragments[call.index] = fragments.get(call.index, 0) + 1
    assert calls[0]["name"] == "read_file"
    assert json.loads(calls[0]["arguments"]) == {"path": "src/app.py", "start_line": 1}
    assert calls[1] == {
        "id": "call_grep",
        "name": "grep",
        "arguments": '{"pattern": "def ", "glob": "*.py"}',
    }
    assert min(fragments.values()) > 2  # head + several argument fragments each
    reasons = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert [r for r in reasons if r] == ["tool_calls"]
    usages = [u for c in chunks if (u := getattr(c, "usage", None)) is not None]
    assert usages[-1].prompt_tokens == count_prompt_tokens(MESSAGES) + 25
    assert usages[-1].prompt_tokens_details.cached_tokens == 0

    rebuilt = litellm.stream_chunk_builder(chunks, messages=MESSAGES)
    assert rebuilt.choices[0].message.content == text
    assert rebuilt.usage.prompt_tokens == count_prompt_tokens(MESSAGES) + 25

    sent = openai_server.chat_requests[0].body
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
    assert sent["tools"][0]["function"]["name"] == "read_file"
    assert sent["messages"] == MESSAGES


async def test_non_streaming_reply_carries_tool_calls_and_usage(
    litellm: Any, openai_server: OpenAIServer
) -> None:
    openai_server.script([Reply(tool_calls=[ToolCallSpec("read_file", {"path": "a.py"}, id="c1")])])

    response = await complete(litellm, openai_server, stream=False)

    message = response.choices[0].message
    assert response.choices[0].finish_reason == "tool_calls"
    assert message.content is None
    assert message.tool_calls[0].id == "c1"
    assert json.loads(message.tool_calls[0].function.arguments) == {"path": "a.py"}
    assert response.usage.prompt_tokens == count_prompt_tokens(MESSAGES)


async def test_responder_answers_from_the_conversation(
    litellm: Any, openai_server: OpenAIServer
) -> None:
    def echo_last_user(request: dict[str, Any]) -> Reply:
        last = [m for m in request["messages"] if m["role"] == "user"][-1]
        return Reply(text=f"You said: {last['content']}")

    openai_server.responder = echo_last_user
    messages = [{"role": "user", "content": "ping"}]

    chunks = await collect(await complete(litellm, openai_server, messages=messages))

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "You said: ping"


async def test_concurrent_streams_are_served_in_parallel(
    litellm: Any, openai_server: OpenAIServer
) -> None:
    openai_server.responder = lambda request: Reply(
        text=f"answer to {request['messages'][-1]['content']}", chunk_delay=0.01
    )

    async def ask(question: str) -> str:
        messages = [{"role": "user", "content": question}]
        chunks = await collect(await complete(litellm, openai_server, messages=messages))
        return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)

    answers = await asyncio.gather(*(ask(q) for q in ("a", "b", "c")))

    assert answers == ["answer to a", "answer to b", "answer to c"]


# --------------------------------------------------------------------------- faults through litellm


@pytest.mark.parametrize("stream", [True, False])
async def test_429_is_a_rate_limit_error_with_retry_after_in_litellm_response_headers(
    litellm: Any, openai_server: OpenAIServer, stream: bool
) -> None:
    openai_server.script([Fault.rate_limited(retry_after=2)])

    with pytest.raises(litellm.RateLimitError) as caught:
        await complete(litellm, openai_server, stream=stream)

    error = caught.value
    assert error.status_code == 429
    assert error.litellm_response_headers["Retry-After"] == "2"
    assert error.body["code"] == "rate_limit_exceeded"
    # litellm rebuilds ``error.response`` without the provider's headers: the
    # Retry-After is NOT there, only in ``litellm_response_headers``.
    assert error.response.status_code == 429
    assert "retry-after" not in error.response.headers


async def test_insufficient_quota_is_a_rate_limit_error_told_apart_by_its_body(
    litellm: Any, openai_server: OpenAIServer
) -> None:
    openai_server.script([Fault.insufficient_quota()])

    with pytest.raises(litellm.RateLimitError) as caught:
        await complete(litellm, openai_server)

    error = caught.value
    assert error.status_code == 429
    assert error.body["code"] == "insufficient_quota"
    assert error.body["type"] == "insufficient_quota"
    assert "quota" in str(error)
    assert "retry-after" not in error.litellm_response_headers
    assert (error.code, error.type) == ("429", "throttling_error")  # same as any 429


async def test_500_is_an_internal_server_error(
    litellm: Any, openai_server: OpenAIServer
) -> None:
    openai_server.script([Fault.server_error()])

    with pytest.raises(litellm.InternalServerError) as caught:
        await complete(litellm, openai_server)

    assert caught.value.status_code == 500


async def test_503_is_service_unavailable(litellm: Any, openai_server: OpenAIServer) -> None:
    openai_server.script([Fault(status=503)])

    with pytest.raises(litellm.ServiceUnavailableError) as caught:
        await complete(litellm, openai_server)

    assert caught.value.status_code == 503


async def test_529_is_a_bare_api_error_with_status_529(
    litellm: Any, openai_server: OpenAIServer
) -> None:
    openai_server.script([Fault.overloaded()])

    with pytest.raises(litellm.APIError) as caught:
        await complete(litellm, openai_server)

    error = caught.value
    assert type(error) is litellm.APIError
    assert not isinstance(error, (litellm.ServiceUnavailableError, litellm.InternalServerError))
    assert error.status_code == 529
    assert "Overloaded" in str(error)


async def test_401_is_an_authentication_error(litellm: Any, openai_server: OpenAIServer) -> None:
    openai_server.script([Fault.unauthorized()])

    with pytest.raises(litellm.AuthenticationError) as caught:
        await complete(litellm, openai_server)

    assert caught.value.status_code == 401


async def test_context_length_exceeded_is_a_context_window_error(
    litellm: Any, openai_server: OpenAIServer
) -> None:
    openai_server.script([Fault.context_length_exceeded()])

    with pytest.raises(litellm.ContextWindowExceededError) as caught:
        await complete(litellm, openai_server)

    assert isinstance(caught.value, litellm.BadRequestError)
    assert caught.value.status_code == 400


@pytest.mark.parametrize("after_chunks", [0, 3])
async def test_dropped_stream_raises_mid_stream_fallback_while_iterating(
    litellm: Any, openai_server: OpenAIServer, after_chunks: int
) -> None:
    reply = Reply(text="one two three four five")
    openai_server.script([DropStream(after_chunks=after_chunks, reply=reply)])
    stream = await complete(litellm, openai_server)  # the call itself succeeds
    received: list[str] = []

    # Not re-exported at the top level: only ``litellm.exceptions.MidStreamFallbackError``.
    with pytest.raises(litellm.exceptions.MidStreamFallbackError) as caught:
        async for chunk in stream:
            received.append(chunk.choices[0].delta.content or "")

    error = caught.value
    assert isinstance(error, litellm.ServiceUnavailableError)
    assert error.status_code == 500
    assert type(error.original_exception) is litellm.APIConnectionError
    assert error.generated_content == "".join(received)
    assert error.is_pre_first_chunk is (after_chunks == 0)
    if after_chunks:
        assert error.generated_content == "one two "  # role chunk + two words
    assert len(openai_server.chat_requests) == 1  # litellm did not retry behind our back


async def test_dropped_non_streaming_body_is_an_internal_server_error(
    litellm: Any, openai_server: OpenAIServer
) -> None:
    openai_server.script([DropStream()])

    with pytest.raises(litellm.InternalServerError) as caught:
        await complete(litellm, openai_server, stream=False)

    assert caught.value.status_code == 500
    assert "Connection error" in str(caught.value)


@pytest.mark.parametrize("stream", [True, False])
async def test_hang_with_short_timeout_raises_timeout(
    litellm: Any, openai_server: OpenAIServer, stream: bool
) -> None:
    openai_server.script([Hang(seconds=60)])

    with pytest.raises(litellm.Timeout) as caught:
        await complete(litellm, openai_server, stream=stream, timeout=0.3)

    import openai

    # litellm.Timeout subclasses openai's APITimeoutError (hence openai.APIConnectionError),
    # not litellm.APIConnectionError.
    assert isinstance(caught.value, openai.APITimeoutError)
    assert not isinstance(caught.value, litellm.APIConnectionError)
    assert caught.value.status_code == 408
    assert len(openai_server.chat_requests) == 1
