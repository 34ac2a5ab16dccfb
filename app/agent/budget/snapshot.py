"""A measurement of the window: categories, layout, thresholds and items.

Built by :class:`~app.agent.budget.budget.ContextBudget` from the counter, the
window and the calibration; turned into a :class:`ContextMeasured` event with
``to_event``. The per-item detail (top consumers, positions) is computed only
when asked for, so that measuring before every model call stays cheap; the event's
largest items and middle third come from the counter's ranking and each message's
place (``MessageCount.before``), so they cost the same at message 2,000 as at 20.

One basis: every category, item and tool is its *local* count, which does not
move while the thing counted does not change. Calibration enters in one place
only, ``unattributed`` = calibrated total − local total (negative when the
local count is above what the provider is expected to count); it belongs to
the fixed part. So ``fixed + used == calibrated_total`` exactly.
"""

from __future__ import annotations

import bisect
import heapq
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from app.agent.budget.calibration import CalibrationStats
from app.agent.budget.counter import (
    ASSISTANT,
    INSTRUCTIONS,
    PREAMBLE,
    SUMMARIES,
    SYSTEM,
    TOOL_CALLS,
    TOOL_RESULTS,
    TOOLS,
    USER,
    MessageCount,
    SubItem,
)
from app.agent.budget.items import SERVER_ITEM, TOOL_ITEM
from app.agent.events.budget import ContextMeasured

UNATTRIBUTED = "unattributed"
CATEGORY_LABELS = {
    SYSTEM: "system prompt",
    INSTRUCTIONS: "project instructions",
    PREAMBLE: "harness preamble",
    TOOLS: "tool definitions",
    UNATTRIBUTED: "unattributed",
    USER: "user messages",
    ASSISTANT: "assistant messages",
    TOOL_CALLS: "tool calls",
    TOOL_RESULTS: "tool results",
    SUMMARIES: "compaction summaries",
}
FIXED = (SYSTEM, INSTRUCTIONS, PREAMBLE, TOOLS)
OMITTED_WHEN_ZERO = (UNATTRIBUTED, INSTRUCTIONS)  # no calibration gap, no instruction files: not listed
CONVERSATION = (USER, ASSISTANT, TOOL_CALLS, TOOL_RESULTS, SUMMARIES)
TOOL_DEFINITION = "tool_definition"  # the kind of a tool's definition item (id ``tool:<name>``)
TOOL_SERVER = "tool_server"  # the kind of a server's tool definitions, together (id ``server:<name>``)


@dataclass
class BudgetSnapshot:
    """Everything ``measure`` knows. Token fields are calibrated unless named ``local``."""

    model: str
    tokenizer: str
    approximate: bool
    advertised: int
    advertised_source: str
    reserve: int
    buffer: int
    local: dict[str, int]  # raw local tokens per category (sum = local_total)
    scale: float
    local_total: int
    calibrated_total: int
    warn_fraction: float
    compact_fraction: float
    calibration: CalibrationStats
    tools: list[tuple[str, int]]
    records: list[MessageCount] = field(repr=False)
    ranked: list[tuple[int, int, int]] = field(default_factory=list, repr=False)  # the counter's, for these records
    tools_total: int = 0
    tool_servers: dict[str, str] = field(default_factory=dict)  # tool name -> the server it comes from (MCP)
    top_n: int = 8
    middle_warn_tokens: int = 16_000  # the middle-third warning needs a prompt at least this long ...
    middle_warn_share: float = 0.5  # ... whose middle third holds at least this share of the conversation

    @property
    def estimated_prompt_tokens(self) -> int:
        """The raw local estimate: what ``ModelCallStarted`` and ``record_usage`` carry."""
        return self.local_total

    @cached_property
    def shown(self) -> dict[str, int]:
        """Local tokens per category; ``unattributed`` closes the gap to the calibrated total."""
        shown = dict(self.local)
        shown[UNATTRIBUTED] = self.calibrated_total - self.local_total
        return shown

    @property
    def unattributed(self) -> int:
        """What the provider is expected to count beyond the local count (negative: below it)."""
        return self.shown[UNATTRIBUTED]

    @property
    def fixed(self) -> int:
        return sum(self.shown[k] for k in FIXED) + self.unattributed

    @property
    def used(self) -> int:
        return sum(self.shown[k] for k in CONVERSATION)

    @property
    def usable(self) -> int:
        """The window less the fixed part, the reserve and the buffer; never more than the window less the
        reserve and the buffer (a calibration that expects fewer tokens than the local count makes ``fixed``
        negative: the conversation still has no more room than the window)."""
        return max(1, self.advertised - max(0, self.fixed) - self.reserve - self.buffer)

    @property
    def free(self) -> int:
        return max(0, self.usable - self.used)

    @property
    def warn_at(self) -> int:
        return int(self.usable * self.warn_fraction)

    @property
    def compact_at(self) -> int:
        return int(self.usable * self.compact_fraction)

    @property
    def over_compact(self) -> bool:
        return self.used >= self.compact_at

    @property
    def level(self) -> str:
        if self.used >= self.compact_at:
            return "critical"
        return "warning" if self.used >= self.warn_at else "calm"

    def categories(self) -> list[dict[str, Any]]:
        """Every category in drawing order, as plain dicts (``pct`` of the advertised window)."""
        out = []
        for key in (*FIXED, UNATTRIBUTED, *CONVERSATION):
            tokens = self.shown[key]
            if key in OMITTED_WHEN_ZERO and tokens == 0:
                continue
            out.append(
                {
                    "key": key,
                    "label": CATEGORY_LABELS[key],
                    "tokens": tokens,
                    "local_tokens": self.local.get(key, 0),
                    "pct": round(100 * tokens / self.advertised, 2),
                }
            )
        return out

    @cached_property
    def positioned(self) -> list[dict[str, Any]]:
        """Every message as an item: local tokens, ``share`` of the local prompt, and its third.

        A system message Cockpit built is one item per section (the prompt, the
        environment, each project instruction file), all at the ``start``.

        Positions are thirds of the messages by cumulative tokens: an item sits
        in the third that holds its middle token. The system prompt opens the
        prompt, so it is always ``start``; so are the tool definitions (one item
        per tool, or per server for a server's tools: :meth:`tool_items`), which
        every request sends before the messages.
        """
        prompt = max(1, self.local_total)
        items: list[dict[str, Any]] = []
        for index, record in enumerate(self.records):
            position = self._position(index)
            items.extend(_item(part, prompt, position) for part in record.shown_items)  # a system message: one per section
        return items + self.tool_items()

    @property
    def _messages_tokens(self) -> int:
        last = self.records[-1] if self.records else None
        return max(1, last.before + last.tokens if last is not None else 0)

    def _middle_at(self, index: int) -> float:
        """Where message ``index``'s middle token sits, as a fraction of the messages' tokens."""
        record = self.records[index]
        return (record.before + record.tokens / 2) / self._messages_tokens

    def _position(self, index: int) -> str:
        return "start" if self.records[index].kind == SYSTEM else _third(self._middle_at(index))

    def tool_items(self) -> list[dict[str, Any]]:
        """The tool definitions as items: one per tool of Cockpit's own, one per server for a server's tools
        (``tool:<name>`` / ``server:<name>``), each with its local tokens."""
        prompt = max(1, self.local_total)
        parts: list[SubItem] = []
        served: dict[str, list[tuple[str, int]]] = {}
        for name, tokens in self.tools:
            server = self.tool_servers.get(name)
            if server is None:
                parts.append(SubItem(TOOL_ITEM + name, TOOL_DEFINITION, f"tool: {name}", tokens))
            else:
                served.setdefault(server, []).append((name, tokens))
        for server, tools in served.items():
            label = f"server {server}: {len(tools)} tool{'' if len(tools) == 1 else 's'}"
            parts.append(SubItem(SERVER_ITEM + server, TOOL_SERVER, label, sum(t for _, t in tools)))
        return [_item(part, prompt, "start") for part in parts]

    def top_items(self, n: int | None = None) -> list[dict[str, Any]]:
        """The ``n`` largest items of :attr:`positioned` (the earlier first among equals), from the ranking."""
        n = n or self.top_n
        prompt = max(1, self.local_total)
        largest = sorted(self.ranked[:n], key=lambda entry: entry[1:])  # back in prompt order
        items = [_item(self.records[index].shown_items[part], prompt, self._position(index)) for _, index, part in largest]
        return heapq.nlargest(n, items + self.tool_items(), key=lambda item: item["tokens"])

    @property
    def middle_tokens(self) -> int:
        """The tokens of the messages in the middle third (positions only grow along the conversation)."""
        records = self.records
        start = bisect.bisect_left(range(len(records)), True, key=lambda i: self._middle_at(i) >= 1 / 3)
        end = bisect.bisect_left(range(len(records)), True, key=lambda i: self._middle_at(i) >= 2 / 3)
        middle = [records[i] for i in (start, end - 1) if start < end]  # the first and the last of them
        if not middle:
            return 0
        tokens = middle[-1].before + middle[-1].tokens - middle[0].before
        return tokens - (middle[0].tokens if middle[0].kind == SYSTEM else 0)  # the system prompt is at the start

    @property
    def middle_share(self) -> float:
        """The share of the conversation's tokens that sits in the middle third."""
        conversation = sum(self.local.get(key, 0) for key in CONVERSATION)
        return self.middle_tokens / conversation if conversation else 0.0

    @property
    def middle_warning(self) -> bool:
        """Worth a "lost in the middle" warning: a long prompt whose middle third holds much of the conversation."""
        return self.local_total >= self.middle_warn_tokens and self.middle_share >= self.middle_warn_share

    def to_event(self, *, turn: int = 0) -> ContextMeasured:
        return ContextMeasured(
            model=self.model,
            turn=turn,
            tokenizer=self.tokenizer,
            estimate_is_approximate=self.approximate,
            advertised=self.advertised,
            advertised_source=self.advertised_source,
            fixed=self.fixed,
            reserve=self.reserve,
            buffer=self.buffer,
            usable=self.usable,
            used=self.used,
            free=self.free,
            used_pct=round(100 * self.used / self.usable, 2),
            warn_at=self.warn_at,
            compact_at=self.compact_at,
            level=self.level,
            local_total=self.local_total,
            calibrated_total=self.calibrated_total,
            categories=self.categories(),
            tools=[{"name": name, "tokens": tokens, **_server(self.tool_servers.get(name))} for name, tokens in self.tools],
            items=self.top_items(),
            middle_tokens=self.middle_tokens,
            middle_share=round(self.middle_share, 4),
            middle_warning=self.middle_warning,
            middle_warn_tokens=self.middle_warn_tokens,
            middle_warn_share=self.middle_warn_share,
            message_count=len(self.records),
            calibration=dict(self.calibration),
        )


def _item(part: SubItem, prompt: int, position: str) -> dict[str, Any]:
    return {"id": part.item_id, "kind": part.kind, "label": part.label, "tokens": part.tokens,
            "share": round(part.tokens / prompt, 4), "position": position}


def _server(server: str | None) -> dict[str, str]:
    return {"server": server} if server is not None else {}


def _third(fraction: float) -> str:
    return "start" if fraction < 1 / 3 else ("middle" if fraction < 2 / 3 else "end")
