"""Events of the context budget: measurements, compactions, calibration.

They subclass the core :class:`~app.agent.events.core.Event`, so they travel on the
same bus, are stored in the same ``events`` table and replay through the same
reducer (:mod:`app.agent.events.budget_view`). Every field is plain JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from app.agent.events.core import Event


@dataclass(kw_only=True)
class ContextMeasured(Event):
    """Where every token of the window goes, for the request about to be sent.

    One basis: every count is local (``tokens`` of a category, an item or a
    tool does not move while what it counts does not change); calibration
    enters only through the ``unattributed`` category, ``calibrated_total -
    local_total``, which is negative when the local count is above what the
    provider is expected to count. So ``fixed + used == calibrated_total``.

    ``categories`` are dicts ``{key, label, tokens, local_tokens, pct}``: with
    the ``unattributed`` entry their ``tokens`` sum to ``calibrated_total``;
    ``pct`` is a share of the advertised window. (Sessions recorded before
    this basis carried calibrated ``tokens``; they still sum the same way.)
    ``items`` are the largest consumers ``{id, kind, label, tokens, share,
    position}``: ``share`` of the local prompt, position ``start | middle |
    end`` (thirds of the messages by cumulative tokens; the system prompt is
    always ``start``). ``used`` counts the conversation (everything but the
    fixed part), which is what the usable window and the thresholds are about.
    ``middle_warning`` is set when "lost in the middle" is worth a warning:
    the prompt holds at least ``middle_warn_tokens`` and its middle third at
    least ``middle_warn_share`` of the conversation's tokens.
    """

    type: ClassVar[str] = "context_measured"
    model: str = ""
    turn: int = 0
    tokenizer: str = ""
    estimate_is_approximate: bool = True
    advertised: int = 0
    advertised_source: str = "assumed"  # config | litellm | server | assumed
    fixed: int = 0  # system + preamble + tool definitions + unattributed
    reserve: int = 0  # reserved for the model's output (max_tokens)
    buffer: int = 0  # kept free so that compaction itself can run
    usable: int = 0  # advertised - fixed - reserve - buffer
    used: int = 0  # conversation tokens (local count)
    free: int = 0  # usable - used, never below zero
    used_pct: float = 0.0  # used / usable, in percent
    warn_at: int = 0  # thresholds, in ``used`` tokens
    compact_at: int = 0
    level: str = "calm"  # calm | warning | critical
    local_total: int = 0  # raw local estimate of the prompt
    calibrated_total: int = 0  # what we expect the provider to count
    categories: list[dict[str, Any]] = field(default_factory=list)
    tools: list[dict[str, Any]] = field(default_factory=list)  # {name, tokens}
    items: list[dict[str, Any]] = field(default_factory=list)
    middle_tokens: int = 0  # tokens sitting in the middle third ("lost in the middle")
    middle_share: float = 0.0  # middle_tokens / conversation tokens
    middle_warning: bool = False  # long prompt and a large middle: see the docstring
    middle_warn_tokens: int = 0  # the thresholds that decided ``middle_warning``
    middle_warn_share: float = 0.0
    message_count: int = 0
    calibration: dict[str, Any] = field(default_factory=dict)  # n, median_ratio, p95_error_pct, badge, ...


@dataclass(kw_only=True)
class CompactionPerformed(Event):
    """One rung of the compaction ladder (or a manual drop / truncate) was applied.

    ``items`` say what happened to which message: ``{id, kind, label, action,
    tokens_before, tokens_after, chars_before, chars_after}``.
    """

    type: ClassVar[str] = "compaction_performed"
    step: str = ""  # cap_results | placeholder_old_results | summarize | drop_item | truncate_item
    reason: str = "threshold"  # threshold | context_exceeded | manual
    tokens_before: int = 0
    tokens_after: int = 0
    messages_before: int = 0
    messages_after: int = 0
    items: list[dict[str, Any]] = field(default_factory=list)
    summary: str | None = None
    summary_source: str | None = None  # model | fallback (for the summarize step)


@dataclass(kw_only=True)
class CalibrationUpdated(Event):
    """A model call's local estimate compared with what the provider counted."""

    type: ClassVar[str] = "calibration_updated"
    model: str = ""
    call_id: str = ""
    estimated: int = 0  # raw local estimate of that request
    predicted: int = 0  # calibrated estimate made before seeing this call
    provider: int = 0  # provider prompt tokens, cache reads and writes included
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    ratio: float = 1.0  # provider / estimated
    unattributed: int = 0  # provider - estimated
    median_ratio: float = 1.0
    scale: float = 1.0  # calibration model: provider ~ scale * estimated + overhead
    overhead: float = 0.0
    p95_error_pct: float | None = None  # of predictions made before each call
    n: int = 0
    badge: str = ""
