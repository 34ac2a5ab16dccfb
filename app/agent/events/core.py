"""Typed events: everything the core does is announced as one of these.

The core emits events through an ``emit`` callable; sinks (the SQLite store, the
TUI, the headless printer, a list in tests) consume them. Each event class has a
unique ``type`` string and round-trips through ``to_dict`` / ``event_from_dict``,
which is how replay rebuilds the exact objects the live session produced.

The features' events (budget, resilience, feedback) live beside this module in
the same package and subclass :class:`Event`; decoding imports them on first use
(``_FEATURE_EVENT_MODULES``), so importing this module stays cheap.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

_REGISTRY: dict[str, type["Event"]] = {}
_FEATURE_EVENT_MODULES = (
    "app.agent.events.budget",
    "app.agent.events.resilience",
    "app.agent.events.feedback",
    "app.agent.events.mentions",
    "app.agent.events.todo",
    "app.agent.events.checkpoints",
    "app.agent.events.roles",
    "app.agent.events.subagents",
    "app.agent.events.hooks",
    "app.agent.events.cache",
)


@dataclass(kw_only=True)
class Event:
    """Base of all events. ``seq`` and ``session_id`` are stamped by the bus."""

    type: ClassVar[str] = "event"
    session_id: str = ""
    seq: int = 0
    ts: float = field(default_factory=time.time)
    # Events that are only interesting live (stream deltas) are not persisted.
    persist: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "type" in cls.__dict__:
            existing = _REGISTRY.get(cls.type)
            if existing is not None and existing.__qualname__ != cls.__qualname__:
                raise TypeError(f"duplicate event type {cls.type!r}")
            _REGISTRY[cls.type] = cls

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: plain(getattr(self, f.name)) for f in dataclasses.fields(self)}
        data["type"] = self.type
        return data

    def payload(self) -> dict[str, Any]:
        """The event without its envelope (type, session_id, seq, ts)."""
        data = self.to_dict()
        for key in ("type", "session_id", "seq", "ts"):
            data.pop(key, None)
        return data


def plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def well_formed(value: Any) -> Any:
    """``value`` with every string valid Unicode, which UTF-8 (SQLite, a terminal, an HTTP
    body) can encode: a surrogate pair split in two is joined, a lone surrogate (a model's
    JSON may say ``"\\ud800"``) becomes U+FFFD. A value that needs no change comes back as it is."""
    if isinstance(value, str):
        if value.isascii() or _encodes(value):
            return value
        return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    if isinstance(value, list):
        items = [well_formed(v) for v in value]
        return value if all(a is b for a, b in zip(items, value)) else items
    if isinstance(value, dict):
        pairs = [(well_formed(k), well_formed(v)) for k, v in value.items()]
        return value if all(k is a and v is b for (k, v), (a, b) in zip(pairs, value.items())) else dict(pairs)
    return value


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def event_class(type_name: str) -> type[Event] | None:
    if type_name not in _REGISTRY:
        for module in _FEATURE_EVENT_MODULES:
            importlib.import_module(module)
    return _REGISTRY.get(type_name)


def event_from_dict(data: dict[str, Any]) -> Event:
    """Rebuild an event from ``to_dict`` output (or a stored row's payload).

    Unknown types come back as :class:`UnknownEvent` so that a database written by
    a newer Cockpit still replays what this version understands.
    """
    type_name = data.get("type", "")
    cls = event_class(type_name)
    if cls is None:
        data = {k: v for k, v in data.items() if k != "type"}
        return UnknownEvent(
            original_type=type_name,
            data=data,
            session_id=data.get("session_id", ""),
            seq=data.get("seq", 0),
            ts=data.get("ts", 0.0),
        )
    names, enums = _decoding(cls)
    kwargs = {k: v for k, v in data.items() if k in names}
    for name, kind in enums:
        value = kwargs.get(name)
        if value is not None:
            kwargs[name] = kind(value)
    return cls(**kwargs)


_DECODING: dict[type[Event], tuple[frozenset[str], tuple[tuple[str, type[enum.Enum]], ...]]] = {}


def _decoding(cls: type[Event]) -> tuple[frozenset[str], tuple[tuple[str, type[enum.Enum]], ...]]:
    """The field names of an event class and its enum fields (with their enum), worked out once per class."""
    known = _DECODING.get(cls)
    if known is None:
        fields = dataclasses.fields(cls)
        enums = tuple((f.name, _ENUMS[f.type]) for f in fields if isinstance(f.type, str) and f.type in _ENUMS)
        known = _DECODING[cls] = (frozenset(f.name for f in fields), enums)
    return known


# --- enums -----------------------------------------------------------------


class SessionStatus(str, enum.Enum):
    RUNNING = "running"
    COMPLETED = "completed"
    INTERRUPTED = "interrupted"
    FAILED = "failed"
    LIMIT = "limit"
    UNVERIFIED = "unverified"  # the answer stands but the verifier's last round failed (``app.agent.roles``)


class ToolStatus(str, enum.Enum):
    OK = "ok"
    TOOL_ERROR = "tool_error"
    VALIDATION_ERROR = "validation_error"
    DENIED = "denied"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"  # it started and its outcome was never recorded (Cockpit died mid-call): it may have run


class CallStatus(str, enum.Enum):
    OK = "ok"
    ERROR = "error"
    CANCELLED = "cancelled"


_ENUMS: dict[str, type[enum.Enum]] = {
    "SessionStatus": SessionStatus,
    "ToolStatus": ToolStatus,
    "CallStatus": CallStatus,
}


# --- session and turns -------------------------------------------------------


COCKPIT_SOURCE = "cockpit"  # SessionStarted.source of Cockpit's own sessions; any other: imported from that agent


@dataclass(kw_only=True)
class SessionStarted(Event):
    type: ClassVar[str] = "session_started"
    title: str = ""
    workspace: str = ""
    model: str = ""
    api_base: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    resumed: bool = False
    source: str = COCKPIT_SOURCE
    parent_id: str | None = None  # e.g. the recorded session a replay re-runs


@dataclass(kw_only=True)
class TurnStarted(Event):
    type: ClassVar[str] = "turn_started"
    turn: int = 0
    user_text: str = ""


@dataclass(kw_only=True)
class MessageAppended(Event):
    """A message added to the conversation the model sees (OpenAI format)."""

    type: ClassVar[str] = "message_appended"
    index: int = 0
    message: dict[str, Any] = field(default_factory=dict)
    turn: int = 0


@dataclass(kw_only=True)
class MessagesReplaced(Event):
    """The whole conversation was rewritten (compaction); ``messages`` is the new list.

    ``compaction`` is False when it was rewritten for another reason that an event
    of its own tells (the project instructions were reloaded: ``InstructionsLoaded``).
    """

    type: ClassVar[str] = "messages_replaced"
    messages: list[dict[str, Any]] = field(default_factory=list)
    reason: str = ""
    compaction: bool = True


@dataclass(kw_only=True)
class TurnFinished(Event):
    type: ClassVar[str] = "turn_finished"
    turn: int = 0
    outcome: str = "completed"  # completed | unverified | interrupted | failed | limit
    steps: int = 0
    answer: str = ""


@dataclass(kw_only=True)
class SessionEnding(Event):
    """The session is about to finish: observers settle what is open (e.g. the last
    task's feedback signals) so that ``session_finished`` is the last event."""

    type: ClassVar[str] = "session_ending"
    status: SessionStatus = SessionStatus.COMPLETED


@dataclass(kw_only=True)
class SessionFinished(Event):
    type: ClassVar[str] = "session_finished"
    status: SessionStatus = SessionStatus.COMPLETED
    reason: str = ""


# --- model calls -----------------------------------------------------------


USAGE_PROVIDER = "provider"  # the response carried these counts
USAGE_ESTIMATED = "estimated"  # the provider sent none: Cockpit's count (litellm's in older sessions)
USAGE_NONE = "none"  # no counts at all


@dataclass(kw_only=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int | None = None  # cache reads; None: the provider sent no cache field (0 is a reported 0)
    cache_write_tokens: int | None = None  # cache writes; None likewise
    reported: bool = False  # the provider reported these counts (source == "provider")
    source: str = USAGE_NONE  # provider | estimated | none

    @property
    def total(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def sent_count(value: Any) -> int | None:
    """A count as a provider (or an imported source) sent it: a sent 0 is 0, None when it sent no number."""
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def usage_source(usage: dict[str, Any]) -> str:
    """Where a stored usage dict came from; events written before ``source`` existed
    only said ``reported``."""
    source = usage.get("source")
    if isinstance(source, str) and source:
        return source
    return USAGE_PROVIDER if usage.get("reported") else USAGE_NONE


# What a model call was for: the conversation's next reply, a compaction summary, the
# conversation's next reply from the fallback model (the main model's breaker is open), a task's
# routing or a turn's verification (app.agent.roles).
ROLE_MAIN = "main"
ROLE_SUMMARY = "summary"
ROLE_FALLBACK = "fallback"
ROLE_ROUTER = "router"
ROLE_VERIFIER = "verifier"
ROLES = (ROLE_MAIN, ROLE_SUMMARY, ROLE_FALLBACK, ROLE_ROUTER, ROLE_VERIFIER)
# Calls made on the side: their reply is not the conversation's, they are no step of the task and
# their prompt is not the conversation's size (widgets/session_stats.py keeps the same names).
SIDE_ROLES = frozenset({ROLE_SUMMARY, ROLE_ROUTER, ROLE_VERIFIER})


@dataclass(kw_only=True)
class ModelCallStarted(Event):
    type: ClassVar[str] = "model_call_started"
    call_id: str = ""
    turn: int = 0
    step: int = 0
    attempt: int = 1
    model: str = ""
    role: str = ROLE_MAIN  # one of ROLES
    message_count: int = 0
    estimated_prompt_tokens: int | None = None


@dataclass(kw_only=True)
class TextDelta(Event):
    type: ClassVar[str] = "text_delta"
    persist: ClassVar[bool] = False
    call_id: str = ""
    text: str = ""


# Who says what a model call cost. A call nobody has a price for has ``cost_usd=None``:
# it is shown as "unpriced" beside its tokens, never as $0.
COST_LITELLM = "litellm"  # litellm's cost map, for the model Cockpit called
COST_CONFIGURED = "configured"  # the user's [pricing."model"] table
COST_RECORDED = "recorded"  # imports: the figure the other agent recorded itself
COST_MODEL_NAME = "model_name"  # imports: priced by Cockpit (litellm's cost map) from the recorded model name
COST_PROXY = "proxy"  # the LiteLLM proxy's own count (x-litellm-response-cost), for a model Cockpit has no price for
COST_SOURCES = (COST_LITELLM, COST_CONFIGURED, COST_RECORDED, COST_MODEL_NAME, COST_PROXY)


@dataclass(kw_only=True)
class ModelCallFinished(Event):
    type: ClassVar[str] = "model_call_finished"
    call_id: str = ""
    turn: int = 0
    step: int = 0
    attempt: int = 1
    model: str = ""
    role: str = ROLE_MAIN  # one of ROLES
    status: CallStatus = CallStatus.OK
    text: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    finish_reason: str | None = None
    usage: dict[str, Any] = field(default_factory=dict)  # a Usage as dict
    cost_usd: float | None = None  # None: unpriced (nobody has a price for this model), never 0
    cost_source: str | None = None  # who priced it: one of COST_SOURCES; None when unpriced
    latency_ms: float = 0.0
    error_class: str | None = None
    error_message: str | None = None
    estimated_prompt_tokens: int | None = None
    upstream_retries: int | None = None  # retries a proxy in between made first (its x-litellm-* header)
    proxy_key_spend_usd: float | None = None  # all the key has spent, as the LiteLLM proxy counts it (x-litellm-key-spend)


# --- tool calls --------------------------------------------------------------

# Who asked for a tool call: the model, or the user typing ``!command`` in the prompt.
STARTED_BY_MODEL = "model"
STARTED_BY_USER = "user"


@dataclass(kw_only=True)
class ToolCallRequested(Event):
    type: ClassVar[str] = "tool_call_requested"
    tool_call_id: str = ""
    name: str = ""
    arguments_raw: str = ""
    turn: int = 0
    step: int = 0
    id_from_model: str | None = None  # set when the model reused an id: tool_call_id is then the harness's own
    started_by: str = STARTED_BY_MODEL  # model | user (``!command``: same approvals and sandbox, no model call)


@dataclass(kw_only=True)
class ToolCallValidated(Event):
    type: ClassVar[str] = "tool_call_validated"
    tool_call_id: str = ""
    name: str = ""
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass(kw_only=True)
class ApprovalRequested(Event):
    type: ClassVar[str] = "approval_requested"
    tool_call_id: str = ""
    name: str = ""
    arguments: dict[str, Any] = field(default_factory=dict)
    preview: str = ""  # the command or the diff to show
    kind: str = "tool"  # tool | sandbox_escalation (run one blocked command outside the sandbox)


@dataclass(kw_only=True)
class ApprovalResolved(Event):
    type: ClassVar[str] = "approval_resolved"
    tool_call_id: str = ""
    name: str = ""
    decision: str = "allow"  # allow | allow_always | deny
    reason: str = ""
    scope: str = ""  # for allow_always: tool name or command prefix
    automatic: bool = False  # decided by the permission mode, not a person
    kind: str = "tool"  # as in ApprovalRequested


@dataclass(kw_only=True)
class ToolCallStarted(Event):
    type: ClassVar[str] = "tool_call_started"
    tool_call_id: str = ""
    name: str = ""


@dataclass(kw_only=True)
class ToolOutputDelta(Event):
    """Output a running call printed since its last delta (a command's, as it runs), for the screen.

    Not stored: the finished call carries the result, so replay shows what the model read.
    Coalesced by the tool (a few a second), scrubbed of secrets; when output came faster than
    it is shown, ``text`` is only the latest part and ``dropped`` counts the characters left out
    before it."""

    type: ClassVar[str] = "tool_output_delta"
    persist: ClassVar[bool] = False
    tool_call_id: str = ""
    text: str = ""
    dropped: int = 0


@dataclass(kw_only=True)
class ToolCallFinished(Event):
    type: ClassVar[str] = "tool_call_finished"
    tool_call_id: str = ""
    name: str = ""
    arguments_raw: str = ""
    arguments: dict[str, Any] | None = None
    status: ToolStatus = ToolStatus.OK
    result: str = ""  # what the model sees (possibly truncated)
    full_output: str | None = None  # the complete output when ``result`` was cut
    truncated: bool = False
    error: str | None = None
    exit_code: int | None = None
    duration_ms: float = 0.0
    turn: int = 0
    step: int = 0
    crashed: bool = False  # the tool raised something unexpected (not a ToolError, not a timeout)
    poll: bool = False  # the call only read a running process's progress: repeating it is not a loop
    server: str | None = None  # the MCP server whose tool it is (None: one of Cockpit's own)


# --- limits, interrupts, notices -----------------------------------------------


@dataclass(kw_only=True)
class LimitReached(Event):
    type: ClassVar[str] = "limit_reached"
    kind: str = ""  # steps | cost | time | retry_budget | loop
    limit: float = 0
    value: float = 0
    message: str = ""


@dataclass(kw_only=True)
class Interrupted(Event):
    type: ClassVar[str] = "interrupted"
    turn: int = 0
    reason: str = "user"


@dataclass(kw_only=True)
class Notice(Event):
    """A readable message for the user (errors never reach the screen as tracebacks)."""

    type: ClassVar[str] = "notice"
    level: str = "info"  # info | warning | error
    message: str = ""
    detail: str = ""


INSTRUCTIONS_START, INSTRUCTIONS_RESUME, INSTRUCTIONS_RELOAD = "start", "resume", "reload"


@dataclass(kw_only=True)
class InstructionsLoaded(Event):
    """The project instruction files the system message holds: at the start, or reloaded between turns.

    ``files`` are ``{path, label, scope, tokens, chars, truncated, imported_by}``
    in the order they appear (``scope``: user | project | import; ``tokens`` is
    the budget's count of the file's section, header included, or None without a
    budget). ``changes`` say what a reload found: ``{label, change}`` with
    ``change`` added | removed | changed. ``notes``: imports refused or missing,
    files cut or left out.
    """

    type: ClassVar[str] = "instructions_loaded"
    reason: str = "start"  # INSTRUCTIONS_START | INSTRUCTIONS_RESUME | INSTRUCTIONS_RELOAD
    files: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tokens: int | None = None  # all the files' tokens (the budget's ``instructions`` category)
    approximate: bool = False  # the tokenizer only estimates (shown with ≈)
    environment: str = ""  # the environment preamble the system message carries
    environment_tokens: int | None = None


@dataclass(kw_only=True)
class SandboxState(Event):
    """Where this session's commands run: the OS sandbox and its network, or none and why."""

    type: ClassVar[str] = "sandbox_state"
    backend: str = ""  # bwrap | sandbox-exec | "" (unsandboxed)
    network: bool = True  # commands can reach the network
    reason: str = ""  # unsandboxed: why
    required: bool = False  # [sandbox] require: commands are refused without a sandbox

    @property
    def label(self) -> str:
        """``bwrap · net off``, ``bwrap · net on`` or ``unsandboxed``."""
        if not self.backend:
            return "unsandboxed"
        return f"{self.backend} · net {'on' if self.network else 'off'}"


@dataclass(kw_only=True)
class UnknownEvent(Event):
    type: ClassVar[str] = "unknown"
    original_type: str = ""
    data: dict[str, Any] = field(default_factory=dict)
