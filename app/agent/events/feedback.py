"""Events of the feedback feature.

``FeedbackSampled`` and ``ImplicitSignals`` are emitted by the
:class:`~app.agent.feedback.collector.FeedbackCollector`; ``FeedbackAnswered``
and ``FeedbackDismissed`` are emitted by the app when the user answers the
inline prompt, rates a task on their own (``source="volunteered"``), dismisses
the prompt or moves on without answering.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from app.agent.events.core import Event

SOLICITED = "solicited"
VOLUNTEERED = "volunteered"
RATINGS = ("up", "down", "skip")


@dataclass(kw_only=True)
class FeedbackSampled(Event):
    """The sampling decision for one finished task, logged whether shown or not.

    ``shown`` is exactly ``u < pi``. ``pi`` is the propensity the estimator
    weights by; ``reasons`` say why it was raised (oversampling) and
    ``fatigued`` whether it was lowered to the floor.
    """

    type: ClassVar[str] = "feedback_sampled"
    task_id: str = ""
    turn: int = 0
    pi: float = 0.0
    u: float = 0.0
    shown: bool = False
    category: str = ""
    reasons: list[str] = field(default_factory=list)
    fatigued: bool = False
    model: str = ""
    outcome: str = ""


@dataclass(kw_only=True)
class ImplicitSignals(Event):
    """What the user did around one task, known once the next task starts
    (rephrasing, reverts) or the session ends (abandonment)."""

    type: ClassVar[str] = "implicit_signals"
    task_id: str = ""
    turn: int = 0
    signals: dict[str, Any] = field(default_factory=dict)


@dataclass(kw_only=True)
class FeedbackAnswered(Event):
    """A rating: ``source`` is "solicited" (the inline prompt) or "volunteered"
    (the rate-last-task command); ``rating`` is "up", "down" or "skip"."""

    type: ClassVar[str] = "feedback_answered"
    task_id: str = ""
    source: str = SOLICITED
    rating: str = "skip"
    comment: str = ""


@dataclass(kw_only=True)
class FeedbackDismissed(Event):
    """A shown prompt left without an answer: counts as no response.
    ``reason`` is "dismissed" (the user closed it), "moved_on" (a new task
    started) or "session_ended"."""

    type: ClassVar[str] = "feedback_dismissed"
    task_id: str = ""
    reason: str = "dismissed"


def task_id_for(session_id: str, turn: int) -> str:
    """The id of one task (a user turn): unique across sessions because turn
    numbers keep counting when a session is resumed."""
    return f"{session_id}:{turn}"
