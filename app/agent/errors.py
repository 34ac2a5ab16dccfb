"""Control flow of the loop, as a small exception hierarchy."""

from __future__ import annotations


class AgentStop(Exception):
    """Ends the current turn; ``outcome`` says how."""

    outcome = "failed"


class LimitExceeded(AgentStop):
    outcome = "limit"

    def __init__(self, kind: str, limit: float, value: float, message: str) -> None:
        super().__init__(message)
        self.kind, self.limit, self.value = kind, limit, value


class ModelFailed(AgentStop):
    """The model could not be reached or refused; the user gets a readable notice."""

    outcome = "failed"


class LoopHalted(LimitExceeded):
    """The loop detector fired twice: stop the turn and ask the user."""
