"""The Model protocol and its litellm implementation.

``Model.stream`` performs exactly one streamed chat completion: it calls
``on_text`` for every text fragment and returns a :class:`ModelReply` with the
assembled text, the tool calls (arguments kept raw, as the model sent them),
the provider-reported usage and litellm's cost. Provider errors propagate as
litellm's exceptions; retrying is the harness's job, never litellm's.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.agent.events.core import Usage
from app.agent.offline import load_litellm


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
    cost_usd: float = 0.0
    finish_reason: str | None = None
    latency_ms: float = 0.0

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


class LiteLLMModel:
    """Any litellm model string: ``anthropic/...``, ``openai/...``, ``ollama/...``, ``scripted/...``."""

    def __init__(
        self,
        name: str,
        *,
        api_base: str | None = None,
        api_key: str | None = None,
        max_output_tokens: int | None = None,
        timeout_s: float = 600.0,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.api_base = api_base
        self.api_key = api_key
        self.max_output_tokens = max_output_tokens
        self.timeout_s = timeout_s
        self.extra = dict(extra or {})
        if name.startswith(("scripted/", "replay/")) and api_base is None:
            # Gives this run its own cursor in the offline providers.
            self.api_base = f"cockpit-run://{uuid.uuid4().hex}"

    async def stream(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        on_text: Callable[[str], None],
    ) -> ModelReply:
        litellm = load_litellm()
        kwargs: dict[str, Any] = {
            "model": self.name,
            "messages": messages,
            "stream": True,
            "stream_options": {"include_usage": True},
            "num_retries": 0,
            "max_retries": 0,
            "timeout": self.timeout_s,
            **self.extra,
        }
        if tools:
            kwargs["tools"] = tools
        if self.api_base:
            kwargs["api_base"] = self.api_base
        if self.api_key:
            kwargs["api_key"] = self.api_key
        elif self.api_base and self.name.startswith("openai/"):
            kwargs["api_key"] = "sk-no-key-needed"  # local OpenAI-compatible servers
        if self.max_output_tokens:
            kwargs["max_tokens"] = self.max_output_tokens

        started = time.perf_counter()
        reply = ModelReply()
        text_parts: list[str] = []
        calls: dict[int, dict[str, Any]] = {}
        response = await litellm.acompletion(**kwargs)
        async for chunk in response:
            usage = getattr(chunk, "usage", None)
            if usage:
                reply.usage = _usage(usage)
            for choice in chunk.choices or []:
                delta = choice.delta
                if delta is not None:
                    if delta.content:
                        text_parts.append(delta.content)
                        on_text(delta.content)
                    for tc in delta.tool_calls or []:
                        _merge_tool_call(calls, tc)
                if choice.finish_reason:
                    reply.finish_reason = choice.finish_reason
        reply.latency_ms = (time.perf_counter() - started) * 1000
        reply.text = "".join(text_parts)
        reply.tool_calls = [
            RawToolCall(id=c["id"] or f"call_{uuid.uuid4().hex[:12]}", name=c["name"], arguments=c["arguments"])
            for _, c in sorted(calls.items())
        ]
        reply.cost_usd = self.cost(reply.usage)
        return reply

    def cost(self, usage: Usage) -> float:
        if not usage.reported or self.name.startswith(("scripted/", "replay/")):
            return 0.0
        litellm = load_litellm()
        try:
            prompt_cost, completion_cost = litellm.cost_per_token(
                model=self.name,
                prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens,
                cache_read_input_tokens=usage.cached_tokens,
                cache_creation_input_tokens=usage.cache_write_tokens,
            )
        except Exception:  # unknown model: litellm has no price for it
            return 0.0
        return float(prompt_cost + completion_cost)


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


def _usage(usage: Any) -> Usage:
    def get(obj: Any, name: str) -> Any:
        if obj is None:
            return None
        if isinstance(obj, dict):
            return obj.get(name)
        return getattr(obj, name, None)

    details = get(usage, "prompt_tokens_details")
    cached = get(details, "cached_tokens") or get(usage, "cache_read_input_tokens") or 0
    cache_write = get(usage, "cache_creation_input_tokens") or 0
    return Usage(
        prompt_tokens=int(get(usage, "prompt_tokens") or 0),
        completion_tokens=int(get(usage, "completion_tokens") or 0),
        cached_tokens=int(cached),
        cache_write_tokens=int(cache_write),
        reported=True,
    )
