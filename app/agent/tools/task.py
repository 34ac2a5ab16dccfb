"""The ``task`` tool: the model delegates a piece of work to a child agent.

The child runs its own loop with its own conversation, the tools named (a subset of the
parent's), its own step/token/dollar budget and a deadline, under a typed envelope
(``app/agent/subagents/``). The model reads back the result envelope as JSON: the contract
version, the task id, the status (``completed`` only when the output matched the schema),
``partial`` when it is what a child had when it stopped, the output and what it spent.
"""

from __future__ import annotations

import json
from typing import Any

from app.agent.resilience.errors import IdempotencyConflict, IdempotencyPending
from app.agent.subagents.runner import TASK_TOOL, Delegator, TaskRequest
from app.agent.tools.base import ToolContext, ToolError, ToolOutput



class TaskTool:
    name = TASK_TOOL
    description = (
        "Delegate a self-contained piece of work to a sub-agent with its own context window. It starts with "
        "no knowledge of this conversation: say everything it needs in `prompt`. Give it only the tools it "
        "needs and a budget. With `output_schema` (a JSON schema) its answer is checked against it. Returns a "
        "JSON result: status (completed | failed | canceled | rejected), partial, output, usage. Calls in "
        "one reply run in parallel. Retrying with the same `idempotency_key` returns the recorded result."
    )
    parameters: dict[str, Any] = {
        "type": "object",
        "properties": {
            "description": {"type": "string", "minLength": 1, "description": "A short title (3-8 words)."},
            "prompt": {"type": "string", "minLength": 1, "description": "The whole task for the sub-agent."},
            "allowed_tools": {"type": "array", "items": {"type": "string"},
                              "description": "Tools it may use (a subset of yours); default: all but task."},
            "max_steps": {"type": "integer", "minimum": 1, "description": "Model calls it may make (default 20)."},
            "max_tokens": {"type": "integer", "minimum": 1, "description": "Tokens it may spend, all calls."},
            "max_dollars": {"type": "number", "minimum": 0, "description": "Dollars it may spend."},
            "timeout_s": {"type": "number", "minimum": 0.1, "description": "Deadline in seconds (default 600)."},
            "output_schema": {"type": "object", "description": "JSON schema its answer must match."},
            "idempotency_key": {"type": "string", "description": "Same key: the recorded result, not a rerun."},
        },
        "required": ["description", "prompt"],
        "additionalProperties": False,
    }
    side_effects = False  # the child's own calls are approved one by one; its calls run side by side
    enforces_own_timeout = True  # the envelope's deadline, not the tool timeout

    def __init__(self, delegator: Delegator) -> None:
        self.delegator = delegator

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        allowed = args.get("allowed_tools")
        request = TaskRequest(
            description=args["description"], prompt=args["prompt"],
            allowed_tools=tuple(allowed) if allowed is not None else None,
            max_steps=args.get("max_steps", 20), max_tokens=args.get("max_tokens"),
            max_dollars=args.get("max_dollars"), timeout_s=float(args.get("timeout_s", 600.0)),
            output_schema=args.get("output_schema"), idempotency_key=args.get("idempotency_key", ""),
        )
        try:
            result = await self.delegator.delegate(request, ctx.tool_call_id)
        except (IdempotencyConflict, IdempotencyPending) as exc:
            raise ToolError(str(exc)) from exc
        data = result.to_dict()
        return ToolOutput(text=json.dumps(data, ensure_ascii=False, indent=1), is_error=not result.ok, data=data)
