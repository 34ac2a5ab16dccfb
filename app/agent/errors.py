"""Control flow of the loop, as a small exception hierarchy; each stop knows its announcement."""

from __future__ import annotations

from app.agent.events import core as ev


class AgentStop(Exception):
    """Ends the current turn; ``outcome`` says how."""

    outcome = "failed"

    def event(self) -> ev.Event:
        return ev.Notice(level="error", message=str(self))


class LimitExceeded(AgentStop):
    outcome = "limit"

    def __init__(self, kind: str, limit: float, value: float, message: str) -> None:
        super().__init__(message)
        self.kind, self.limit, self.value = kind, limit, value

    def event(self) -> ev.Event:
        return ev.LimitReached(kind=self.kind, limit=self.limit, value=self.value, message=str(self))


class ModelFailed(AgentStop):
    """The model could not be reached or refused; the user gets a readable notice."""

    outcome = "failed"


class LoopHalted(LimitExceeded):
    """The loop detector fired twice: stop the turn and ask the user."""


def describe(exc: BaseException) -> str:
    """An exception as one readable line that names its class."""
    text = str(exc).strip() or type(exc).__name__
    return text if type(exc).__name__ in text else f"{type(exc).__name__}: {text}"
