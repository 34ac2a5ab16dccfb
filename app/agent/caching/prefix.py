"""What a prompt's prefix is made of, item by item, each with a fingerprint (a hash of its bytes).

The items come in the order the provider reads them: the tool definitions (one item: the cache
sees them as one block, and their order matters), then the system message section by section
(the prompt, the environment, each instruction file: known from the budget's layouts; a system
message nobody registered is one item), then each message. :func:`first_change` compares two
calls' items and returns the first that differs, which is where the cache stopped matching.

:class:`PrefixHasher` gives the same items incrementally, so a call costs its new messages, not the
whole history. Messages are values (to change one, a new dict is put in its place, as compaction
does; see :mod:`app.agent.budget.counter`): the items of the leading messages that are the same
dicts as last time are kept, and only the rest is hashed.
"""

from __future__ import annotations

import copy
import hashlib
import json
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from app.agent.events.cache import (
    CAUSE_COMPACTION,
    CAUSE_ENVIRONMENT,
    CAUSE_HISTORY,
    CAUSE_INSTRUCTIONS,
    CAUSE_SYSTEM,
    CAUSE_TOOLS,
)

KIND_TOOLS, KIND_SYSTEM, KIND_ENVIRONMENT, KIND_INSTRUCTIONS, KIND_MESSAGE = (
    "tools", "system", "environment", "instructions", "message")
CAUSE_BY_KIND = {KIND_TOOLS: CAUSE_TOOLS, KIND_SYSTEM: CAUSE_SYSTEM, KIND_ENVIRONMENT: CAUSE_ENVIRONMENT,
                 KIND_INSTRUCTIONS: CAUSE_INSTRUCTIONS}


class SystemSection(Protocol):
    @property
    def kind(self) -> str: ...  # system | environment | instructions

    @property
    def label(self) -> str: ...

    @property
    def text(self) -> str: ...


class SectionsOf(Protocol):
    """The budget's layouts: the sections a system message Cockpit built is made of."""

    def sections(self, content: str) -> Sequence[SystemSection] | None: ...


@dataclass(frozen=True, slots=True)
class PrefixItem:
    kind: str  # tools | system | environment | instructions | message
    label: str
    digest: str
    named: bool = True  # False: the label only repeats what the cause says (``tools``, ``system prompt``)


@dataclass(frozen=True, slots=True)
class Change:
    """The first item that differs between two calls' prefixes."""

    cause: str
    item: str


def fingerprint(value: Any) -> str:
    """A short hash of ``value``'s canonical JSON bytes."""
    raw = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.blake2b(raw.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def unchanged_prefix(seen: Sequence[object], current: Sequence[object]) -> int:
    """How many leading items of ``current`` are the very objects of ``seen`` (messages are values: the
    same dict is the same message); a conversation that was only appended to costs one pass in C."""
    if len(current) >= len(seen) and all(map(operator.is_, seen, current)):
        return len(seen)
    return next((i for i, (old, new) in enumerate(zip(seen, current)) if old is not new), min(len(seen), len(current)))


def prefix_items(messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]],
                 layouts: SectionsOf | None = None) -> list[PrefixItem]:
    return PrefixHasher(layouts).items(messages, tools)


def message_items(index: int, message: dict[str, Any], layouts: SectionsOf | None) -> list[PrefixItem]:
    """The prefix items of one message (a system message Cockpit built: one per section, then the rest)."""
    content = message.get("content")
    sections = layouts.sections(content) if index == 0 and layouts is not None and isinstance(content, str) else None
    if message.get("role") == "system" and sections:
        items = [PrefixItem(s.kind, s.label, fingerprint(s.text), named=s.kind == KIND_INSTRUCTIONS) for s in sections]
        rest = {k: v for k, v in message.items() if k != "content"}
        return [*items, PrefixItem(KIND_SYSTEM, "system message", fingerprint(rest))]
    if message.get("role") == "system":
        return [PrefixItem(KIND_SYSTEM, "system prompt", fingerprint(message), named=False)]
    return [PrefixItem(KIND_MESSAGE, f"message {index}", fingerprint(message))]


class PrefixHasher:
    """:func:`prefix_items`, remembering the last list it hashed: only messages that are not the same
    dicts at the same places as last time are hashed again; tool definitions equal to last time's are too."""

    def __init__(self, layouts: SectionsOf | None = None) -> None:
        self.layouts = layouts
        self._tools: list[dict[str, Any]] | None = None  # a copy of the definitions last hashed
        self._tools_item: PrefixItem | None = None
        self._messages: list[dict[str, Any]] = []  # the messages last hashed
        self._items: list[PrefixItem] = []  # their items, in order
        self._ends: list[int] = []  # _ends[i]: how many of _items message i and those before it made
        self.hashed = 0  # messages hashed so far (for tests and the benchmark)

    def items(self, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]]) -> list[PrefixItem]:
        keep = unchanged_prefix(self._messages, messages)
        del self._messages[keep:], self._ends[keep:]
        del self._items[self._ends[-1] if self._ends else 0:]
        for index in range(keep, len(messages)):
            self._messages.append(messages[index])
            self._items += message_items(index, messages[index], self.layouts)
            self._ends.append(len(self._items))
        self.hashed += len(messages) - keep
        return [self._tools_digest(tools), *self._items]

    def _tools_digest(self, tools: Sequence[dict[str, Any]]) -> PrefixItem:
        if self._tools_item is None or list(tools) != self._tools:
            self._tools_item = PrefixItem(KIND_TOOLS, "tools", fingerprint(list(tools)), named=False)
            self._tools = copy.deepcopy(list(tools))
        return self._tools_item


def first_change(before: Sequence[PrefixItem], after: Sequence[PrefixItem]) -> Change | None:
    """Where ``after`` stops repeating ``before``; None when it repeats it whole (it may go on)."""
    messages_before = sum(1 for item in before if item.kind == KIND_MESSAGE)
    seen_messages = 0
    for old, new in zip(before, after):
        if old.kind == KIND_MESSAGE:
            seen_messages += 1
        if old == new:
            continue
        if KIND_INSTRUCTIONS in (old.kind, new.kind):  # a file edited, added or removed
            return Change(CAUSE_INSTRUCTIONS, (old if old.kind == KIND_INSTRUCTIONS else new).label)
        if old.kind != KIND_MESSAGE:
            return Change(CAUSE_BY_KIND.get(old.kind, CAUSE_SYSTEM), old.label if old.named else "")
        last_of_before = seen_messages == messages_before
        return Change(CAUSE_HISTORY if last_of_before else CAUSE_COMPACTION, old.label)
    if len(after) < len(before):  # history cut short: messages dropped from the end
        return Change(CAUSE_COMPACTION, before[len(after)].label)
    return None
