"""``!command`` typed in the prompt: a shell command the user runs directly, without the model.

It takes the path of the agent's own command tool (the tool whose ``permission_kind`` is
``COMMAND``, ``bash``) through :class:`~app.agent.tool_pipeline.ToolPipeline`: validated,
its breaker checked, reviewed by the same approvals and permission rules, run in the same
sandbox, once, through the idempotency ledger. Its tool-call events say
``started_by="user"``, so the store, a resume and replay show it as the user's.

A command that ran joins the conversation as a user message (the command, its status and
its output as the model would have read it), so the model sees it on the next turn. No
model call is made; a denied command adds nothing.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Protocol

from app.agent.approvals import tool_kind
from app.agent.config import AgentConfig
from app.agent.events import core as ev
from app.agent.events.approvals import ToolKind
from app.agent.events.mentions import COMMAND_MARKER
from app.agent.events.transcript_view import COMMAND_PREFIX
from app.agent.limits import TurnLimits
from app.agent.tool_ids import OpenCall
from app.agent.tool_pipeline import ToolPipeline
from app.agent.tools.registry import ToolRegistry

PREFIX = COMMAND_PREFIX  # "!"
NOT_ADDED = (ev.ToolStatus.DENIED, ev.ToolStatus.VALIDATION_ERROR)  # nothing ran: the model is not told


class CommandRunner(Protocol):
    """What running a command needs of the agent (:class:`~app.agent.loop.Agent` is one)."""

    tools: ToolRegistry
    pipeline: ToolPipeline
    config: AgentConfig
    turn: int

    def append_message(self, message: dict[str, Any]) -> None: ...


def command_of(text: str) -> str | None:
    """The command of a ``!command`` line (as typed: ``PREFIX + command`` is the line), or None
    when ``text`` is a task."""
    command = text[len(PREFIX):] if text.startswith(PREFIX) else ""
    return command if command.strip() else None


def command_message(command: str, finished: ev.ToolCallFinished) -> dict[str, Any]:
    """The conversation's record of a command the user ran: what, how it ended, what it printed."""
    ended = f"exit {finished.exit_code}" if finished.exit_code is not None else finished.status.value
    content = (f"{COMMAND_MARKER} (not you; for your information)\n$ {command}\n[{ended}]\n"
               f"<output>\n{finished.result}\n</output>")
    return {"role": "user", "content": content}


async def run_user_command(agent: CommandRunner, command: str) -> ev.ToolCallFinished | None:
    """Run ``command`` as the user's (see the module docstring); its finished event, or None
    when the agent has no command tool. A cancellation (the user interrupted) propagates
    after the call is announced as cancelled."""
    tool = next((t for t in agent.tools if tool_kind(t) is ToolKind.COMMAND), None)
    if tool is None:
        return None
    call_id = f"user_{uuid.uuid4().hex[:12]}"
    call = OpenCall(model_id=call_id, id=call_id, name=tool.name, arguments=json.dumps({"command": command}),
                    turn=agent.turn, started_by=ev.STARTED_BY_USER)
    finished = await agent.pipeline.run(call, agent.config, TurnLimits(agent.config))
    if finished.status not in NOT_ADDED:
        agent.append_message(command_message(command, finished))
    return finished
