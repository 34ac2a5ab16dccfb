"""A real HTTP server on 127.0.0.1 speaking Anthropic's Messages API, with a prompt cache.

litellm's ``anthropic/`` provider calls it over its genuine network path::

    server = AnthropicServer().start()
    server.script([Reply(tool_calls=[ToolCallSpec("read_file", {"path": "a.py"})]), Reply(text="Done.")])
    await litellm.acompletion(model="anthropic/claude-sonnet-4-5", api_base=server.url, ...)
    server.close()

Each ``POST .../v1/messages`` consumes one :class:`~tests.support.openai_server.Reply` (the
same steps as the OpenAI server's; a :class:`~tests.support.openai_server.Fault` answers
with its status); when the script is empty the answer is the text "done". Streaming answers
are Anthropic's SSE events (``message_start`` with the usage, ``content_block_*``,
``message_delta``, ``message_stop``); a non-streaming request gets one JSON message.

The cache works the way Anthropic documents it. The prompt is a sequence of blocks in the
order Anthropic reads them (each tool, each system block, each content block of each message);
a block carrying ``cache_control`` is a breakpoint. A request reads the longest cached prefix
that ends at one of its breakpoints or up to :data:`LOOKBACK` blocks before one, and writes
the prefix up to each breakpoint that is longer than what it read (prefixes shorter than
``min_cacheable_tokens`` are not cached). An entry lives ``ttl_s`` seconds of the server's
clock from its last use; tests move that clock with :meth:`AnthropicServer.advance`, never by
waiting. ``cache_control`` itself is not part of what is cached (markers may move between
calls). Tokens are counted as one per :data:`BYTES_PER_TOKEN` bytes of each block's canonical
JSON, so tests can compute every figure independently (:func:`block_tokens`).

Usage in ``message_start``: ``input_tokens`` (not cached), ``cache_creation_input_tokens``,
``cache_read_input_tokens``; ``message_delta`` carries ``output_tokens``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.openai_server import Fault, Reply, Step, _HTTPServer, split_fragments

LOOKBACK = 20  # blocks before a breakpoint where Anthropic also looks for a cache hit
BYTES_PER_TOKEN = 4
TTL_S = 300.0  # the ephemeral cache's life, refreshed by every read
MIN_CACHEABLE_TOKENS = 1024  # Sonnet's minimum; tests may lower it


def canonical(block: Any) -> bytes:
    """A block's bytes as the cache sees them: canonical JSON, ``cache_control`` left out."""
    if isinstance(block, dict):
        block = {k: v for k, v in block.items() if k != "cache_control"}
    return json.dumps(block, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def block_tokens(block: Any) -> int:
    return max(1, len(canonical(block)) // BYTES_PER_TOKEN)


def prompt_blocks(body: dict[str, Any]) -> list[tuple[Any, bool]]:
    """The prompt's blocks in Anthropic's order, each with whether it is a breakpoint."""
    blocks: list[tuple[Any, bool]] = []
    for tool in body.get("tools") or []:
        blocks.append((tool, "cache_control" in tool))
    system = body.get("system")
    if isinstance(system, str):
        blocks.append(({"type": "text", "text": system}, False))
    for part in system if isinstance(system, list) else []:
        blocks.append((part, "cache_control" in part))
    for message in body.get("messages") or []:
        content = message.get("content")
        parts = [{"type": "text", "text": content}] if isinstance(content, str) else list(content or [])
        for part in parts:
            blocks.append(({"role": message.get("role"), **part}, "cache_control" in part))
    return blocks


def breakpoint_count(body: dict[str, Any]) -> int:
    return sum(1 for _, marked in prompt_blocks(body) if marked)


def prefix_bytes(body: dict[str, Any], blocks: int) -> bytes:
    """The first ``blocks`` blocks of the prompt as the cache sees them (for byte-identity checks)."""
    return b"\n".join(canonical(block) for block, _ in prompt_blocks(body)[:blocks])


@dataclass
class CacheResult:
    read: int = 0
    write: int = 0
    uncached: int = 0


@dataclass
class RecordedRequest:
    body: dict[str, Any]
    headers: dict[str, str]
    cache: CacheResult = field(default_factory=CacheResult)


class PromptCache:
    """Prefix hash -> (tokens, last used), on the server's clock."""

    def __init__(self) -> None:
        self.entries: dict[str, float] = {}
        self.now = 0.0
        self.ttl_s = TTL_S
        self.min_cacheable_tokens = MIN_CACHEABLE_TOKENS

    def use(self, body: dict[str, Any]) -> CacheResult:
        blocks = prompt_blocks(body)
        digests: list[str] = []
        totals: list[int] = []
        running = hashlib.sha256()
        total = 0
        for block, _ in blocks:
            running.update(canonical(block) + b"\x00")
            digests.append(running.copy().hexdigest())
            total += block_tokens(block)
            totals.append(total)
        self.entries = {k: t for k, t in self.entries.items() if self.now - t <= self.ttl_s}
        marks = [i for i, (_, marked) in enumerate(blocks) if marked]
        hit = -1
        for mark in marks:
            for j in range(mark, max(-1, mark - LOOKBACK), -1):
                if digests[j] in self.entries:
                    hit = max(hit, j)
                    break
        read = totals[hit] if hit >= 0 else 0
        if hit >= 0:
            self.entries[digests[hit]] = self.now
        written_to = read
        for mark in marks:
            if totals[mark] > read and totals[mark] >= self.min_cacheable_tokens:
                self.entries[digests[mark]] = self.now
                written_to = max(written_to, totals[mark])
        write = written_to - read
        return CacheResult(read=read, write=write, uncached=total - read - write)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        pass

    def do_POST(self) -> None:
        owner: AnthropicServer = self.server.owner  # type: ignore[assignment]
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.loads(raw) if raw else {}
        if not self.path.split("?")[0].endswith("/messages"):
            self._send(404, b'{"type":"error","error":{"type":"not_found_error","message":"not found"}}')
            return
        step = owner._next_step()
        if isinstance(step, Fault):
            self._send(step.status, step.body_bytes(), step.headers)
            return
        reply = step if isinstance(step, Reply) else Reply(text="done")
        with owner._lock:
            cache = owner.cache.use(body)
            owner.requests.append(RecordedRequest(body, {k.lower(): v for k, v in self.headers.items()}, cache))
        message_id = f"msg_test{next(owner._ids)}"
        if body.get("stream"):
            self._stream(list(sse_events(reply, cache, message_id, str(body.get("model")))))
        else:
            self._send(200, json.dumps(message_body(reply, cache, message_id, str(body.get("model")))).encode())

    def _send(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, events: list[dict[str, Any]]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for event in events:
            data = f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()
            self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def output_tokens(reply: Reply) -> int:
    text = reply.text + "".join(c.name + c.arguments_json() for c in reply.tool_calls)
    return max(1, len(text.encode()) // BYTES_PER_TOKEN)


def _usage(cache: CacheResult) -> dict[str, int]:
    return {"input_tokens": cache.uncached, "cache_creation_input_tokens": cache.write,
            "cache_read_input_tokens": cache.read}


def _stop_reason(reply: Reply) -> str:
    return "tool_use" if reply.tool_calls else "end_turn"


def _tool_id(message_id: str, index: int) -> str:
    return f"toolu_{message_id[4:]}_{index}"


def sse_events(reply: Reply, cache: CacheResult, message_id: str, model: str) -> Iterator[dict[str, Any]]:
    yield {"type": "message_start", "message": {
        "id": message_id, "type": "message", "role": "assistant", "content": [], "model": model,
        "stop_reason": None, "stop_sequence": None, "usage": {**_usage(cache), "output_tokens": 1}}}
    index = 0
    if reply.text:
        yield {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}}
        for fragment in split_fragments(reply.text):
            yield {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": fragment}}
        yield {"type": "content_block_stop", "index": index}
        index += 1
    for n, call in enumerate(reply.tool_calls):
        block = {"type": "tool_use", "id": call.id or _tool_id(message_id, n), "name": call.name, "input": {}}
        yield {"type": "content_block_start", "index": index, "content_block": block}
        yield {"type": "content_block_delta", "index": index,
               "delta": {"type": "input_json_delta", "partial_json": call.arguments_json()}}
        yield {"type": "content_block_stop", "index": index}
        index += 1
    yield {"type": "message_delta", "delta": {"stop_reason": _stop_reason(reply), "stop_sequence": None},
           "usage": {"output_tokens": output_tokens(reply)}}
    yield {"type": "message_stop"}


def message_body(reply: Reply, cache: CacheResult, message_id: str, model: str) -> dict[str, Any]:
    content: list[dict[str, Any]] = [{"type": "text", "text": reply.text}] if reply.text else []
    content += [{"type": "tool_use", "id": c.id or _tool_id(message_id, n), "name": c.name,
                 "input": json.loads(c.arguments_json() or "{}")} for n, c in enumerate(reply.tool_calls)]
    return {"id": message_id, "type": "message", "role": "assistant", "content": content, "model": model,
            "stop_reason": _stop_reason(reply), "stop_sequence": None,
            "usage": {**_usage(cache), "output_tokens": output_tokens(reply)}}


class AnthropicServer:
    """Anthropic's Messages API on 127.0.0.1, scripted reply by reply, with a prompt cache."""

    def __init__(self) -> None:
        self.cache = PromptCache()
        self.requests: list[RecordedRequest] = []
        self._steps: deque[Step] = deque()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> AnthropicServer:
        httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        httpd.owner = self  # type: ignore[assignment]
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="anthropic-test-server", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> AnthropicServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def url(self) -> str:
        """The ``api_base`` to give litellm (it appends ``/v1/messages``)."""
        if self._httpd is None:
            raise RuntimeError("server not started")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def script(self, steps: Iterable[Step]) -> None:
        with self._lock:
            self._steps.extend(steps)

    def advance(self, seconds: float) -> None:
        """Move the cache's clock (an idle user, without waiting)."""
        with self._lock:
            self.cache.now += seconds

    def _next_step(self) -> Step | None:
        with self._lock:
            return self._steps.popleft() if self._steps else None
