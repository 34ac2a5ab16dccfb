"""Running a delegated task: the envelope checked, the child session run, the result recorded once.

:class:`Delegator` is what the ``task`` tool calls. For each delegation it

1. builds the :class:`~app.agent.subagents.contract.TaskEnvelope` from the request and the parent
   (the child's dollars never exceed what the parent has left, its deadline never passes the
   parent's);
2. runs it at most once per idempotency key (the ledger of ``resilience/idempotency.py``): a
   retried delegation with a key already done gets the recorded result back
   (:class:`~app.agent.events.subagents.SubagentReplayed`), nothing runs again;
3. refuses an envelope the parent cannot honour (``rejected``), else waits for one of
   ``max_subagents`` slots and runs the child: its own :class:`~app.agent.session.Session` and
   loop, its own bus (stored as a session whose parent is the parent's), its own conversation,
   tools (the subset named) and limits; its model calls (role ``subagent``) go through the
   parent's retry layer, so retries count against the parent's retry budget;
4. meters what the child spends (:class:`UsageMeter`): over its token budget the child is
   stopped; the cost is added to the parent's, so the parent's cost limit counts it;
5. checks a finished answer against the output schema: a mismatch asks the child once more
   (``input_required`` → ``working``), then fails; whatever a child had when it stopped early
   is returned ``partial`` with its failed/canceled status, never as completed.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from app.agent.approvals import ApprovalPolicy
from app.agent.bus import EventBus
from app.agent.collaborators import ResilienceLayer
from app.agent.config import AgentConfig
from app.agent.errors import describe
from app.agent.events import core as ev
from app.agent.events.resilience import AttemptFailed
from app.agent.events.subagents import ROLE_SUBAGENT, SubagentReplayed, SubagentStatus, SubagentUsage
from app.agent.hooks.hooks import Hooks
from app.agent.limits import TurnLimits
from app.agent.model import Model, ModelReply
from app.agent.model_call import ModelCalls, ModelRequest
from app.agent.resilience.idempotency import IdempotencyGuard, IdempotencyLedger, MemoryLedger
from app.agent.subagents.contract import TaskBudget, TaskEnvelope, TaskResult, TaskState, check_output
from app.agent.tools.registry import ToolRegistry
from app.agent.tools.sandbox import Sandbox
from app.agent.tools.scrub import Scrubber

if TYPE_CHECKING:
    from app.agent.loop import Agent
    from app.agent.session import Session

S = SubagentStatus
TASK_TOOL = "task"
SCHEMA_RETRIES = 1  # a child whose answer does not match the schema is asked again this many times


class Parent(Protocol):
    """What a delegation reads of the parent agent (``app.agent.loop.Agent`` is one)."""

    model: Model
    tools: ToolRegistry
    approvals: ApprovalPolicy
    config: AgentConfig
    resilience: ResilienceLayer
    workspace: Path
    scrubber: Scrubber
    sandbox: Sandbox
    hooks: Hooks
    total_cost_usd: float
    limits: TurnLimits

    def emit(self, event: ev.Event) -> Any: ...


ChildBuses = Callable[[str], EventBus]  # a child session id → its bus (the composition subscribes the store)


def memory_bus(child_session_id: str) -> EventBus:
    return EventBus(child_session_id)


@dataclass(frozen=True)
class TaskRequest:
    """The ``task`` call's arguments, as the parent's model sent them."""

    description: str
    prompt: str
    allowed_tools: tuple[str, ...] | None = None  # None: every tool of the parent but ``task``
    max_steps: int = 20
    max_tokens: int | None = None
    max_dollars: float | None = None
    timeout_s: float = 600.0
    output_schema: dict[str, Any] | None = None
    idempotency_key: str = ""

    def arguments(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("idempotency_key")
        return data

    def derived_key(self, parent_session_id: str, call_id: str) -> str:
        """The key when the model gave none: this call of this parent (asking the same again later, when the
        workspace may have changed, runs again; only a key the model repeats returns a recorded result)."""
        material = json.dumps([parent_session_id, call_id, self.arguments()], sort_keys=True, default=list)
        return "task:" + hashlib.sha256(material.encode()).hexdigest()[:32]


class UsageMeter:
    """A bus subscriber of the child: what it spent, the limit that stopped it, its token budget."""

    def __init__(self, max_tokens: int | None) -> None:
        self.usage = SubagentUsage()
        self.max_tokens = max_tokens
        self.limit: ev.LimitReached | None = None
        self.over_tokens = False
        self.on_over: Callable[[], Any] = lambda: None

    def __call__(self, event: ev.Event) -> None:
        u = self.usage
        if isinstance(event, ev.ModelCallFinished):
            u.model_calls += 1
            u.prompt_tokens += int(event.usage.get("prompt_tokens") or 0)
            u.completion_tokens += int(event.usage.get("completion_tokens") or 0)
            if event.cost_usd is None:
                u.unpriced_calls += event.status is ev.CallStatus.OK
            else:
                u.cost_usd = (u.cost_usd or 0.0) + event.cost_usd
            if self.max_tokens is not None and u.tokens > self.max_tokens and not self.over_tokens:
                self.over_tokens = True
                self.on_over()
        elif isinstance(event, AttemptFailed) and event.decision in ("retry", "fallback"):
            u.retries += 1
        elif isinstance(event, ev.LimitReached):
            self.limit = event


class ChildCalls(ModelCalls):
    """A child's one path to a model: the parent's retry layer; its replies have the role ``subagent``."""

    async def call(self, request: ModelRequest) -> ModelReply:
        if request.role == ev.ROLE_MAIN:
            request = replace(request, role=ROLE_SUBAGENT)
        return await super().call(request)


class Delegator:
    def __init__(self, *, new_bus: ChildBuses = memory_bus, ledger: IdempotencyLedger | None = None,
                 session_id: str = "", trace_id: str = "", max_parallel: int = 3,
                 new_id: Callable[[], str] = lambda: uuid.uuid4().hex) -> None:
        self.new_bus = new_bus
        self.new_id = new_id  # task ids, child session ids, the trace id
        self.ledger = ledger if ledger is not None else MemoryLedger()
        self.guard = IdempotencyGuard(self.ledger)
        self.session_id = session_id
        self.trace_id = trace_id or new_id()  # one trace through every hop of this session's tasks
        self.slots = asyncio.Semaphore(max_parallel)
        self._parent: Parent | None = None

    def bind(self, parent: Parent) -> None:
        """The agent whose ``task`` calls this serves (it is built after its tools)."""
        self._parent = parent

    @property
    def parent(self) -> Parent:
        if self._parent is None:
            raise RuntimeError("the task tool is not bound to an agent")
        return self._parent

    # --- one delegation ---------------------------------------------------------------

    async def delegate(self, request: TaskRequest, call_id: str) -> TaskResult:
        """Raises IdempotencyConflict / IdempotencyPending for a key used otherwise / still running."""
        key = request.idempotency_key or request.derived_key(self.session_id, call_id)
        envelope = self.envelope(request, call_id, key)
        outcome = await self.guard.run_once(key, session_id=self.session_id, tool=TASK_TOOL,
                                            arguments=request.arguments(), tool_call_id=call_id,
                                            effect=lambda: self._run(envelope))
        result = TaskResult.from_dict(outcome.result)
        if parent_stopped():  # recorded as canceled; the parent's turn stops as it was asked to
            raise asyncio.CancelledError
        if outcome.replayed:
            self.parent.emit(SubagentReplayed(task_id=result.task_id, parent_call_id=call_id, idempotency_key=key,
                                              child_session_id=result.child_session_id, status=result.status,
                                              partial=result.partial, description=request.description))
        return result

    def envelope(self, request: TaskRequest, call_id: str, key: str) -> TaskEnvelope:
        parent = self.parent
        deadline = time.time() + request.timeout_s
        if parent.config.max_wall_s:  # never past the parent's own deadline
            deadline = min(deadline, time.time() + parent.config.max_wall_s - parent.limits.elapsed())
        dollars = request.max_dollars
        if parent.config.max_cost_usd:  # a child cannot spend past the parent's budget
            left = parent.config.max_cost_usd - parent.total_cost_usd
            dollars = left if dollars is None else min(dollars, left)
        allowed = request.allowed_tools
        if allowed is None:
            allowed = tuple(n for n in parent.tools.names() if n != TASK_TOOL)
        return TaskEnvelope(task_id=f"task_{self.new_id()[:12]}", parent_session_id=self.session_id,
                            parent_call_id=call_id, trace_id=self.trace_id, idempotency_key=key, deadline=deadline,
                            budget=TaskBudget(steps=request.max_steps, tokens=request.max_tokens, dollars=dollars),
                            allowed_tools=tuple(allowed), description=request.description,
                            instructions=request.prompt, output_schema=request.output_schema)

    def refusal(self, envelope: TaskEnvelope) -> str:
        """Why the parent cannot honour ``envelope`` ("" when it can)."""
        names = self.parent.tools.names()
        unknown = [n for n in envelope.allowed_tools if n not in names or n == TASK_TOOL]
        if unknown:
            return f"tools the parent cannot hand on: {', '.join(unknown)} (a child may use {', '.join(n for n in names if n != TASK_TOOL)})"
        if envelope.budget.dollars is not None and envelope.budget.dollars <= 0:
            return "the parent's cost budget is spent"
        if envelope.seconds_left() <= 0:
            return "the deadline has passed"
        return ""

    async def _run(self, envelope: TaskEnvelope) -> dict[str, Any]:
        state = TaskState(envelope, self.parent.emit)
        refused = self.refusal(envelope)
        if refused:
            state.move(S.REJECTED, refused)
            return TaskResult(task_id=envelope.task_id, status=S.REJECTED, reason=refused).to_dict()
        try:
            await self.slots.acquire()
        except asyncio.CancelledError:
            reason = "the parent was interrupted before the task started"
            state.move(S.CANCELED, reason)
            return TaskResult(task_id=envelope.task_id, status=S.CANCELED, reason=reason).to_dict()
        try:
            return (await self._run_child(state)).to_dict()
        finally:
            self.slots.release()

    async def _run_child(self, state: TaskState) -> TaskResult:
        from app.agent.session import Session  # the session module builds on the loop, which this tool serves

        envelope, parent = state.envelope, self.parent
        bus = self.new_bus(self.new_id()[:16])
        meter = UsageMeter(envelope.budget.tokens)
        bus.subscribe(meter)
        child = Session(bus, self._child_agent(envelope, bus), title=envelope.description,
                        parent_id=self.session_id, settings={"subagent": envelope.to_dict()})
        state.child_session_id = child.id
        child.start()
        state.move(S.WORKING, f"child session {child.id}")
        try:
            result = await self._work(state, child, meter)
        except Exception as exc:  # a crash of the child is its failure, never the parent's
            if state.final:
                raise
            result = self._end(state, child, meter, S.FAILED, f"the child crashed: {describe(exc)}", partial_of(child))
        finally:
            parent.total_cost_usd += meter.usage.cost_usd or 0.0  # the parent's cost limit counts the child's
        return result

    def _child_agent(self, envelope: TaskEnvelope, bus: EventBus) -> Agent:
        from app.agent.loop import Agent

        parent = self.parent
        tools = ToolRegistry([t for t in parent.tools if t.name in envelope.allowed_tools])
        config = replace(parent.config, max_steps=envelope.budget.steps, max_cost_usd=envelope.budget.dollars or 0.0,
                         max_wall_s=max(envelope.seconds_left(), 0.001))
        agent = Agent(model=parent.model, emit=bus.emit, workspace=parent.workspace, approvals=parent.approvals,
                      tools=tools, config=config, resilience=parent.resilience, ledger=self.ledger,
                      session_id=bus.session_id, scrubber=parent.scrubber, sandbox=parent.sandbox,
                      hooks=parent.hooks.for_child(bus.emit, bus.session_id))  # the user's tool hooks hold here too
        agent.calls = ChildCalls(resilience=parent.resilience, budget=agent.budget, emit=bus.emit)
        return agent

    async def _work(self, state: TaskState, child: Session, meter: UsageMeter) -> TaskResult:
        envelope = state.envelope
        prompt = instructions(envelope)
        steps_left = envelope.budget.steps
        for ask in range(SCHEMA_RETRIES + 1):
            work = asyncio.ensure_future(child.run_task(prompt))
            meter.on_over = work.cancel
            turn = await work
            meter.usage.steps += turn.steps
            steps_left -= turn.steps
            if parent_stopped():
                return self._end(state, child, meter, S.CANCELED, "the parent was interrupted", partial_of(child))
            if meter.over_tokens:
                return self._end(state, child, meter, S.FAILED,
                                 f"token budget exceeded ({meter.usage.tokens} of {envelope.budget.tokens})",
                                 partial_of(child))
            if turn.outcome == "limit" and meter.limit is not None and meter.limit.kind == "time":
                return self._end(state, child, meter, S.CANCELED, "deadline reached", partial_of(child))
            if turn.outcome != "completed":
                why = turn.message or turn.outcome
                return self._end(state, child, meter, S.FAILED, why, partial_of(child))
            output, problems = check_output(envelope.output_schema, turn.answer)
            if not problems:
                return self._end(state, child, meter, S.COMPLETED, "", output, partial=False)
            if ask == SCHEMA_RETRIES or steps_left <= 0:
                return self._end(state, child, meter, S.FAILED,
                                 "the answer does not match the output schema: " + "; ".join(problems), turn.answer)
            state.move(S.INPUT_REQUIRED, "; ".join(problems))
            child.agent.config = replace(child.agent.config, max_steps=steps_left,
                                         max_wall_s=max(envelope.seconds_left(), 0.001))
            prompt = schema_reminder(envelope, problems)
            state.move(S.WORKING, "asked again for an answer that matches the schema")
        raise AssertionError("unreachable")

    def _end(self, state: TaskState, child: Session, meter: UsageMeter, status: SubagentStatus, reason: str,
             output: Any, *, partial: bool | None = None) -> TaskResult:
        if partial is None:  # what a child stopped early had, if it had anything
            partial = status is not S.COMPLETED and bool(output)
        usage = meter.usage
        state.move(status, reason, partial=partial, output=output, usage=asdict(usage))
        child.finish(CHILD_SESSION_STATUS[status], reason)
        return TaskResult(task_id=state.envelope.task_id, status=status, child_session_id=child.id, output=output,
                          partial=partial, reason=reason, usage=usage)


CHILD_SESSION_STATUS = {S.COMPLETED: ev.SessionStatus.COMPLETED, S.FAILED: ev.SessionStatus.FAILED,
                        S.CANCELED: ev.SessionStatus.INTERRUPTED}


def parent_stopped() -> bool:
    """Whether the task running this (the parent's turn) was asked to stop (Esc, its deadline)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def instructions(envelope: TaskEnvelope) -> str:
    """The child's task: the parent's instructions, and the output it must give."""
    if envelope.output_schema is None:
        return envelope.instructions
    schema = json.dumps(envelope.output_schema, sort_keys=True)
    return (f"{envelope.instructions}\n\nWhen you are done, answer with only a JSON value (no prose) that matches "
            f"this JSON schema:\n{schema}")


def schema_reminder(envelope: TaskEnvelope, problems: list[str]) -> str:
    schema = json.dumps(envelope.output_schema, sort_keys=True)
    return (f"Your answer does not match the required output schema: {'; '.join(problems)}. "
            f"Answer again with only a JSON value that matches:\n{schema}")


def partial_of(child: Session) -> str:
    """The last thing the child said before it stopped ("" when it said nothing)."""
    for message in reversed(child.agent.messages):
        if message.get("role") == "assistant" and isinstance(message.get("content"), str) and message["content"].strip():
            return str(message["content"])
    return ""
