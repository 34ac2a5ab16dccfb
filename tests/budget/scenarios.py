"""Deterministic conversations and event streams for the budget tests.

Events go through a recorder that stamps them like the bus would and
round-trips them through ``to_dict`` / ``event_from_dict``, so every state the
pane tests render is built exactly as replay would build it.
"""

from __future__ import annotations

import json
import random
from typing import Any

from app.agent.budget.budget import ContextBudget
from app.agent.budget.config import BudgetConfig
from app.agent.events.budget_view import BudgetState
from app.agent.events.core import Event, SessionStarted, TurnStarted, event_from_dict

MODEL = "openai/gpt-4o"


class Recorder:
    """An ``emit`` that stamps events (session, seq, a fixed clock) and keeps their round-tripped copies."""

    def __init__(self, session_id: str = "s1") -> None:
        self.session_id = session_id
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        event.session_id = self.session_id
        event.seq = len(self.events) + 1
        event.ts = 1_700_000_000.0 + event.seq
        self.events.append(event_from_dict(event.to_dict()))

    def of_type(self, type_name: str) -> list[Any]:
        return [e for e in self.events if e.type == type_name]


def tool_defs() -> list[dict[str, Any]]:
    def tool(name: str, description: str, props: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": name,
                "description": description,
                "parameters": {"type": "object", "properties": props, "required": list(props)},
            },
        }

    return [
        tool("read_file", "Read a text file of the workspace.", {"path": {"type": "string"}}),
        tool("bash", "Run a shell command in the workspace.", {"command": {"type": "string"}}),
        tool("edit_file", "Replace text in a file.", {"path": {"type": "string"}, "old": {"type": "string"}, "new": {"type": "string"}}),
    ]


def code(chars: int, seed: int) -> str:
    """Source-like text of about ``chars`` characters, the same for the same seed."""
    rng = random.Random(seed)
    words = ["def", "return", "value", "items", "config", "path", "result", "None", "self", "for", "in"]
    lines = []
    size = 0
    while size < chars:
        line = f"{len(lines) + 1:4d}  {' '.join(rng.choice(words) for _ in range(5))} x{rng.randint(0, 99)}"
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines)[:chars]


def system_prompt() -> list[dict[str, Any]]:
    return [
        {"role": "system", "content": "You are Cockpit, a careful coding agent. Read before you edit. " * 6},
        {"role": "user", "content": "The parser test fails on empty input. Find the cause and fix it."},
    ]


def step(index: int, name: str, arguments: dict[str, Any], result: str, text: str | None = None) -> list[dict[str, Any]]:
    call_id = f"call_{index}"
    return [
        {
            "role": "assistant",
            "content": text,
            "tool_calls": [{"id": call_id, "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}],
        },
        {"role": "tool", "tool_call_id": call_id, "content": result},
    ]


def grow(messages: list[dict[str, Any]], turn_steps: int, start: int, chars: int) -> list[dict[str, Any]]:
    out = list(messages)
    for i in range(start, start + turn_steps):
        out += step(i, "read_file", {"path": f"src/parser/mod_{i}.py"}, code(chars, seed=i))
    return out


def budget(window: int = 16_000, **config: Any) -> ContextBudget:
    return ContextBudget(MODEL, BudgetConfig(**config), advertised_window=window)


def state_from(events: list[Event]) -> BudgetState:
    state = BudgetState()
    for event in events:
        state.apply(event)
    return state


def empty_session() -> Recorder:
    recorder = Recorder()
    recorder(SessionStarted(model=MODEL, title="fix the parser"))
    return recorder


TURN_CHARS = (2_600, 3_000, 3_400, 1_600)


async def near_threshold_session() -> tuple[Recorder, ContextBudget, list[dict[str, Any]]]:
    """Four turns that fill the usable window to just under the compaction threshold."""
    recorder = empty_session()
    b = budget()
    tools = tool_defs()
    messages = system_prompt()
    index = 0
    for turn, chars in enumerate(TURN_CHARS, start=1):
        recorder(TurnStarted(turn=turn, user_text="continue"))
        if turn > 1:
            messages.append({"role": "user", "content": f"Turn {turn}: keep going, check the next module."})
        messages = grow(messages, 2, index, chars)
        index += 2
        messages = await b.prepare(messages, tools, emit=recorder, summarize=None, turn=turn) or messages
        estimate = b.measure(messages, tools).estimated_prompt_tokens
        hidden = 120 + (turn * 7) % 5  # a provider that adds its own tokens, with a little jitter
        b.record_usage(MODEL, estimate, estimate + hidden, emit=recorder, call_id=f"call-{turn}")
    return recorder, b, messages


async def after_compaction_session() -> Recorder:
    """The near-threshold session, one more turn, and the ladder it triggers."""
    recorder, b, messages = await near_threshold_session()
    recorder(TurnStarted(turn=5, user_text="one more"))
    messages = messages + [{"role": "user", "content": "Turn 5: read the lexer too."}]
    messages = grow(messages, 1, 20, 4_000)
    messages += step(30, "bash", {"command": "pytest -x tests/parser"}, code(20_000, seed=30))

    async def summarize(old: list[dict[str, Any]]) -> str:
        return f"Read {len(old)} messages about the parser.\nGoals: fix empty input.\nOpen items: run the tests."

    await b.prepare(messages, tool_defs(), emit=recorder, summarize=summarize, turn=5)
    return recorder
