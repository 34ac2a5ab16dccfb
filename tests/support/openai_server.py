"""A real OpenAI-compatible HTTP server on 127.0.0.1, scripted by tests.

Tests drive litellm over its genuine network path against this server::

    server = OpenAIServer().start()
    server.script([
        Fault.rate_limited(retry_after=2),
        Reply(tool_calls=[ToolCallSpec("read_file", {"path": "a.py"})]),
        Reply(text="All done."),
    ])
    await litellm.acompletion(model="openai/test-model", api_base=server.url, ...)
    server.close()

Each chat-completions request consumes one *step* from the script. When the
script is empty, ``server.responder(request_json)`` decides (if set); otherwise
the server answers with the plain text "done". Steps:

- :class:`Reply` -- a text and/or tool-call answer, streamed as SSE chunks the
  way OpenAI sends them (or one JSON body when ``stream`` is false);
- :class:`Fault` -- an HTTP error status with an OpenAI error body and headers;
- :class:`DropStream` -- start answering, then close the connection mid-body
  (chunked: the body is visibly incomplete; not chunked: a clean close that only
  the missing ``finish_reason`` and ``[DONE]`` give away);
- :class:`EmptyReply` -- a 200 with an empty body;
- :class:`Hang` -- accept the request and send nothing.

Server-wide behaviours (attributes): ``strict_tool_arguments`` rejects a request
whose history holds tool-call arguments that are not a JSON object, as
llama.cpp's server does (500 "Failed to parse tool call arguments as JSON");
``model_metadata`` adds fields (``max_model_len``, ``context_length``, ``meta``)
to the ``GET /v1/models`` entries; ``props`` is served as llama.cpp's ``GET /props``.

Usage is computed with tiktoken ``o200k_base`` (see :func:`count_prompt_tokens`)
plus ``server.hidden_prompt_overhead``, so budget calibration can be tested
against a provider that adds tokens the client cannot see.

Standard library only (plus tiktoken, loaded from litellm's bundled files, found by
``app.agent.offline``, so it never touches the network).
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import re
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# --------------------------------------------------------------------------- steps


@dataclass
class ToolCallSpec:
    """One tool call in a scripted reply. A ``str`` ``arguments`` is sent verbatim
    (so tests can send malformed JSON); a ``dict`` is JSON-encoded."""

    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)
    id: str | None = None

    def arguments_json(self) -> str:
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(self.arguments)


@dataclass
class Reply:
    """A successful answer.

    ``usage`` overrides the computed usage key by key (``prompt_tokens``,
    ``completion_tokens``, ``total_tokens``, ``cached_tokens``; ``cached_tokens: None`` sends no
    ``prompt_tokens_details`` at all, as llama.cpp's server does); ``total_tokens`` is recomputed
    unless given. ``chunk_delay`` seconds pass between stream chunks. ``finish_reason`` defaults to ``tool_calls`` when there are tool calls, else ``stop``.
    ``send_usage=False`` answers without any usage (as llama-cpp-python and many
    proxies do), even when the client asked for ``include_usage``. ``headers`` are
    extra response headers (e.g. a proxy's ``x-litellm-attempted-retries``).
    """

    text: str = ""
    tool_calls: list[ToolCallSpec] = field(default_factory=list)
    usage: dict[str, Any] | None = None
    chunk_delay: float = 0.0
    finish_reason: str | None = None
    send_usage: bool = True
    headers: dict[str, str] = field(default_factory=dict)

    def final_reason(self) -> str:
        if self.finish_reason is not None:
            return self.finish_reason
        return "tool_calls" if self.tool_calls else "stop"


@dataclass
class Fault:
    """An HTTP error answer. ``body=None`` means a generic OpenAI error body."""

    status: int = 500
    body: dict[str, Any] | str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def body_bytes(self) -> bytes:
        body = self.body
        if body is None:
            body = _error_body(f"Scripted fault {self.status}", "server_error", None)
        if isinstance(body, str):
            return body.encode()
        return json.dumps(body).encode()

    @classmethod
    def rate_limited(cls, retry_after: float | int | None = 2) -> Fault:
        """429 rate limit, with a ``Retry-After`` header unless ``retry_after`` is None."""
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        body = _error_body(
            "Rate limit reached for test-model on requests per min (RPM). Please try again.",
            "requests",
            "rate_limit_exceeded",
        )
        return cls(status=429, body=body, headers=headers)

    @classmethod
    def insufficient_quota(cls) -> Fault:
        """429 that no retry will fix: the account is out of credit."""
        body = _error_body(
            "You exceeded your current quota, please check your plan and billing details.",
            "insufficient_quota",
            "insufficient_quota",
        )
        return cls(status=429, body=body)

    @classmethod
    def server_error(cls) -> Fault:
        """500 internal server error."""
        body = _error_body(
            "The server had an error while processing your request. Sorry about that!",
            "server_error",
            None,
        )
        return cls(status=500, body=body)

    @classmethod
    def overloaded(cls) -> Fault:
        """529 overloaded (Anthropic's status, seen through OpenAI-compatible gateways)."""
        return cls(status=529, body=_error_body("Overloaded", "overloaded_error", "overloaded"))

    @classmethod
    def unauthorized(cls) -> Fault:
        """401 bad API key."""
        body = _error_body(
            "Incorrect API key provided: sk-test. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            "invalid_request_error",
            "invalid_api_key",
        )
        return cls(status=401, body=body)

    @classmethod
    def context_length_exceeded(cls, limit: int = 128000, actual: int = 130000) -> Fault:
        """400 because the prompt does not fit the model's context window."""
        body = _error_body(
            f"This model's maximum context length is {limit} tokens. However, your messages "
            f"resulted in {actual} tokens. Please reduce the length of the messages.",
            "invalid_request_error",
            "context_length_exceeded",
            param="messages",
        )
        return cls(status=400, body=body)

    @classmethod
    def proxy_rate_limited(cls, retry_after: float | int = 1, attempted_retries: int = 2, max_retries: int = 2) -> Fault:
        """429 as the LiteLLM proxy forwards it: the upstream's Retry-After arrives as
        ``llm_provider-retry-after``, and the proxy says how often it already retried."""
        headers = {
            "llm_provider-retry-after": str(retry_after),
            "x-litellm-attempted-retries": str(attempted_retries),
            "x-litellm-max-retries": str(max_retries),
        }
        body = _error_body("litellm.RateLimitError: upstream rate limit. Received Model Group=test-model",
                           "throttling_error", "429")
        return cls(status=429, body=body, headers=headers)

    @classmethod
    def malformed_tool_arguments(cls) -> Fault:
        """llama.cpp's server on a history whose tool-call arguments are not JSON."""
        body = {"error": {"code": 500, "message": "Failed to parse tool call arguments as JSON: "
                          "[json.exception.parse_error.101] parse error at line 1, column 1: syntax error",
                          "type": "server_error"}}
        return cls(status=500, body=body)


@dataclass
class DropStream:
    """Send ``after_chunks`` SSE events of ``reply`` (a long text by default),
    then close the connection without finishing the body. For a non-streaming
    request, half of the JSON body is sent instead.

    ``chunked=False`` sends the stream without ``Transfer-Encoding: chunked`` or a
    length (the body ends when the connection closes), so the close is clean at the
    HTTP level: only the missing ``finish_reason`` and ``[DONE]`` show the cut."""

    after_chunks: int = 2
    reply: Reply | None = None
    chunked: bool = True

    def reply_to_cut(self) -> Reply:
        if self.reply is not None:
            return self.reply
        return Reply(text="This answer will be cut off before it is finished. " * 4)


@dataclass
class Hang:
    """Accept the request and send nothing for ``seconds`` (or until the server
    closes), then drop the connection."""

    seconds: float = 60.0


@dataclass
class EmptyReply:
    """A 200 whose body is empty (``Content-Length: 0``), with the content type a
    stream (or a JSON body) would have had."""


Step = Reply | Fault | DropStream | EmptyReply | Hang


def _error_body(message: str, type_: str, code: str | None, param: str | None = None) -> dict:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


# --------------------------------------------------------------------------- tokens


def _point_tiktoken_at_litellm_files() -> None:
    """Make tiktoken read the BPE files litellm ships instead of downloading them."""
    from app.agent.offline import litellm_tokenizer_dir

    tokenizers = litellm_tokenizer_dir()
    if tokenizers is not None:
        os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(tokenizers))


@functools.lru_cache(maxsize=None)
def encoding(name: str = "o200k_base") -> Any:
    """A tiktoken encoding, loaded offline from litellm's bundled files."""
    _point_tiktoken_at_litellm_files()
    import tiktoken

    return tiktoken.get_encoding(name)


def _count(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=())) if text else 0


def _content_text(content: Any) -> str:
    """The text of a message's content, whether a string or a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING_TOKENS = 3


def count_prompt_tokens(messages: list[dict[str, Any]]) -> int:
    """The usual OpenAI formula over o200k_base: per message 3 tokens + its role +
    its content text (+ ``name`` and 1 more when present) + each tool call's
    function name and arguments; then 3 for priming the reply."""
    total = REPLY_PRIMING_TOKENS
    for message in messages:
        total += TOKENS_PER_MESSAGE
        total += _count(str(message.get("role") or ""))
        total += _count(_content_text(message.get("content")))
        if message.get("name"):
            total += _count(str(message["name"])) + TOKENS_PER_NAME
        for call in message.get("tool_calls") or []:
            function = call.get("function") or {}
            total += _count(str(function.get("name") or ""))
            total += _count(str(function.get("arguments") or ""))
    return total


def count_completion_tokens(reply: Reply) -> int:
    """Tokens of the reply text plus each tool call's name and arguments."""
    total = _count(reply.text)
    for call in reply.tool_calls:
        total += _count(call.name) + _count(call.arguments_json())
    return total


def usage_for(reply: Reply, messages: list[dict[str, Any]], hidden_overhead: int = 0) -> dict:
    """The ``usage`` object the server reports for ``reply``."""
    prompt = count_prompt_tokens(messages) + hidden_overhead
    completion = count_completion_tokens(reply)
    override = dict(reply.usage or {})
    prompt = override.pop("prompt_tokens", prompt)
    completion = override.pop("completion_tokens", completion)
    cached = override.pop("cached_tokens", 0)
    total = override.pop("total_tokens", prompt + completion)
    details = {} if cached is None else {"prompt_tokens_details": {"cached_tokens": cached}}  # None: no cache field
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": total, **details, **override}


# --------------------------------------------------------------------------- wire format


def split_text(text: str) -> list[str]:
    """Split text into word-sized deltas whose concatenation is ``text``."""
    return re.findall(r"\S+\s*|\s+", text)


def split_fragments(text: str, size: int = 8) -> list[str]:
    """Split tool-call arguments into fixed-size fragments."""
    return [text[i : i + size] for i in range(0, len(text), size)]


@dataclass
class _Answer:
    """What is needed to render one reply: ids, model, and the computed usage."""

    reply: Reply
    completion_id: str
    model: str
    created: int
    usage: dict[str, Any]
    call_ids: list[str]


def stream_events(answer: _Answer, include_usage: bool) -> Iterator[dict[str, Any]]:
    """The ``chat.completion.chunk`` objects of a streamed reply, in order."""
    reply = answer.reply

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": answer.completion_id,
            "object": "chat.completion.chunk",
            "created": answer.created,
            "model": answer.model,
            "system_fingerprint": "fp_cockpit_tests",
            "choices": [
                {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            ],
        }
        if include_usage and reply.send_usage:
            body["usage"] = None
        return body

    yield chunk({"role": "assistant", "content": "" if reply.text else None, "refusal": None})
    for piece in split_text(reply.text):
        yield chunk({"content": piece})
    for index, (call, call_id) in enumerate(zip(reply.tool_calls, answer.call_ids)):
        head = {
            "index": index,
            "id": call_id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        yield chunk({"tool_calls": [head]})
        for fragment in split_fragments(call.arguments_json()):
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": fragment}}]})
    yield chunk({}, reply.final_reason())
    if include_usage and reply.send_usage:
        last = chunk({})
        last["choices"] = []
        last["usage"] = answer.usage
        yield last


def completion_body(answer: _Answer) -> dict[str, Any]:
    """The JSON body of a non-streamed reply."""
    reply = answer.reply
    message: dict[str, Any] = {
        "role": "assistant",
        "content": reply.text or None,
        "refusal": None,
    }
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": call_id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments_json()},
            }
            for call, call_id in zip(reply.tool_calls, answer.call_ids)
        ]
    body: dict[str, Any] = {
        "id": answer.completion_id,
        "object": "chat.completion",
        "created": answer.created,
        "model": answer.model,
        "system_fingerprint": "fp_cockpit_tests",
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": reply.final_reason(),
            }
        ],
    }
    if reply.send_usage:
        body["usage"] = answer.usage
    return body


def malformed_tool_arguments(messages: list[dict[str, Any]]) -> str | None:
    """The first tool-call ``arguments`` in the history that is not a JSON object, or None."""
    for message in messages:
        for call in message.get("tool_calls") or []:
            raw = (call.get("function") or {}).get("arguments")
            try:
                parsed = json.loads(raw) if isinstance(raw, str) else raw
            except ValueError:
                return str(raw)
            if not isinstance(parsed, dict):
                return str(raw)
    return None


# --------------------------------------------------------------------------- server


@dataclass
class RecordedRequest:
    """One request as the server saw it. Header names are lower-cased."""

    time: float
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    step: Step | None = None


CHAT_PATHS = ("/v1/chat/completions", "/chat/completions")
MODEL_PATHS = ("/v1/models", "/models")
PROPS_PATHS = ("/props",)  # llama.cpp serves it at the root, beside /v1


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, and chunked streams a drop can break
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.owner._track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.owner._untrack(self.connection)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        pass

    def do_GET(self) -> None:
        self._record(None)
        owner = self.server.owner
        path = self.path.split("?")[0]
        if path in MODEL_PATHS:
            models = [
                {"id": name, "object": "model", "created": 0, "owned_by": "cockpit-tests",
                 **owner.model_metadata.get(name, {})}
                for name in owner.models
            ]
            self._send_json(200, {"object": "list", "data": models})
        elif path in PROPS_PATHS and owner.props is not None:
            self._send_json(200, owner.props)
        else:
            self._send_not_found()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        record = self._record(body)
        path = self.path.split("?")[0]
        if path not in CHAT_PATHS:
            self._send_not_found()
            return
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            body = _error_body("'messages' is required", "invalid_request_error", None)
            self._send_json(400, body)
            return
        owner = self.server.owner
        if owner.strict_tool_arguments and malformed_tool_arguments(body["messages"]) is not None:
            step: Step = Fault.malformed_tool_arguments()  # the script is left as it was
        else:
            step = owner._next_step(body)
        record.step = step
        self._perform(step, body)

    # ------------------------------------------------------------------ steps

    def _perform(self, step: Step, body: dict[str, Any]) -> None:
        streaming = bool(body.get("stream"))
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        if isinstance(step, Fault):
            self._send_fault(step)
        elif isinstance(step, Hang):
            self.server.owner._closing.wait(step.seconds)
            self.close_connection = True
        elif isinstance(step, DropStream):
            answer = self.server.owner._answer(step.reply_to_cut(), body)
            if streaming:
                self._stream(answer, include_usage, cut_after=step.after_chunks, chunked=step.chunked)
            else:
                self._send_json(200, completion_body(answer), cut=True)
        elif isinstance(step, EmptyReply):
            self._send_empty(streaming)
        elif streaming:
            self._stream(self.server.owner._answer(step, body), include_usage)
        else:
            answer = self.server.owner._answer(step, body)
            self._send_json(200, completion_body(answer), headers=step.headers)

    def _send_not_found(self) -> None:
        body = _error_body(f"Unknown path {self.path}", "invalid_request_error", None)
        self._send_json(404, body)

    def _send_fault(self, fault: Fault) -> None:
        payload = fault.body_bytes()
        self.send_response(fault.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in fault.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _send_empty(self, streaming: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8" if streaming else "application/json")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send_json(
        self, status: int, body: dict[str, Any], cut: bool = False, headers: dict[str, str] | None = None
    ) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if cut:
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self.close_connection = True
        else:
            self.wfile.write(payload)

    def _stream(self, answer: _Answer, include_usage: bool, cut_after: int | None = None, chunked: bool = True) -> None:
        """Send SSE events (chunked transfer encoding, or delimited by the close when
        ``chunked`` is False); stop early when cutting."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        for name, value in answer.reply.headers.items():
            self.send_header(name, value)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        write = self._write_chunk if chunked else self._write_raw
        closing = self.server.owner._closing
        events = list(stream_events(answer, include_usage))
        if cut_after is not None:
            events = events[:cut_after]
        for sent, event in enumerate(events):
            if sent and answer.reply.chunk_delay and closing.wait(answer.reply.chunk_delay):
                cut_after = sent  # the server is closing: cut here
                break
            write(f"data: {json.dumps(event)}\n\n".encode())
        if cut_after is None:
            write(b"data: [DONE]\n\n")
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
            return
        # Cut short (a scripted drop, or the server is closing): end the connection
        # without the terminating chunk, so the client sees an incomplete body.
        self.wfile.flush()
        self.close_connection = True

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _write_raw(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()

    def _record(self, body: Any) -> RecordedRequest:
        record = RecordedRequest(
            time=time.monotonic(),
            method=self.command,
            path=self.path,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
        )
        self.server.owner._log(record)
        return record


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64
    owner: OpenAIServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client hangs up (timeouts, cancelled streams)."""
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class OpenAIServer:
    """An OpenAI chat-completions server on 127.0.0.1, scripted step by step.

    Attributes tests may set: ``responder`` (``callable(request_json) -> Step``,
    used when the script is empty), ``hidden_prompt_overhead`` (tokens added to
    every reported ``prompt_tokens``), ``models`` (listed by ``GET /v1/models``),
    ``model_metadata`` (model id → extra fields of its ``/v1/models`` entry),
    ``props`` (the body of ``GET /props``; None: 404, as servers other than
    llama.cpp answer) and ``strict_tool_arguments``.
    """

    def __init__(self, hidden_prompt_overhead: int = 0) -> None:
        self.hidden_prompt_overhead = hidden_prompt_overhead
        self.responder: Callable[[dict[str, Any]], Step] | None = None
        self.models: list[str] = ["test-model"]
        self.model_metadata: dict[str, dict[str, Any]] = {}
        self.props: dict[str, Any] | None = None
        self.strict_tool_arguments = False
        self.requests: list[RecordedRequest] = []
        self._steps: deque[Step] = deque()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._closing = threading.Event()
        self._connections: set[socket.socket] = set()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> OpenAIServer:
        httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        httpd.owner = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="openai-test-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving, wake hanging handlers and cut every open connection."""
        self._closing.set()
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None

    def __enter__(self) -> OpenAIServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("server not started")
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        """Base URL to pass as ``api_base``, e.g. ``http://127.0.0.1:PORT/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    # ------------------------------------------------------------------ script

    def script(self, steps: Iterable[Step]) -> None:
        """Queue steps; each chat-completions request consumes the next one."""
        with self._lock:
            self._steps.extend(steps)

    @property
    def pending(self) -> int:
        """How many scripted steps have not been consumed yet."""
        with self._lock:
            return len(self._steps)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        """The recorded chat-completions requests, in arrival order."""
        with self._lock:
            return [r for r in self.requests if r.path.split("?")[0] in CHAT_PATHS]

    def _next_step(self, body: dict[str, Any]) -> Step:
        with self._lock:
            if self._steps:
                return self._steps.popleft()
        if self.responder is not None:
            return self.responder(body)
        return Reply(text="done")

    # ------------------------------------------------------------------ helpers for the handler

    def _answer(self, reply: Reply, body: dict[str, Any]) -> _Answer:
        number = next(self._ids)
        return _Answer(
            reply=reply,
            completion_id=f"chatcmpl-test{number}",
            model=str(body.get("model") or "test-model"),
            created=int(time.time()),
            usage=usage_for(reply, body["messages"], self.hidden_prompt_overhead),
            call_ids=[call.id or f"call_{number}_{i}" for i, call in enumerate(reply.tool_calls)],
        )

    def _log(self, record: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(record)

    def _track(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.add(connection)

    def _untrack(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)
