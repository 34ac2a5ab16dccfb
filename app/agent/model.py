"""The Model protocol and its litellm implementation.

``Model.stream`` performs exactly one streamed chat completion: it calls
``on_text`` for every text fragment and returns a :class:`ModelReply` with the
assembled text, the tool calls (arguments kept raw, as the model sent them),
the usage with where it came from, its price and who gave it (``cost_usd`` is
None for a model nobody has a price for: :mod:`app.agent.pricing`) and what a
proxy in between said about its own retries. Provider errors propagate as litellm's exceptions;
retrying is the harness's job, never litellm's.

What the reply reports is checked against the raw chunks, before litellm's
stream builder fills gaps in: usage the provider never sent is not taken from litellm
(its token counter is off: :mod:`app.agent.offline`); the reply says it is missing
(``usage_missing``) and the caller puts Cockpit's estimate in (:meth:`LiteLLMModel.estimated`,
:mod:`app.agent.usage_estimate`), ``estimated``, never ``provider``; a
stream that ends without a ``finish_reason`` (a close before the end, an empty
200) raises :class:`StreamDropped` instead of passing for a short answer.

What is sent is always a valid history: tool-call arguments the model once
produced malformed are stored verbatim but go to the provider as a JSON object
(:func:`wire_messages`), so a strict server cannot refuse the session forever.
Lone surrogates (invalid Unicode, which no UTF-8 body carries) become U+FFFD
both ways: in what is sent and in the reply (:func:`~app.agent.events.core.well_formed`).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from app.agent.caching.breakpoints import place_breakpoints, supports_cache_control
from app.agent.events.core import COST_PROXY, USAGE_NONE, USAGE_PROVIDER, Usage, sent_count, well_formed
from app.agent.offline import answered_offline, load_litellm
from app.agent.pricing import LITELLM_PRICING, NO_CACHE_PRICE, UNPRICED, CachePrice, Price, Pricing
from app.agent.wire import WireHistory, proxy_spend, upstream_retries

CUT_OFF_REASONS = frozenset({"length", "max_tokens"})  # the answer hit the output limit


class StreamDropped(Exception):
    """The response ended without the provider saying it was finished.

    ``reason`` is ``empty`` (a 200 with nothing in it) or ``incomplete`` (chunks
    came, then the stream closed before a ``finish_reason``). ``partial_text`` is
    what arrived; it is not an answer. Transient: the retry layer retries it.
    """

    def __init__(self, reason: str, *, partial_text: str = "", chunks: int = 0) -> None:
        what = "an empty response (HTTP 200, no data)" if reason == "empty" else (
            f"the stream closed after {chunks} chunk(s) without a finish_reason")
        super().__init__(f"stream dropped: {what}")
        self.reason = reason
        self.partial_text = partial_text


@dataclass
class RawToolCall:
    id: str
    name: str
    arguments: str  # raw JSON text as streamed

    def as_message_part(self) -> dict[str, Any]:
        return {"id": self.id, "type": "function", "function": {"name": self.name, "arguments": self.arguments}}


@dataclass
class ModelReply:
    text: str = ""
    tool_calls: list[RawToolCall] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    usage_missing: bool = False  # the provider sent no usage: the caller estimates it (Model.estimated)
    cost_usd: float | None = None  # None: unpriced
    cost_source: str | None = None  # litellm | configured; None when unpriced
    finish_reason: str | None = None
    latency_ms: float = 0.0
    upstream_retries: int | None = None  # retries a proxy made before answering (its header)
    upstream_max_retries: int | None = None
    proxy_key_spend_usd: float | None = None  # the key's total spend, as a LiteLLM proxy counts it (its header)
    proxy_cost_usd: float | None = None  # this call's cost, as a LiteLLM proxy counts it (its header)
    cache_breakpoints: int = 0  # cache_control breakpoints placed in the request
    cache_price: CachePrice = NO_CACHE_PRICE  # the call without caching, the saving, the writes' cost

    @property
    def cut_off(self) -> bool:
        """The answer stopped at the output-token limit, not because the model was done."""
        return self.finish_reason in CUT_OFF_REASONS

    def as_message(self) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": self.text or None}
        if self.tool_calls:
            message["tool_calls"] = [c.as_message_part() for c in self.tool_calls]
        return message


class Model(Protocol):
    name: str

    async def stream(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        on_text: Callable[[str], None],
    ) -> ModelReply: ...

    def priced_by(self) -> str | None:
        """Who prices this model's calls (``litellm``, ``configured``), or None: they are unpriced."""
        ...

    def estimated(self, reply: ModelReply, usage: Usage) -> ModelReply:
        """``reply`` (its ``usage_missing``) with ``usage``, Cockpit's estimate, in place and priced."""
        ...


class LiteLLMModel:
    """Any litellm model string: ``anthropic/...``, ``openai/...``, ``ollama/...``, ``scripted/...``."""

    def __init__(
        self,
        name: str,
        *,
        api_base: str | None = None,
        api_key: str | None = None,
        api_key_env: str | None = None,
        max_output_tokens: int | None = None,
        timeout_s: float = 600.0,
        extra: dict[str, Any] | None = None,
        pricing: Pricing = LITELLM_PRICING,
        prompt_cache: bool = True,  # place cache_control breakpoints where the provider needs them
    ) -> None:
        self.name = name
        self.pricing = pricing
        self.prompt_cache = prompt_cache  # the setting ([agent] prompt_cache)
        self.cache_breakpoints = prompt_cache and supports_cache_control(name)
        self.api_base = api_base
        self.api_key = api_key
        self.api_key_env = api_key_env  # read when a call is made, so the key is never stored
        self.max_output_tokens = max_output_tokens
        self.timeout_s = timeout_s
        self.extra = dict(extra or {})
        self.wire = WireHistory()  # the conversation as sent, converted as it grows
        if answered_offline(name) and api_base is None:
            # Gives this run its own cursor in the offline providers.
            self.api_base = f"cockpit-run://{uuid.uuid4().hex}"

    async def stream(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        on_text: Callable[[str], None],
    ) -> ModelReply:
        litellm = load_litellm()
        sent = self.wire.messages(messages)
        breakpoints = 0
        if self.cache_breakpoints:
            sent, tools, breakpoints = place_breakpoints(sent, tools)
        kwargs: dict[str, Any] = {
            "model": self.name,
            "messages": sent,
            "stream": True,
            "stream_options": {"include_usage": True},
            "num_retries": 0,
            "max_retries": 0,
            "timeout": self.timeout_s,
            **self.extra,
        }
        if tools:
            kwargs["tools"] = tools
            kwargs["tool_choice"] = "auto"  # llama-cpp-python calls no tool without it
            # Our tools are plain functions (MCP ones included): litellm's own MCP gateway never applies, and
            # its check would import the MCP SDK, uvicorn and starlette on the first call.
            kwargs["_skip_mcp_handler"] = True
        if self.api_base:
            kwargs["api_base"] = self.api_base
        api_key = self._api_key()
        if api_key:
            kwargs["api_key"] = api_key
        if self.max_output_tokens:
            kwargs["max_tokens"] = self.max_output_tokens

        started = time.perf_counter()
        reply = ModelReply(cache_breakpoints=breakpoints)
        text_parts: list[str] = []
        calls: dict[int, dict[str, Any]] = {}
        response = await litellm.acompletion(**kwargs)
        finished = False
        tail: list[Any] | None = None  # what the provider sent after its finish reason, read past litellm
        received = 0
        async for chunk in response:
            received += 1
            if received % FORGET_EVERY == 0:
                _forget_chunks(response)
            for choice in chunk.choices or []:
                finished = finished or bool(getattr(choice, "finish_reason", None))
                delta = choice.delta
                if delta is not None:
                    if delta.content:
                        text_parts.append(delta.content)
                        on_text(well_formed(delta.content))
                    for tc in delta.tool_calls or []:
                        _merge_tool_call(calls, tc)
            if finished and tail is None:
                rest = await _rest_of_provider_stream(response)
                tail = rest or []
                if rest is not None:  # litellm's wrapper, read to the provider's end: nothing more to read through it
                    await _close(response)
                    break
        reply.latency_ms = (time.perf_counter() - started) * 1000
        reply.text = well_formed("".join(text_parts))
        raw = _RawStream(response, tail)
        reply.finish_reason = raw.finish_reason()
        if reply.finish_reason is None:
            raise StreamDropped("empty" if not raw.chunks else "incomplete", partial_text=reply.text,
                                chunks=max(received, len(raw.chunks)))
        reply.tool_calls = [
            RawToolCall(id=c["id"] or f"call_{uuid.uuid4().hex[:12]}", name=c["name"], arguments=c["arguments"])
            for _, c in sorted(well_formed(calls).items())
        ]
        provider_usage = raw.usage()
        if provider_usage is not None:
            reply.usage = _usage(provider_usage, USAGE_PROVIDER)
        else:
            reply.usage_missing = True
        reply.upstream_retries, reply.upstream_max_retries = upstream_retries(raw.headers())
        reply.proxy_cost_usd, reply.proxy_key_spend_usd = proxy_spend(raw.headers())
        return self._priced(reply)

    def estimated(self, reply: ModelReply, usage: Usage) -> ModelReply:
        return self._priced(replace(reply, usage=usage, usage_missing=False))

    def _priced(self, reply: ModelReply) -> ModelReply:
        price = self.cost(reply.usage)
        if not price.known and reply.proxy_cost_usd is not None:  # a proxy's model name nobody else prices
            price = Price(reply.proxy_cost_usd, COST_PROXY)  # the proxy's count
        reply.cost_usd, reply.cost_source = price.usd, price.source
        if price.known:
            usage = reply.usage
            reply.cache_price = self.pricing.cache_price(
                self.name, prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens,
                cached_tokens=usage.cached_tokens, cache_write_tokens=usage.cache_write_tokens, cost=price)
        return reply

    def _api_key(self) -> str | None:
        """The configured key; with an ``api_base``, the named (or OpenAI's) variable, else a placeholder."""
        if self.api_key:
            return self.api_key
        if not self.api_base or not self.name.startswith("openai/"):
            return None  # litellm reads the provider's own variable
        return os.environ.get(self.api_key_env or "OPENAI_API_KEY") or "sk-no-key-needed"

    def priced_by(self) -> str | None:
        return self.pricing.source_for(self.name)

    def cost(self, usage: Usage) -> Price:
        """The price of ``usage`` (estimated usage gives an estimated cost); unpriced without usage."""
        if usage.source == USAGE_NONE:
            return UNPRICED
        return self.pricing.price(self.name, prompt_tokens=usage.prompt_tokens,
                                  completion_tokens=usage.completion_tokens, cached_tokens=usage.cached_tokens,
                                  cache_write_tokens=usage.cache_write_tokens)


async def _rest_of_provider_stream(response: Any) -> list[Any] | None:
    """After the finish reason: what the provider still sends (its usage, its ``[DONE]``, so the
    connection is reused), read from under litellm's wrapper; None when ``response`` is not that wrapper
    (then it is read on). The call ends there, with or without usage, without litellm's end-of-stream
    work: ``stream_chunk_builder`` rebuilds the whole answer from every chunk (~0.1 ms a chunk, holding
    the GIL the UI thread needs) for its own logging and usage estimate, which Cockpit does not use
    (usage the provider did not send is Cockpit's own estimate: ``usage_missing``)."""
    provider = getattr(response, "completion_stream", None)
    if provider is None or not hasattr(provider, "__aiter__"):
        return None
    return [chunk async for chunk in provider]


FORGET_EVERY = 256  # chunks read between two trims of litellm's list of them
KEPT_CHUNKS = 2  # litellm's repetition check compares the last two


def _forget_chunks(response: Any) -> None:
    """litellm's stream wrapper keeps every chunk it yields (``chunks``, ~4 KB each: ~24 MB for a 10,000-token
    answer) for its end-of-stream builder, which Cockpit's calls skip (:func:`_rest_of_provider_stream`). What is
    read of them is kept: the chunks with a usage or a finish reason (:class:`_RawStream`) and the last two
    (litellm's repetition check); the others go."""
    chunks = getattr(response, "chunks", None)
    if not isinstance(chunks, list) or len(chunks) <= KEPT_CHUNKS:
        return
    chunks[:-KEPT_CHUNKS] = [c for c in chunks[:-KEPT_CHUNKS] if _read_later(c)]


def _read_later(chunk: Any) -> bool:
    return getattr(chunk, "usage", None) is not None or any(
        getattr(choice, "finish_reason", None) for choice in getattr(chunk, "choices", None) or [])


async def _close(response: Any) -> None:
    close = getattr(response, "aclose", None)
    if close is not None:
        await close()


def _merge_tool_call(calls: dict[int, dict[str, Any]], tc: Any) -> None:
    index = getattr(tc, "index", None)
    if index is None:
        index = len(calls)
    entry = calls.setdefault(index, {"id": None, "name": "", "arguments": ""})
    if getattr(tc, "id", None):
        entry["id"] = tc.id
    function = getattr(tc, "function", None)
    if function is not None:
        if getattr(function, "name", None):
            entry["name"] = function.name
        if getattr(function, "arguments", None):
            entry["arguments"] += function.arguments


class _RawStream:
    """What the provider itself sent, read from litellm's stream wrapper.

    litellm keeps every chunk it received (``chunks``) before its stream builder
    adds the usage and ``finish_reason`` it makes up when the provider sent none.
    """

    def __init__(self, response: Any, tail: list[Any] | None = None) -> None:
        self.response = response
        chunks = getattr(response, "chunks", None)
        self.known = isinstance(chunks, list)
        self.chunks: list[Any] = (list(chunks) if isinstance(chunks, list) else []) + (tail or [])

    def finish_reason(self) -> str | None:
        if not self.known:  # not litellm's wrapper: take what it says
            return getattr(self.response, "finish_reason", None) or "stop"
        for chunk in reversed(self.chunks):
            for choice in getattr(chunk, "choices", None) or []:
                reason = getattr(choice, "finish_reason", None)
                if reason:
                    return str(reason)
        return None

    def usage(self) -> Any:
        """The last usage a chunk from the provider carried, or None."""
        return next((u for u in (getattr(c, "usage", None) for c in reversed(self.chunks)) if u), None)

    def headers(self) -> Mapping[str, Any]:
        hidden = getattr(self.response, "_hidden_params", None)
        headers = hidden.get("additional_headers") if isinstance(hidden, dict) else None
        return headers if isinstance(headers, Mapping) else {}


def _usage(usage: Any, source: str) -> Usage:
    def get(obj: Any, name: str) -> Any:
        if obj is None:
            return None
        if isinstance(obj, dict):
            return obj.get(name)
        return getattr(obj, name, None)

    def count(*found: Any) -> int | None:
        """The first count the provider sent (a sent 0 is a 0); None when it sent none, or for an estimate."""
        sent = [n for n in map(sent_count, found) if n is not None]
        return sent[0] if sent and source == USAGE_PROVIDER else None

    details = get(usage, "prompt_tokens_details")
    return Usage(
        prompt_tokens=int(get(usage, "prompt_tokens") or 0),
        completion_tokens=int(get(usage, "completion_tokens") or 0),
        cached_tokens=count(get(details, "cached_tokens"), get(usage, "cache_read_input_tokens")),
        cache_write_tokens=count(get(usage, "cache_creation_input_tokens"), get(details, "cache_write_tokens")),
        reported=source == USAGE_PROVIDER,
        source=source,
    )
