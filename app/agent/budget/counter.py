"""Incremental token counts of a conversation, per category and per message.

The formula is the usual OpenAI one for chat prompts: every message costs 3
framing tokens plus its ``role``, its content text (text parts joined) and its
``name`` (+ 1); an assistant tool call costs its function name and arguments;
the reply is primed with 3 more tokens. Tool definitions cost their name,
description and JSON schema plus 7 each, and 12 once (OpenAI's published
estimate for functions). The same formula is applied with every tokenizer, so
only the text counts differ between models. Whatever a provider adds on top
(ids, its own tool prompt) is left to calibration.

A system message Cockpit built (see :mod:`app.agent.budget.layouts`) is counted
section by section: the prompt and the environment go to ``system``, each
project instruction file to ``instructions``, and every section is an item of
its own; the message's tokens are the sum of its sections.

Counting is incremental. Messages are treated as values: to change one, put a
new dict in its place (as compaction does). The counter remembers the list it
measured last; on the next call the unchanged prefix (same dicts, same content
objects) costs a few identity checks, and only new or replaced messages are
counted. Texts are also cached by content (``dict[str, int]``: Python hashes
a string once), so a rebuilt list with the same texts costs no re-encoding.
Each record knows the tokens before it (``before``: its place in the prompt), and
the counter keeps every item ranked by size (``ranked``), so the largest items and
the middle third are found without going through the whole conversation.
"""

from __future__ import annotations

import bisect
import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.agent.budget.layouts import Section
from app.agent.events.mentions import MENTION, attachment_label

# Category keys, in the order the pane draws them.
SYSTEM = "system"
INSTRUCTIONS = "instructions"  # project instruction files (AGENTS.md, CLAUDE.md) in the system message
PREAMBLE = "preamble"
TOOLS = "tools"
USER = "user"
ASSISTANT = "assistant"
TOOL_CALLS = "tool_calls"
TOOL_RESULTS = "tool_results"
SUMMARIES = "summaries"
MESSAGE_CATEGORIES = (SYSTEM, INSTRUCTIONS, PREAMBLE, USER, ASSISTANT, TOOL_CALLS, TOOL_RESULTS, SUMMARIES)

MESSAGE_FRAMING = 3
NAME_TOKENS = 1
REPLY_PRIMING = 3
TOOL_FRAMING = 7
TOOLS_FRAMING = 12
IMAGE_TOKENS = 765  # a high-detail image tile set; images are rare in a coding agent

# Compaction summaries start with this, which is how they are recognised.
SUMMARY_MARKER = "[cockpit: summary of earlier conversation]"

_TEXT_CACHE_LIMIT = 50_000

Sections = Callable[[str], "tuple[Section, ...] | None"]  # a system message's sections, if known


@dataclass(frozen=True, slots=True)
class SubItem:
    """A part of one message shown as an item of its own (a section of the system message)."""

    item_id: str
    kind: str
    label: str
    tokens: int


@dataclass(slots=True)
class MessageCount:
    """The counted form of one message: its parts per category and its item."""

    message: dict[str, Any]
    content: Any  # the content object seen when counted (identity check)
    tool_calls: Any
    kind: str  # system | preamble | user | assistant | tool_result | summary
    item_id: str  # tool_call_id for tool results, "m<index>" otherwise
    label: str
    parts: tuple[tuple[str, int], ...]  # (category, tokens)
    tokens: int
    items: tuple[SubItem, ...] = ()  # its sections, when it is a system message Cockpit built (sum = tokens)
    before: int = 0  # tokens of the messages before it in the conversation

    @property
    def shown_items(self) -> tuple[SubItem, ...]:
        """What it shows as items: its sections, or itself."""
        return self.items or (SubItem(self.item_id, self.kind, self.label, self.tokens),)


@dataclass(slots=True)
class ToolCount:
    name: str
    tokens: int


class MessageCounter:
    """Keeps the counts of the last measured conversation up to date."""

    def __init__(self, count_text: Callable[[str], int], sections: Sections | None = None) -> None:
        self._count_text = count_text
        self._sections = sections
        self._texts: dict[str, int] = {}
        self.records: list[MessageCount] = []
        self.ranked: list[tuple[int, int, int]] = []  # (-tokens, message, part) of every item: largest first, then in order
        self.totals: dict[str, int] = dict.fromkeys(MESSAGE_CATEGORIES, 0)
        self.tools: list[ToolCount] = []
        self._tools_seen: list[dict[str, Any]] = []
        self._tool_json: dict[str, int] = {}
        self._call_labels: dict[str, str] = {}
        self.encoded_chars = 0  # characters actually encoded (for tests and the benchmark)

    # --- the conversation --------------------------------------------------------

    def update(self, messages: list[dict[str, Any]]) -> None:
        """Bring ``records`` and ``totals`` in line with ``messages``."""
        records = self.records
        keep = 0
        for record, message in zip(records, messages):  # the unchanged prefix: same dicts, same content
            if (
                message is not record.message
                or message.get("content") is not record.content
                or message.get("tool_calls") is not record.tool_calls
            ):
                break
            keep += 1
        if keep < len(records):
            for record in records[keep:]:
                self._add(record, -1)
            del records[keep:]
            self.ranked = [entry for entry in self.ranked if entry[1] < keep]
        for index in range(keep, len(messages)):
            record = self._count_message(index, messages[index])
            record.before = records[-1].before + records[-1].tokens if records else 0
            records.append(record)
            self._add(record, +1)
            for part, item in enumerate(record.shown_items):
                bisect.insort(self.ranked, (-item.tokens, index, part))

    @property
    def messages_total(self) -> int:
        total = sum(self.totals.values())
        return total + REPLY_PRIMING if self.records else total

    def _add(self, record: MessageCount, sign: int) -> None:
        totals = self.totals
        for category, tokens in record.parts:
            totals[category] += sign * tokens

    def _count_message(self, index: int, message: dict[str, Any]) -> MessageCount:
        role = str(message.get("role") or "")
        content = message.get("content")
        calls = message.get("tool_calls") or []
        text_tokens = self._content_tokens(content)
        fields = MESSAGE_FRAMING + self.text(role)
        name = message.get("name")
        if isinstance(name, str) and name:
            fields += self.text(name) + NAME_TOKENS
        kind = _kind(index, role, content)
        item_id = f"m{index}"
        parts: tuple[tuple[str, int], ...]
        sections = self._sections(content) if kind == SYSTEM and isinstance(content, str) and self._sections else None
        if sections:
            return self._count_sections(message, item_id, fields, sections)
        if role == "tool":
            item_id = str(message.get("tool_call_id") or item_id)
            label = self._call_labels.get(item_id, "tool result")
            parts = ((TOOL_RESULTS, fields + text_tokens),)
        elif role == "assistant":
            call_tokens = sum(self._call_tokens(call) for call in calls)
            names = []
            for call in calls:
                function = call.get("function") or {}
                self._call_labels[str(call.get("id") or "")] = call_label(function)
                names.append(str(function.get("name") or "?"))
            label = _text_label("assistant", content) if text_tokens or not names else "assistant → " + ", ".join(names)
            if text_tokens:
                parts = ((ASSISTANT, fields + text_tokens), (TOOL_CALLS, call_tokens))
            else:
                parts = ((TOOL_CALLS, fields + call_tokens),)
        else:
            category = {SYSTEM: SYSTEM, PREAMBLE: PREAMBLE, "summary": SUMMARIES}.get(kind, USER)
            label = {SYSTEM: "system prompt", PREAMBLE: "harness preamble", "summary": "compaction summary"}.get(
                kind
            ) or attachment_label(content) or _text_label(role or "message", content)  # an @mention: "@path"
            parts = ((category, fields + text_tokens),)
        return MessageCount(
            message=message,
            content=content,
            tool_calls=message.get("tool_calls"),
            kind=kind,
            item_id=item_id,
            label=label,
            parts=tuple(p for p in parts if p[1]),
            tokens=sum(p[1] for p in parts),
        )

    def _count_sections(
        self, message: dict[str, Any], item_id: str, fields: int, sections: tuple[Section, ...]
    ) -> MessageCount:
        """A system message Cockpit built: each section is counted and is an item; the framing goes to the first."""
        items = [SubItem(s.item_id, s.kind, s.label, self.text(s.text)) for s in sections]
        items[0] = SubItem(items[0].item_id, items[0].kind, items[0].label, items[0].tokens + fields)
        totals: dict[str, int] = {}
        for section, item in zip(sections, items):
            totals[section.category] = totals.get(section.category, 0) + item.tokens
        return MessageCount(
            message=message,
            content=message.get("content"),
            tool_calls=message.get("tool_calls"),
            kind=SYSTEM,
            item_id=item_id,
            label="system prompt",
            parts=tuple((category, tokens) for category, tokens in totals.items() if tokens),
            tokens=sum(item.tokens for item in items),
            items=tuple(items),
        )

    def _content_tokens(self, content: Any) -> int:
        if isinstance(content, str):
            return self.text(content)
        if isinstance(content, list):
            texts = [p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)]
            images = sum(1 for p in content if isinstance(p, dict) and p.get("type") in ("image_url", "image"))
            return self.text("".join(texts)) + images * IMAGE_TOKENS
        return 0

    def _call_tokens(self, call: dict[str, Any]) -> int:
        function = call.get("function") or {}
        arguments = function.get("arguments")
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments, default=str) if arguments is not None else ""
        return self.text(str(function.get("name") or "")) + self.text(arguments)

    def text(self, text: str) -> int:
        """Tokens of one text, cached by content."""
        cached = self._texts.get(text)
        if cached is None:
            if len(self._texts) >= _TEXT_CACHE_LIMIT:
                self._texts.clear()
            cached = self._texts[text] = self._count_text(text)
            self.encoded_chars += len(text)
        return cached

    # --- tool definitions ----------------------------------------------------------

    def update_tools(self, tools: list[dict[str, Any]]) -> None:
        """Count tool definitions; an equal list (even rebuilt each call) costs one comparison."""
        if tools == self._tools_seen:
            return
        self.tools = [self._count_tool(tool) for tool in tools]
        self._tools_seen = copy.deepcopy(tools)

    @property
    def tools_total(self) -> int:
        return sum(c.tokens for c in self.tools) + (TOOLS_FRAMING if self.tools else 0)

    def _count_tool(self, tool: dict[str, Any]) -> ToolCount:
        function = tool.get("function")
        if not isinstance(function, dict):
            function = tool
        name = str(function.get("name") or "?")
        key = json.dumps(function, sort_keys=True, default=str)
        tokens = self._tool_json.get(key)
        if tokens is None:
            schema = json.dumps(function.get("parameters") or {}, separators=(",", ":"), sort_keys=True, default=str)
            tokens = TOOL_FRAMING + self.text(name) + self.text(str(function.get("description") or "")) + self.text(schema)
            self._tool_json[key] = tokens
        return ToolCount(name=name, tokens=tokens)


def _kind(index: int, role: str, content: Any) -> str:
    if isinstance(content, str) and content.startswith(SUMMARY_MARKER):
        return "summary"
    if role == "system":
        return SYSTEM if index == 0 else PREAMBLE
    if role == "tool":
        return "tool_result"
    if role == "assistant":
        return "assistant"
    return MENTION if role == "user" and attachment_label(content) else "user"  # an @mention's file: a user message


def call_label(function: dict[str, Any]) -> str:
    """``read_file(app.py)``: a tool call in a few words, from its name and first argument."""
    name = str(function.get("name") or "?")
    arguments = function.get("arguments")
    try:
        parsed = json.loads(arguments) if isinstance(arguments, str) else arguments
    except (ValueError, TypeError, RecursionError):  # malformed, or hostile (nested too deep)
        parsed = None
    if isinstance(parsed, dict) and parsed:
        first = next(iter(parsed.values()))
        return f"{name}({_shorten(first if isinstance(first, str) else json.dumps(first), 40)})"
    return f"{name}()"


def _text_label(role: str, content: Any) -> str:
    if isinstance(content, list):
        content = " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return f"{role}: {_shorten(str(content or ''), 48)}"


def _shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
