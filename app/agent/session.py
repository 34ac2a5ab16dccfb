"""A session: one bus, one agent, a start and a finish.

Headless runs and the TUI both drive the core through this class; sinks are
subscribed to ``session.bus`` by whoever composes it.

The system message is built by ``instructions`` (prompt, environment, project
instruction files); a resumed session's is rebuilt as it starts, and between
tasks the files are read again: a change reaches the next model call.

A resumed session measures its restored conversation as it starts (a fresh
``ContextMeasured`` before any new task), and keeps the outcome it was stored with
(``previous_status``) unless a task runs in it: opening and closing it changes nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

from app.agent.events import core as ev
from app.agent.bus import EventBus
from app.agent.checkpoints.actions import Checkpoints
from app.agent.checkpoints.blobs import MemoryBlobs
from app.agent.instructions.project import ProjectInstructions
from app.agent.limits import cost_limit_notice
from app.agent.loop import Agent, TurnResult
from app.agent.mentions import attachments
from app.agent.user_command import command_of, run_user_command

OUTCOME_TO_STATUS = {
    "completed": ev.SessionStatus.COMPLETED,
    "interrupted": ev.SessionStatus.INTERRUPTED,
    "failed": ev.SessionStatus.FAILED,
    "limit": ev.SessionStatus.LIMIT,
    "unverified": ev.SessionStatus.UNVERIFIED,
}


def new_session_id() -> str:
    return uuid.uuid4().hex[:16]


class Session:
    def __init__(self, bus: EventBus, agent: Agent, *, title: str = "", settings: dict[str, Any] | None = None,
                 api_base: str | None = None, resumed: bool = False, parent_id: str | None = None,
                 previous_status: ev.SessionStatus | None = None,
                 notices: tuple[ev.Notice, ...] = (), instructions: ProjectInstructions | None = None,
                 checkpoints: Checkpoints | None = None) -> None:
        self.bus = bus
        self.agent = agent
        self.title = title
        self.settings = settings or {}
        self.api_base = api_base
        self.resumed = resumed
        self.parent_id = parent_id
        self.last: TurnResult | None = None
        self.feedback: Any | None = None  # the FeedbackCollector, when composed with one
        self.mcp: Any | None = None  # the McpManager of its MCP servers (app.agent.mcp), when composed with one
        # A resumed session's stored outcome, kept if no task runs (never "running": that one is being replaced).
        self.kept_status = previous_status if previous_status is not ev.SessionStatus.RUNNING else None
        self.finished = False
        self.notices = notices  # said at every start, after the sandbox's (e.g. untrusted project rules)
        self.instructions = instructions or ProjectInstructions(agent.workspace)
        # What each turn changed in the workspace, for undo/redo/rewind (in memory unless composed with a store).
        self.checkpoints = checkpoints or Checkpoints(agent.workspace, MemoryBlobs(), bus.emit, agent)
        bus.subscribe(self.checkpoints.history)
        self.checkpoints.after_change = self.measure_context  # undo, redo, rewind: the meter follows
        agent.pipeline.checkpoints = self.checkpoints.recorder

    @property
    def id(self) -> str:
        return self.bus.session_id

    def start(self) -> None:
        self.bus.emit(
            ev.SessionStarted(
                title=self.title,
                workspace=str(self.agent.workspace),
                model=self.agent.model.name,
                api_base=self.api_base,
                settings=self.settings,
                resumed=self.resumed,
                parent_id=self.parent_id,
            )
        )
        sandbox = self.agent.sandbox
        self.bus.emit(sandbox.state())
        for notice in (sandbox.notice(), cost_limit_notice(self.agent.config, self.agent.model), *self.notices):
            if notice is not None:
                self.bus.emit(notice)
        if not self.resumed and not self.agent.messages:
            self.agent.append_message(self.instructions.start(sandbox))
            self._say_instructions(ev.INSTRUCTIONS_START)
        if self.resumed:
            self._set_system_message(self.instructions.start(sandbox), ev.INSTRUCTIONS_RESUME)
            self.measure_context()

    def _say_instructions(self, reason: str, changes: list[dict[str, str]] | None = None) -> None:
        if changes or self.instructions.worth_saying:
            self.bus.emit(self.instructions.event(reason, changes or []))

    def _set_system_message(self, message: dict[str, str], reason: str,
                            changes: list[dict[str, str]] | None = None) -> None:
        """The conversation's system message becomes ``message`` (a conversation without one is left alone)."""
        messages = self.agent.messages
        if not messages or messages[0].get("role") != "system":
            return
        if messages[0].get("content") != message["content"]:
            self.agent.messages = [message, *messages[1:]]
            self.bus.emit(ev.MessagesReplaced(messages=list(self.agent.messages), reason=f"instructions {reason}",
                                              compaction=False))
        self._say_instructions(reason, changes)

    def reload_instructions(self) -> None:
        """Between tasks: the instruction files read again; a change goes into the system message."""
        changes = self.instructions.reload()
        if changes:
            self._set_system_message(self.instructions.message(), ev.INSTRUCTIONS_RELOAD, changes)

    def measure_context(self) -> None:
        """The conversation (restored, or changed by undo/redo/rewind) and the tools (an MCP server approved
        mid-session), measured now: the Context budget shows what they carry."""
        from app.agent.budget.snapshot import BudgetSnapshot

        agent = self.agent
        try:
            snapshot = agent.budget.measure(agent.messages, agent.tools.schemas(),
                                            max_output_tokens=agent.config.max_output_tokens)
        except Exception as exc:  # the first model call measures again; opening goes on
            self.bus.emit(ev.Notice(level="warning", message=f"The restored conversation could not be measured: {exc}"))
            return
        if isinstance(snapshot, BudgetSnapshot):  # None without a context budget
            self.bus.emit(snapshot.to_event(turn=agent.turn))

    async def run_task(self, text: str) -> TurnResult:
        """One task; the files its ``@path`` mentions are attached to it (``app.agent.mentions``). The user's
        SessionStart hooks run before the first; a UserPromptSubmit hook that exits 2 refuses it (``app.agent.hooks``)."""
        hooks = self.agent.hooks
        await hooks.session_start("resume" if self.resumed else "startup")
        refused = await hooks.user_prompt_submit(text, self.agent.turn + 1)
        if refused is not None:  # the hook's event tells the user why; the model never sees the task
            return TurnResult(outcome="blocked", message=refused)
        self.kept_status = None  # a task runs: the stored outcome becomes this one's
        self.reload_instructions()
        attached = attachments(text, self.agent.workspace, scrubber=self.agent.scrubber)
        self.checkpoints.recorder.begin_turn(self.agent.turn + 1)
        try:
            self.last = await self.agent.run_turn(text, attached)
        finally:
            self.checkpoints.recorder.finish_turn()
        return self.last

    async def run_input(self, text: str) -> TurnResult:
        """What the prompt sends: ``!command`` runs that command as the user's (``app.agent.user_command``:
        no model call; the session's outcome stays the last task's), anything else is a task."""
        command = command_of(text)
        if command is None:
            return await self.run_task(text)
        finished = await run_user_command(self.agent, command)
        if finished is None:
            self.bus.emit(ev.Notice(level="error", message="No command tool is configured: !command cannot run."))
            return TurnResult(outcome="failed", message="no command tool")
        return TurnResult(outcome="completed" if finished.status is ev.ToolStatus.OK else "failed",
                          message=finished.error or "")

    def finish(self, status: ev.SessionStatus | None = None, reason: str = "") -> None:
        if self.finished:
            return
        self.finished = True
        if status is None:
            status = OUTCOME_TO_STATUS[self.last.outcome] if self.last else self.kept_status or ev.SessionStatus.COMPLETED
        self.checkpoints.recorder.close()
        self.bus.emit(ev.SessionEnding(status=status))
        self.bus.emit(ev.SessionFinished(status=status, reason=reason))
