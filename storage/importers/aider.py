"""Aider chat histories: ``.aider.chat.history.md`` in the repository aider ran in.

Markdown that aider appends to, one block per start of aider, each opened by
``# aider chat started at YYYY-MM-DD HH:MM:SS``; every block becomes a session.
Inside a block:

- ``#### text`` lines are what the person typed (consecutive ones are one prompt);
  a ``####`` line that answers one of aider's questions (``(Y)es/(N)o ... [Yes]: all``)
  is kept as a message, not a prompt.
- Plain lines are the model's answer (``<thinking-content-…>`` blocks are left out of it).
- ``>`` lines are aider's own output: ``Model: NAME with … edit format`` names the model,
  ``Tokens: 1.8k sent, 653 received.`` (optionally ``… cache write, … cache hit`` and
  ``Cost: $0.01 message, …``) closes one model call with its usage, ``Applied edit to
  FILE`` is an edit the answer made (a tool call ``edit``), ``The LLM did not conform to
  the edit format`` / ``… failed to match`` a failed one, an ``…Error:`` line (litellm's)
  a failed model call, ``Commit HASH message`` a notice, ``^C KeyboardInterrupt`` an
  interruption when an answer was on its way (otherwise it is how aider is left: a notice).
- Aider rounds its token counts (``1.8k``): such a call's usage is marked ``estimated``
  (aider's rounding of the provider's figure); counts under 1,000 are exact.
- The file keeps no times but each block's start: every event of a session carries it, and the
  session has no end time (its duration is unknown).
- A session whose last model call failed (no answer came after it) is ``failed``.

The file is read twice, line by line: the first pass checks it is UTF-8 text and
finds each session's model; the second converts. Session ids come from the
file's first start line and the block's own, so a history aider appended to
since keeps its earlier sessions' ids (the import is ``updated``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storage.importers.common import ImportFormatError, Recorder, ToolUse, lines, usage
from storage.importers.detect import Head

SOURCE = "aider"
NAME = "Aider chat history"
_STARTED = re.compile(r"^# aider chat started at (\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d)")
_MODEL = re.compile(r"^(?:Main )?[Mm]odel: (\S+)")
_TOKENS = re.compile(r"^Tokens: (?P<parts>.+? received)\.(?: Cost: \$(?P<cost>[0-9.]+) message)?")
_COUNT = re.compile(r"^([0-9.]+)([kM]?) (sent|received|cache write|cache hit)$")
_ERROR = re.compile(r"^(?:litellm\.)?[A-Z]\w*(?:Error|Exception): ")
_EDIT = re.compile(r"^Applied edit to (.+)$")
_EDIT_FAILED = ("The LLM did not conform to the edit format", "SearchReplaceNoExactMatch")
_EDIT_FAILED_BLOCK = re.compile(r"^# \d+ SEARCH/REPLACE blocks? failed to match")
_COMMIT = re.compile(r"^Commit ([0-9a-f]{7,40}) (.*)$")
_QUESTION = re.compile(r"\((?:Y)\)es/\((?:N)\)o.*\]: ?\S*$")
_THINKING = re.compile(r"^</?thinking-content-[0-9a-f]*>$")
_UNITS = {"": 1, "k": 1_000, "M": 1_000_000}


def sniff(head: Head) -> bool:
    """A history: text with a ``# aider chat started at`` line near its start."""
    return head.kind == "text" and any(_STARTED.match(line) for line in head.text.splitlines()[:50])


@dataclass
class _Block:
    start: str  # the start line's date and time
    ts: float | None
    model: str = ""


def _scan(path: Path) -> list[_Block]:
    blocks: list[_Block] = []
    for number, raw in lines(path):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ImportFormatError(path, number, "not UTF-8 text") from None
        started = _STARTED.match(line)
        if started:
            blocks.append(_Block(started.group(1), _local_time(started.group(1))))
        elif blocks and not blocks[-1].model and line.startswith("> "):
            found = _MODEL.match(line[2:])
            if found:
                blocks[-1].model = found.group(1)
    if not blocks:
        raise ImportFormatError(path, 1, "no '# aider chat started at' line: not an Aider chat history")
    return blocks


def _local_time(text: str) -> float | None:
    """Aider writes the local time without a zone; it is read as the local time of this machine."""
    try:
        return dt.datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def convert(path: Path, digest: str) -> Iterator[dict[str, Any]]:
    blocks = _scan(path)
    reader: _Reader | None = None
    ordinal = -1
    for _, raw in lines(path):
        line = raw.decode("utf-8").rstrip("\r\n")
        if _STARTED.match(line):
            if reader is not None:
                yield from reader.finish()
            ordinal += 1
            reader = _Reader(path, digest, blocks, ordinal)
            yield from reader.rec.drain()
        elif reader is not None:
            reader.feed(line.rstrip(" "))  # aider ends its lines with two spaces (a Markdown line break)
            yield from reader.rec.drain()
    if reader is not None:
        yield from reader.finish()


@dataclass
class _Call:
    """An answer, and what aider printed after it (its usage, its edits)."""

    text: list[str] = field(default_factory=list)
    usage: dict[str, Any] | None = None
    cost: float | None = None
    edits: list[tuple[str, bool, str]] = field(default_factory=list)  # (file, applied, aider's line)
    closed: bool = False  # its Tokens line came: what follows is another answer


class _Reader:
    """One session's lines, in order."""

    def __init__(self, path: Path, digest: str, blocks: list[_Block], ordinal: int) -> None:
        block = blocks[ordinal]
        key = f"{blocks[0].start}|{ordinal}|{block.start}|{path.name}"
        self.rec = Recorder("ai-" + hashlib.sha256(key.encode()).hexdigest()[:12])
        self.rec.start(block.ts, source=SOURCE, source_path=str(path), source_hash=digest, model=block.model,
                       settings={"source_started_at": block.start, "session_in_file": ordinal + 1})
        self.model = block.model
        self.prompt: list[str] | None = None
        self.call: _Call | None = None
        self.thinking = False
        self.edits = 0
        self.awaiting = False  # a prompt went out and no answer has been counted since
        self.interrupted = False  # the last thing that happened was an interruption
        self.failed = False  # the last model call failed (an answer since clears it)

    def feed(self, line: str) -> None:
        if line.startswith((">", "####")):
            self.thinking = False  # a cut answer's thinking block never closes
        if line.startswith("####"):
            self._close_call()
            text = line[5:] if line.startswith("#### ") else line[4:]
            if self.prompt is None and _QUESTION.search(text):
                self.rec.message(None, {"role": "user", "content": text})
            elif self.prompt is None:
                self.prompt = [text]
            else:
                self.prompt.append(text)
        elif line.startswith(">"):
            self._close_prompt()
            self._aider(line[2:] if line.startswith("> ") else line[1:])
        else:
            self._close_prompt()
            self._answer(line)

    def _close_prompt(self) -> None:
        if self.prompt is not None:
            self.rec.user_prompt(None, "\n".join(self.prompt).strip())
            self.prompt = None
            self.awaiting, self.interrupted = True, False

    def _answer(self, line: str) -> None:
        thinking = _THINKING.match(line.strip())
        if self.thinking:
            self.thinking = not thinking
            return
        if not line.strip() and (self.call is None or self.call.closed):
            return  # blank lines before an answer
        if self.call is not None and self.call.closed:
            self._close_call()
        self.call = self.call or _Call()  # a thinking block opens the answer too (a cut one may hold nothing else)
        if thinking:
            self.thinking = True
        else:
            self.call.text.append(line)

    def _aider(self, text: str) -> None:
        model, tokens, edit, commit = _MODEL.match(text), _TOKENS.match(text), _EDIT.match(text), _COMMIT.match(text)
        if model:
            self.model = model.group(1)
        elif tokens:
            call = self.call or _Call()
            call.usage, call.closed = _usage(tokens.group("parts")), True
            self.awaiting = False
            call.cost = float(tokens.group("cost")) if tokens.group("cost") else None
            self.call = call
        elif edit or text.startswith(_EDIT_FAILED) or _EDIT_FAILED_BLOCK.match(text):
            call = self.call or _Call(closed=True)
            call.edits.append((edit.group(1), True, text) if edit else ("", False, text))
            self.call = call
        elif _ERROR.match(text):
            self._close_call()
            self.rec.model_call(None, model=self.model, error_message=text)
            self.awaiting, self.failed = False, True
        elif commit:
            self._close_call()
            self.rec.notice(None, f"commit {commit.group(1)}: {commit.group(2)}")
        elif text.startswith("^C KeyboardInterrupt"):
            cut = self.awaiting or (self.call is not None and not self.call.closed)  # an answer was on its way
            self._close_call()
            if cut:
                self.rec.interrupted(None)
                self.awaiting, self.interrupted = False, True
            else:
                self.rec.notice(None, "aider was stopped (^C)")

    def _close_call(self) -> None:
        call, self.call = self.call, None
        if call is None:
            return
        tools = []
        for file, _, _ in call.edits:
            self.edits += 1
            tools.append(ToolUse(f"{self.rec.session_id}:edit{self.edits}", "edit",
                                 json.dumps({"path": file} if file else {}, ensure_ascii=False)))
        self.rec.model_call(None, model=self.model, text="\n".join(call.text).strip(), tool_uses=tools,
                            usage=call.usage, cost_usd=call.cost)
        self.failed = False
        for tool, (_, applied, said) in zip(tools, call.edits):
            self.rec.tool_result(None, tool.id, status="ok" if applied else "tool_error", result=said,
                                 error=None if applied else said, duration_ms=0.0)

    def finish(self) -> list[dict[str, Any]]:
        self._close_prompt()
        self._close_call()
        status = "interrupted" if self.interrupted else "failed" if self.failed else "completed"
        return self.rec.finish(None, status=status, end_known=False)  # aider records only the start


def _usage(parts: str) -> dict[str, Any]:
    """``1.8k sent, 653 received`` → usage; rounded counts make it an estimate (aider's rounding)."""
    counts: dict[str, int] = {}
    rounded = False
    for part in parts.split(", "):
        found = _COUNT.match(part.strip())
        if found:
            number, unit, name = found.groups()
            counts[name] = round(float(number) * _UNITS[unit])
            rounded = rounded or bool(unit)
    # aider names the cache parts only when it has them: without them they are unknown (NULL), not 0
    found_usage = usage(counts.get("sent", 0), counts.get("received", 0), cached=counts.get("cache hit"),
                        cache_write=counts.get("cache write"))
    if rounded:
        found_usage.update(reported=False, source="estimated")
    return found_usage
