"""What the loop asks of the roles, and what the roles need of the loop.

The loop calls :meth:`TurnRoles.start_turn` before a task's first model call (the router),
:meth:`TurnRoles.accept` when the model answers without tool calls (the verifier: False sends
the turn on, its findings appended) and :meth:`TurnRoles.loop_warned` after a loop warning
(escalation). :class:`NoRoles` does nothing and accepts every answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from app.agent.collaborators import Emit
from app.agent.config import AgentConfig
from app.agent.limits import TurnLimits
from app.agent.model import Model, ModelReply
from app.agent.model_call import ModelRequest
from app.agent.roles.config import ModelSpec
from app.agent.tool_pipeline import ToolPipeline
from app.agent.tools.sandbox import Sandbox
from app.agent.tools.scrub import Scrubber


class RolesHost(Protocol):
    """The agent, as the roles see it (``app.agent.loop.Agent``)."""

    model: Model
    config: AgentConfig
    limits: TurnLimits
    turn: int
    step: int
    workspace: Path
    sandbox: Sandbox
    scrubber: Scrubber
    pipeline: ToolPipeline
    messages: list[dict[str, Any]]
    emit: Emit

    async def ask(self, request: ModelRequest) -> ModelReply: ...

    def append_message(self, message: dict[str, Any]) -> None: ...


class Answered(Protocol):
    """The turn so far: the answer the verifier checks (cleared when its findings go back), and its
    outcome (``unverified`` when the answer stands after a failed last round)."""

    answer: str
    outcome: str


class ModelFactory(Protocol):
    """Builds a role's model (``app.runtime``: a ``LiteLLMModel``)."""

    def __call__(self, spec: ModelSpec) -> Model: ...


class TurnRoles(Protocol):
    async def start_turn(self, host: RolesHost, task: str) -> None:
        """Before the task's first model call: route it (the generator and limits of this turn)."""
        return None

    async def accept(self, host: RolesHost, result: Answered) -> bool:
        """The model answered without tool calls: True when the answer counts; False when the
        verifier's findings were sent back and the turn goes on."""
        return True

    def loop_warned(self, host: RolesHost) -> None:
        """The loop detector warned the model: escalate, when configured."""
        return None


class NoRoles(TurnRoles):
    """No roles: no routing, every answer counts, no escalation."""


NO_ROLES = NoRoles()
