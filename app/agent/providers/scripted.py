"""``scripted/<path.json>``: an offline litellm provider that replays a script.

For tests, demos and benchmarks. It is registered through litellm's custom
provider mechanism, so every call takes the real ``litellm.acompletion`` path.

The script is a JSON list of assistant turns, consumed one per model call::

    [
      {"text": "I'll look at the file.",
       "tool_calls": [{"name": "read_file", "arguments": {"path": "app.py"}}]},
      {"text": "Fixed.", "usage": {"prompt_tokens": 900, "completion_tokens": 12}},
      {"error": {"status": 429, "message": "slow down", "retry_after": 1}},
      {"text": "slow answer", "chunk_chars": 4, "chunk_delay": 0.002}
    ]

``arguments`` may be an object or a raw string (to script malformed JSON).
``usage`` is what the script reports as the provider; a turn without it reports none,
so its usage is Cockpit's estimate (``estimated``), as for any provider that sends none.
``chunk_delay`` paces the stream as a server would: chunk *n* is sent
``n * chunk_delay`` seconds after the first, whatever the reader does meanwhile
(a reader that fell behind gets the chunks already due at once, as from a socket).
Each run keeps its own cursor (keyed by the ``api_base`` the model adapter
passes, unique per run); a new cursor starts at the number of assistant messages
already in the conversation, so a resumed session continues the script.
When the script is exhausted the provider answers with a short notice.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypedDict

import httpx
from litellm.llms.custom_llm import CustomLLM, CustomLLMError

from app.agent.providers.script_file import ScriptError, approx_tokens, load_script

if TYPE_CHECKING:
    from litellm import ModelResponse

EXHAUSTED_TEXT = "(the scripted model has no more turns)"


# The chunk shapes litellm's custom providers stream (its ``GenericStreamingChunk``;
# litellm.types is not analysed, see [tool.mypy] in pyproject.toml).
class FunctionCall(TypedDict):
    name: str
    arguments: str


class ToolUse(TypedDict):
    id: str
    type: Literal["function"]
    function: FunctionCall
    index: int


class Usage(TypedDict):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class Chunk(TypedDict):
    text: str
    tool_use: ToolUse | None
    is_finished: bool
    finish_reason: str
    usage: Usage | None
    index: int


class StatusError(Protocol):
    """The constructor shared by litellm's exceptions for an HTTP status."""

    def __call__(self, *, message: str, llm_provider: str, model: str, response: httpx.Response) -> Exception: ...


class ScriptedLLM(CustomLLM):
    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._cursors: dict[tuple[str, str], int] = {}
        self._scripts: dict[str, tuple[float, list[dict[str, Any]]]] = {}

    # --- script bookkeeping --------------------------------------------------

    def _script(self, path: str) -> list[dict[str, Any]]:
        try:
            mtime = Path(path).stat().st_mtime
        except OSError:
            mtime = -1.0
        cached = self._scripts.get(path)
        if cached is None or cached[0] != mtime:
            try:
                cached = (mtime, load_script(path))
            except ScriptError as exc:
                raise CustomLLMError(status_code=400, message=str(exc)) from None
            self._scripts[path] = cached
        return cached[1]

    def _next_turn(self, model: str, api_base: str | None, messages: list[dict[str, Any]]) -> dict[str, Any]:
        # litellm hands custom providers the model without its "scripted/" prefix.
        path = model.split("/", 1)[1] if model.startswith(("scripted/", "replay/")) else model
        script = self._script(path)
        key = (api_base or "", path)
        with self._lock:
            if key not in self._cursors:
                self._cursors[key] = sum(1 for m in messages if m.get("role") == "assistant")
            index = self._cursors[key]
            self._cursors[key] = index + 1
        if index >= len(script):
            return {"text": EXHAUSTED_TEXT}
        return script[index]

    # --- the turn as stream chunks ---------------------------------------------

    def _chunks(self, turn: dict[str, Any], messages: list[dict[str, Any]]) -> Iterator[tuple[float, Chunk]]:
        error = turn.get("error")
        if error:
            raise _as_error(error)
        text = str(turn.get("text") or "")
        size = max(1, int(turn.get("chunk_chars", 24)))
        delay = float(turn.get("chunk_delay", 0.0))
        for start in range(0, len(text), size):
            yield delay, _chunk(text=text[start : start + size])
        calls = turn.get("tool_calls") or []
        for index, call in enumerate(calls):
            arguments = call.get("arguments", {})
            if not isinstance(arguments, str):
                arguments = json.dumps(arguments)
            yield 0.0, _chunk(
                tool_use={
                    "id": call.get("id") or f"call_{int(time.time() * 1000) % 10**8}_{index}",
                    "type": "function",
                    "function": {"name": call.get("name", ""), "arguments": arguments},
                    "index": index,
                }
            )
        yield 0.0, _chunk(is_finished=True, finish_reason="tool_calls" if calls else "stop",
                          usage=_scripted_usage(turn, messages, text, calls))

    # --- litellm entry points --------------------------------------------------

    # litellm declares astreaming ``async def`` but does not await it: a plain function, so a
    # scripted error is raised at call time, as a provider's HTTP error would be.
    def astreaming(  # type: ignore[override]
        self, model: str, messages: list[dict[str, Any]], api_base: str, *args: Any, **kwargs: Any
    ) -> AsyncIterator[Chunk]:
        turn = self._next_turn(model, api_base, messages)
        chunks = self._chunks(turn, messages)
        first = next(chunks)

        async def generate() -> AsyncIterator[Chunk]:
            due = time.monotonic()
            for delay, chunk in (first, *chunks):
                due += delay
                if (wait := due - time.monotonic()) > 0:
                    await asyncio.sleep(wait)
                yield chunk

        return generate()

    def streaming(
        self, model: str, messages: list[dict[str, Any]], api_base: str, *args: Any, **kwargs: Any
    ) -> Iterator[Chunk]:
        turn = self._next_turn(model, api_base, messages)
        chunks = self._chunks(turn, messages)
        first = next(chunks)

        def generate() -> Iterator[Chunk]:
            due = time.monotonic()
            for delay, chunk in (first, *chunks):
                due += delay
                if (wait := due - time.monotonic()) > 0:
                    time.sleep(wait)
                yield chunk

        return generate()

    def completion(
        self,
        model: str,
        messages: list[dict[str, Any]],
        api_base: str,
        custom_prompt_dict: dict[str, Any],
        model_response: ModelResponse,
        *args: Any,
        **kwargs: Any,
    ) -> ModelResponse:
        import litellm

        turn = self._next_turn(model, api_base, messages)
        chunks = [c for _, c in self._chunks(turn, messages)]
        text = "".join(c["text"] for c in chunks)
        tool_calls = [tool for c in chunks if (tool := c["tool_use"]) is not None]
        usage = chunks[-1]["usage"]
        message: dict[str, Any] = {"role": "assistant", "content": text or None}
        if tool_calls:
            message["tool_calls"] = [{k: v for k, v in c.items() if k != "index"} for c in tool_calls]
        return litellm.ModelResponse(
            model=model,
            choices=[{"index": 0, "message": message, "finish_reason": chunks[-1]["finish_reason"]}],
            usage=usage,
        )

    async def acompletion(self, *args: Any, **kwargs: Any) -> ModelResponse:
        return self.completion(*args, **kwargs)


def _scripted_usage(turn: dict[str, Any], messages: list[dict[str, Any]], text: str,
                    calls: list[dict[str, Any]]) -> Usage | None:
    """The usage the script reports (it plays the provider), the part it leaves out as a rough count;
    None when it reports none: the call's usage is then Cockpit's estimate, as for any provider that
    sends none (never a rough count passed off as the provider's)."""
    usage = turn.get("usage")
    if not usage:
        return None
    completion = len(text) // 4 + sum(len(json.dumps(c.get("arguments", ""))) // 4 for c in calls)
    prompt = int(usage.get("prompt_tokens", approx_tokens(messages)))
    completion = int(usage.get("completion_tokens", completion))
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _chunk(
    text: str = "",
    tool_use: ToolUse | None = None,
    is_finished: bool = False,
    finish_reason: str = "",
    usage: Usage | None = None,
) -> Chunk:
    return {
        "text": text,
        "tool_use": tool_use,
        "is_finished": is_finished,
        "finish_reason": finish_reason,
        "usage": usage,
        "index": 0,
    }


def _as_error(error: dict[str, Any]) -> Exception:
    """A scripted failure, raised as the litellm exception a real provider would cause."""
    from litellm import exceptions

    status = int(error.get("status", 500))
    message = str(error.get("message", f"scripted error {status}"))
    headers: dict[str, str] = {}
    if error.get("retry_after") is not None:
        headers["retry-after"] = str(error["retry_after"])
    response = httpx.Response(status, headers=headers, request=httpx.Request("POST", "http://scripted.invalid"))
    if error.get("kind") == "context_window":
        return exceptions.ContextWindowExceededError(message=message, model="scripted", llm_provider="scripted", response=response)
    if error.get("kind") == "timeout":
        return exceptions.Timeout(message=message, model="scripted", llm_provider="scripted")
    by_status: dict[int, StatusError] = {
        400: exceptions.BadRequestError,
        401: exceptions.AuthenticationError,
        403: exceptions.PermissionDeniedError,
        404: exceptions.NotFoundError,
        429: exceptions.RateLimitError,
        503: exceptions.ServiceUnavailableError,
    }
    cls = by_status.get(status, exceptions.InternalServerError)
    return cls(message=message, llm_provider="scripted", model="scripted", response=response)
