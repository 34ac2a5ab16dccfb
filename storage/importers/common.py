"""What every importer shares: the error, the result, and the event recorder.

An importer reads one file written by another agent and turns it into the
events Cockpit itself would have written: typed events of the vocabulary
(:mod:`app.agent.events.core`), stored as ``Event.to_dict()``, so
that the store, the projections, the panes and replay treat an imported
session like a native one. :class:`Recorder` keeps the bookkeeping (seq, turn,
step, message index, open tool calls) so that each format module only parses.

Files are streamed: :func:`read_jsonl` reads one line at a time, and a format's
``convert`` yields events as it goes (taking them from :meth:`Recorder.drain`),
so memory stays flat whatever the size of the file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import orjson

from app.agent.events import core as ev
from storage.projection_params import NO_END_TIME


class ImportFormatError(Exception):
    """A file that is not (or no longer) a session we can read; nothing was written."""

    def __init__(self, path: str | Path, line: int, reason: str) -> None:
        self.path = str(path)
        self.line = line
        self.reason = reason
        super().__init__(f"{self.path}:{line}: {reason}")

    def __reduce__(self) -> tuple[type[ImportFormatError], tuple[str, int, str]]:  # raised again by the importer
        return ImportFormatError, (self.path, self.line, self.reason)


@dataclass
class ImportResult:
    """One file's outcome: ``status`` is ``imported``, ``updated`` or ``skipped``."""

    path: str
    session_id: str
    source: str
    status: str
    reason: str = ""
    parent_id: str | None = None
    model_calls: int = 0
    tool_calls: int = 0
    tool_calls_failed: int = 0  # a denied call is not one of them: it never ran
    tool_calls_denied: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    events: int = 0
    counted_calls: int = 0  # model calls with token counts (the provider's or an estimate); 0: the source kept none


@dataclass
class ToolUse:
    """A tool call as the model asked for it (arguments kept as raw JSON text)."""

    id: str
    name: str
    arguments_raw: str

    def as_message_part(self) -> dict[str, Any]:
        return {"id": self.id, "type": "function", "function": {"name": self.name, "arguments": self.arguments_raw}}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_digest(path: Path) -> str:
    """The file's SHA-256, read in chunks; an unreadable file is an :class:`ImportFormatError`."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    except OSError as exc:
        raise ImportFormatError(path, 0, f"cannot read it: {exc.strerror or exc}") from None
    return digest.hexdigest()


@dataclass
class Span:
    """A part of a file: the lines that start at byte offsets from ``start`` (the start of a line) up to ``stop``
    (None: the end of the file). Its lines are numbered from 1; ``lines`` counts those read, blank ones included."""

    start: int = 0
    stop: int | None = None
    lines: int = 0


def lines(path: Path, span: Span | None = None) -> Iterator[tuple[int, bytes]]:
    """(line number, raw line) for every line of the file (or of ``span``), read one at a time."""
    try:
        with path.open("rb") as handle:
            if span is None:
                yield from enumerate(handle, start=1)
                return
            handle.seek(span.start)
            position, stop = span.start, span.stop
            for number, raw in enumerate(handle, start=1):
                if stop is not None and position >= stop:
                    return
                position += len(raw)
                span.lines = number
                yield number, raw
    except OSError as exc:
        raise ImportFormatError(path, 0, f"cannot read it: {exc.strerror or exc}") from None


def line_start_after(path: Path, offset: int) -> int:
    """The byte offset of the first line that starts at ``offset`` or after it (the file's size: none does)."""
    if offset <= 0:
        return 0
    try:
        with path.open("rb") as handle:
            handle.seek(offset - 1)
            rest = handle.readline()  # (from the byte before: a line that starts at offset is found)
    except OSError as exc:
        raise ImportFormatError(path, 0, f"cannot read it: {exc.strerror or exc}") from None
    return offset - 1 + len(rest)


def json_object(value: object) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one: for optional parts of a record."""
    return value if isinstance(value, dict) else {}


def parse_ts(value: Any) -> float | None:
    """ISO-8601 text (``...Z`` included) or epoch seconds → epoch seconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.timestamp()


@dataclass
class LongNumbers:
    """Which lines of a file hold 19 digits in a row that may start a number (where an integer beyond 64 bits may
    be, which orjson would read as a float), as :func:`read_jsonl` found them: a second pass need not look again."""

    checked: int = 0  # the lines looked at: 1 to checked
    lines: set[int] = field(default_factory=set)


def read_jsonl(path: Path, long_numbers: LongNumbers | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, record) for every non-blank line, streamed; a bad line is an :class:`ImportFormatError`.

    The records are the standard library's (``json.loads``), read by orjson, several times quicker, where it reads
    the same: orjson refuses what only the standard library takes (NaN, a lone surrogate escaped, deep nesting, a bad
    line: then the standard library reads the line, or says what is wrong), and reads an integer beyond 64 bits as
    a float: a line with 19 digits in a row that may start a number (:func:`may_hold_long_integer`) is the standard
    library's. ``long_numbers``: those lines as an earlier
    pass over the file found them (it is told what this pass finds beyond them)."""
    known = LongNumbers() if long_numbers is None else long_numbers
    for number, raw in lines(path):
        if number > known.checked:
            known.checked = number
            if may_hold_long_integer(raw):
                known.lines.add(number)
        if number not in known.lines:
            try:
                record = orjson.loads(raw)
            except orjson.JSONDecodeError:
                pass
            else:
                if not isinstance(record, dict):
                    raise ImportFormatError(path, number, "expected a JSON object on every line")
                yield number, record
                continue
        found = _record(path, number, raw)
        if found is not None:
            yield number, found


def checked_records(path: Path, span: Span | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """:func:`read_jsonl` for a first pass that checks every line (of ``span``: numbered from its start) and looks at
    a few fields of the records: the same lines read, and the same refused with the same errors, but no line is
    looked at for integers beyond 64 bits (orjson reads one as a float: a record kept from this pass is read again
    with :func:`exact_record`). The line test costs as much as orjson's parse; a second pass, which keeps the
    records, makes it."""
    for number, raw in lines(path, span):
        try:
            record = orjson.loads(raw)
        except orjson.JSONDecodeError:  # (what orjson refuses, the standard library reads or says what is wrong)
            found = _record(path, number, raw)
            if found is not None:
                yield number, found
            continue
        if not isinstance(record, dict):
            raise ImportFormatError(path, number, "expected a JSON object on every line")
        yield number, record


def exact_record(path: Path, number: int) -> dict[str, Any] | None:
    """The record on line ``number`` as :func:`read_jsonl` reads it (None: that line is blank or gone)."""
    for found, record in read_jsonl(path):
        if found >= number:
            return record if found == number else None
    return None


def may_hold_long_integer(raw: bytes) -> bool:
    """Does this line hold 19 digits in a row after a byte a JSON number can follow (not a letter, a digit, ``_`` or
    ``.``)? The shortest integer beyond 64 bits has 19 digits (-9223372036854775809), and an integer is always
    after ``[``, ``,``, ``:``, white space or ``-``; a run after a letter or ``_`` is inside a string (an id such as
    ``req_000000000000000000000000``), after ``.`` the fraction of a float, which both parsers read alike. A run
    after any other byte (a quote, a space inside a string...) is taken as a number: the line only goes the slower way."""
    return _LONG_NUMBER in raw.translate(_NUMBER_CLASSES)


# bytes.translate for may_hold_long_integer: every digit 0, a letter, "_" or "." a, every other byte a space
_NUMBER_CLASSES = bytes(
    0x30 if 0x30 <= b <= 0x39 else 0x61 if chr(b).isascii() and (chr(b).isalpha() or chr(b) in "_.") else 0x20
    for b in range(256)
)
_LONG_NUMBER = b" " + b"0" * 19


def _record(path: Path, number: int, raw: bytes) -> dict[str, Any] | None:
    """The record on one line (None: a blank line); a bad line is an :class:`ImportFormatError`."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportFormatError(path, number, "not UTF-8 text") from None
    if not line or line.isspace():  # (isspace stops at the first other character; strip() copied every line)
        return None
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ImportFormatError(path, number, f"not valid JSON ({exc.msg}); the file may be truncated") from None
    except RecursionError:
        raise ImportFormatError(path, number, "JSON nested too deeply to read") from None
    except ValueError:  # (the only other error json.loads raises: an integer of more digits than Python converts)
        raise ImportFormatError(
            path, number, f"an integer too long to read (more than {sys.get_int_max_str_digits():,} digits)"
        ) from None
    if not isinstance(record, dict):
        raise ImportFormatError(path, number, "expected a JSON object on every line")
    return record


SHAPE_ERRORS = (AttributeError, KeyError, TypeError, ValueError)  # what reading a record of an unexpected shape raises


def shape_error(path: Path, number: int, exc: BaseException) -> ImportFormatError:
    """The error that names the line of a record of an unexpected shape (one of SHAPE_ERRORS raised)."""
    return ImportFormatError(path, number, f"a record of an unexpected shape ({type(exc).__name__}: {exc})")


class record_errors:  # noqa: N801 (a context manager used like a function, as contextlib.suppress)
    """A record of an unexpected shape (a number where an object belongs...) names its line, not a traceback.

    (A class, not a ``@contextmanager`` generator: it wraps every record of a file, and a generator's
    entry and exit cost several calls each.)"""

    __slots__ = ("path", "number")

    def __init__(self, path: Path, number: int) -> None:
        self.path = path
        self.number = number

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, trace: TracebackType | None) -> None:
        if exc is not None and isinstance(exc, SHAPE_ERRORS):
            raise shape_error(self.path, self.number, exc) from None


def usage(prompt: int, completion: int, cached: int | None = None, cache_write: int | None = None) -> dict[str, Any]:
    """A reported ``Usage`` as dict; ``prompt`` counts every input token, cached ones included. The cache
    counts are None (stored NULL, shown "—") where the source recorded none: unknown, not 0."""
    return {
        "prompt_tokens": int(prompt),
        "completion_tokens": int(completion),
        "cached_tokens": ev.sent_count(cached),
        "cache_write_tokens": ev.sent_count(cache_write),
        "reported": True,
    }


NO_USAGE: dict[str, Any] = {
    "prompt_tokens": 0, "completion_tokens": 0, "cached_tokens": None, "cache_write_tokens": None, "reported": False,
}


def arguments_dict(arguments_raw: str) -> dict[str, Any] | None:
    try:
        value = json.loads(arguments_raw)
    except (TypeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


_SCALARS = frozenset({str, int, float, bool, type(None)})


_FIELD_NAMES: dict[type[ev.Event], tuple[str, ...]] = {}


def _field_names(cls: type[ev.Event]) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


def _plain(value: Any) -> Any:
    """``ev.plain``, with the common cases (scalars, dicts, lists) first: imports convert millions of values."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    scalars = _SCALARS  # (scalar items are taken as they are, without a call each)
    if kind is dict:
        return {k if type(k) is str else str(k): v if type(v) in scalars else _plain(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in scalars else _plain(v) for v in value]
    return ev.plain(value)


def event_dict(event: ev.Event) -> dict[str, Any]:
    """``event.to_dict()``, the same dict, quicker: the instance's attributes (set by ``__init__`` in field
    order) copied, and only the values that are not scalars converted."""
    names = _field_names(type(event))
    data = dict(event.__dict__)
    if len(data) != len(names):  # an attribute that is not a field: only the fields count
        data = {name: getattr(event, name) for name in names}
    for name, value in data.items():
        if type(value) not in _SCALARS:
            data[name] = _plain(value)
    data["type"] = event.type
    return data


@dataclass
class _OpenTool:
    name: str
    arguments_raw: str
    ts: float


@dataclass
class Recorder:
    """Builds one session's events in order, the way the live loop would emit them."""

    session_id: str
    events: list[dict[str, Any]] = field(default_factory=list)  # built, not yet taken by drain()
    seq: int = 0
    turn: int = 0
    last_ts: float = 0.0
    _turn_open: bool = field(default=False, init=False, repr=False)
    _turn_steps: int = field(default=0, init=False, repr=False)
    _turn_answer: str = field(default="", init=False, repr=False)
    _turn_outcome: str = field(default="completed", init=False, repr=False)
    _calls: int = field(default=0, init=False, repr=False)
    _messages: int = field(default=0, init=False, repr=False)  # length of the current conversation
    _open_tools: dict[str, _OpenTool] = field(default_factory=dict, init=False, repr=False)

    # --- the envelope -----------------------------------------------------------

    def emit(self, event: ev.Event, ts: float | None) -> dict[str, Any]:
        """Stamp a vocabulary event (session, seq, time) and keep it as the dict the store takes."""
        if ts is not None:
            self.last_ts = ts
        self.seq += 1
        event.session_id, event.seq, event.ts = self.session_id, self.seq, self.last_ts
        data = event_dict(event)
        self.events.append(data)
        return data

    def _emit_dict(self, type_name: str, ts: float | None, **payload: Any) -> None:
        """An event whose import-only fields the vocabulary has no place for (``session_started``)."""
        if ts is not None:
            self.last_ts = ts
        self.seq += 1
        self.events.append({"type": type_name, "session_id": self.session_id, "seq": self.seq, "ts": self.last_ts, **payload})

    def drain(self) -> list[dict[str, Any]]:
        """The events built since the last call, in order."""
        events, self.events = self.events, []
        return events

    # --- session and turns ------------------------------------------------------------

    def start(self, ts: float | None, *, source: str, source_path: str, source_hash: str, title: str = "",
              workspace: str | None = None, model: str = "", parent_id: str | None = None,
              settings: dict[str, Any] | None = None) -> None:
        self._emit_dict(  # source_path and source_hash are not fields of SessionStarted
            "session_started", ts, title=title, workspace=workspace, model=model, api_base=None,
            settings=settings or {}, resumed=False, source=source, source_path=source_path,
            source_hash=source_hash, parent_id=parent_id,
        )

    def user_prompt(self, ts: float | None, text: str) -> None:
        """A real prompt from the person: a new turn starts."""
        self._close_turn()
        self.turn += 1
        self._turn_open = True
        self.emit(ev.TurnStarted(turn=self.turn, user_text=text), ts)
        self.message(ts, {"role": "user", "content": text})

    def message(self, ts: float | None, message: dict[str, Any]) -> None:
        self.emit(ev.MessageAppended(index=self._messages, message=message, turn=self.turn), ts)
        self._messages += 1

    def _ensure_turn(self, ts: float | None) -> None:
        if not self._turn_open:  # the source starts without a prompt we can see
            self.turn += 1
            self._turn_open = True
            self.emit(ev.TurnStarted(turn=self.turn, user_text=""), ts)

    def _close_turn(self) -> None:
        if not self._turn_open:
            return
        self.emit(ev.TurnFinished(turn=self.turn, outcome=self._turn_outcome, steps=self._turn_steps,
                                  answer=self._turn_answer), None)
        self._turn_open = False
        self._turn_steps, self._turn_answer, self._turn_outcome = 0, "", "completed"

    # --- model calls and tools -------------------------------------------------------------

    def model_call(self, ts: float | None, *, model: str, text: str = "", tool_uses: list[ToolUse] | None = None,
                   usage: dict[str, Any] | None = None, finish_reason: str | None = None, cost_usd: float | None = None,
                   latency_ms: float = 0.0, error_message: str | None = None) -> str:
        """One API response: ``model_call_finished``, the assistant message, the tool calls it asked for.

        With ``error_message`` the call failed: no assistant message is appended. ``cost_usd`` is the
        figure the other agent recorded (``recorded``); None when it recorded none (Cockpit may price
        the call from its model name: ``app.import_analysis``).
        """
        self._ensure_turn(ts)
        self._calls += 1
        self._turn_steps += 1
        call_id = f"{self.session_id}:mc{self._calls:04d}"
        tool_uses = tool_uses or []
        failed = error_message is not None
        self.emit(ev.ModelCallFinished(
            call_id=call_id, turn=self.turn, step=self._turn_steps, attempt=1, model=model,
            status=ev.CallStatus.ERROR if failed else ev.CallStatus.OK, text=text,
            tool_calls=[t.as_message_part() for t in tool_uses], finish_reason=finish_reason,
            usage=usage or dict(NO_USAGE), cost_usd=cost_usd,
            cost_source=None if cost_usd is None else ev.COST_RECORDED, latency_ms=latency_ms,
            error_class="ImportedError" if failed else None, error_message=error_message,
            estimated_prompt_tokens=None,
        ), ts)
        if failed:
            return call_id
        if text:
            self._turn_answer = text
        message: dict[str, Any] = {"role": "assistant", "content": text or None}
        if tool_uses:
            message["tool_calls"] = [t.as_message_part() for t in tool_uses]
        self.message(ts, message)
        for tool in tool_uses:
            self._open_tools[tool.id] = _OpenTool(tool.name, tool.arguments_raw, self.last_ts)
            self.emit(ev.ToolCallRequested(tool_call_id=tool.id, name=tool.name, arguments_raw=tool.arguments_raw,
                                           turn=self.turn, step=self._turn_steps), ts)
        return call_id

    def tool_result(self, ts: float | None, tool_call_id: str, *, status: str, result: str,
                    error: str | None = None, exit_code: int | None = None,
                    duration_ms: float | None = None, poll: bool = False) -> None:
        """A tool's outcome: ``tool_call_finished`` and the ``tool`` message the model saw (``poll``: the call
        only read a running process's progress)."""
        opened = self._open_tools.pop(tool_call_id, None) or _OpenTool("unknown", "", self.last_ts)
        when = self.last_ts if ts is None else ts
        if duration_ms is None:
            duration_ms = max(0.0, (when - opened.ts) * 1000)
        self.emit(ev.ToolCallFinished(
            tool_call_id=tool_call_id, name=opened.name, arguments_raw=opened.arguments_raw,
            arguments=arguments_dict(opened.arguments_raw), status=ev.ToolStatus(status), result=result,
            full_output=None, truncated=False, error=error, exit_code=exit_code, duration_ms=round(duration_ms, 3),
            turn=self.turn, step=self._turn_steps, poll=poll,
        ), ts)
        self.message(ts, {"role": "tool", "tool_call_id": tool_call_id, "content": result})

    # --- the rest ----------------------------------------------------------------------------

    def compaction(self, ts: float | None, messages: list[dict[str, Any]], reason: str) -> None:
        self.emit(ev.MessagesReplaced(messages=messages, reason=reason), ts)
        self._messages = len(messages)

    def notice(self, ts: float | None, message: str, *, level: str = "info", detail: str = "") -> None:
        self.emit(ev.Notice(level=level, message=message, detail=detail), ts)

    def interrupted(self, ts: float | None, reason: str = "user") -> None:
        self._ensure_turn(ts)
        self._turn_outcome = "interrupted"
        self.emit(ev.Interrupted(turn=self.turn, reason=reason), ts)

    def finish(self, ts: float | None, status: str = "completed", reason: str = "",
               end_known: bool = True) -> list[dict[str, Any]]:
        """Close what the source left open; the events not drained yet. ``end_known=False``: the source
        records no end time (the session's ``ended_at`` stays empty, its duration unknown)."""
        for tool_call_id in list(self._open_tools):
            self.tool_result(None, tool_call_id, status="cancelled", result="",
                             error="the source file records no result for this call", duration_ms=0.0)
        if status != "completed" and self._turn_open:
            self._turn_outcome = status
        self._close_turn()
        finished = self.emit(ev.SessionFinished(status=ev.SessionStatus(status), reason=reason), ts)
        if not end_known:
            finished[NO_END_TIME] = True
        return self.drain()
