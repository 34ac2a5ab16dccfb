"""A realistic recorded session, generated: for the replay benchmark, snapshot tests and demos.

``generate_session(events=10_000)`` returns the events a long Cockpit session
would have stored, as real event objects with ``seq`` and ``ts`` set
(deterministic for a given seed): turns of several steps, each step a context
measurement, a model call with usage and cost, calibration, a resilience
attempt, and tool calls with results (some failing); now and then a failed
attempt that is retried, a compaction when the window fills, and feedback
after tasks. Store them with ``EventStore.append_many(e.to_dict() for e in events)``.
"""

from __future__ import annotations

import json
import random
from typing import Any

from app.agent.events import core as ev
from app.agent.events.budget import CalibrationUpdated, CompactionPerformed, ContextMeasured
from app.agent.events.feedback import FeedbackAnswered, FeedbackSampled, ImplicitSignals, task_id_for
from app.agent.events.resilience import AttemptFailed, AttemptSucceeded, RetryTaxAccrued

MODEL = "anthropic/claude-sonnet-4-5"
WINDOW = 200_000
RESERVE = 8_192
BUFFER = 4_096
FIXED = 6_500
USABLE = WINDOW - FIXED - RESERVE - BUFFER
TOOLS = ("read_file", "grep", "bash", "edit_file", "list_dir")
TASKS = (
    "fix the failing test in tests/test_parser.py",
    "add a --verbose flag to the CLI",
    "why is the cache slower than before?",
    "rename Config.load to Config.read everywhere",
    "write a test for the retry helper",
    "update the README with the new options",
)


class _Recorder:
    """Numbers events and gives them deterministic timestamps."""

    def __init__(self, session_id: str, start_ts: float, rng: random.Random) -> None:
        self.session_id = session_id
        self.ts = start_ts
        self.rng = rng
        self.events: list[ev.Event] = []

    def add(self, event: ev.Event, after_s: float = 0.05) -> ev.Event:
        self.ts += after_s
        event.session_id = self.session_id
        event.seq = len(self.events) + 1
        event.ts = round(self.ts, 3)
        self.events.append(event)
        return event


def _code(rng: random.Random, lines: int) -> str:
    words = ["def", "return", "self", "value", "items", "config", "path", "result", "None", "if", "for", "in"]
    return "\n".join(
        f"{n + 1:5d}\t{'    ' * rng.randint(0, 2)}{' '.join(rng.choice(words) for _ in range(rng.randint(2, 7)))}"
        for n in range(lines)
    )


def _tool_call(rng: random.Random, turn: int, step: int, k: int) -> tuple[str, dict[str, Any]]:
    name = TOOLS[(turn + step + k) % len(TOOLS)]
    path = f"src/module_{rng.randint(1, 40)}.py"
    arguments: dict[str, Any] = {
        "read_file": {"path": path},
        "grep": {"pattern": "def load", "path": "src"},
        "bash": {"command": "python -m pytest -q tests"},
        "edit_file": {"path": path, "old_string": "return value", "new_string": "return value or default"},
        "list_dir": {"path": "src"},
    }[name]
    return name, arguments


def _measurement(turn: int, used: int, messages: int, calibrated_n: int) -> ContextMeasured:
    used = min(used, USABLE)
    split = {"user": 0.08, "assistant": 0.17, "tool_calls": 0.05, "tool_results": 0.70}
    categories = [
        {"key": "system", "label": "system prompt", "tokens": 2_100, "local_tokens": 2_000, "pct": 1.05},
        {"key": "tools", "label": "tool definitions", "tokens": 4_000, "local_tokens": 3_900, "pct": 2.0},
        {"key": "unattributed", "label": "unattributed", "tokens": 400, "local_tokens": 0, "pct": 0.2},
    ] + [
        {"key": key, "label": key.replace("_", " "), "tokens": int(used * share), "local_tokens": int(used * share * 0.97),
         "pct": round(100 * used * share / WINDOW, 2)}
        for key, share in split.items()
    ]
    items = [
        {"id": f"m{messages - 2 * k}", "kind": "tool_result", "label": f"read_file src/module_{(turn * 7 + k) % 40 + 1}.py",
         "tokens": max(200, used // (6 + 2 * k)), "share": round(1 / (6 + 2 * k), 3),
         "position": ("end", "middle", "middle", "start")[min(k, 3)]}
        for k in range(6)
    ]
    pct = 100 * used / USABLE
    return ContextMeasured(
        model=MODEL, turn=turn, tokenizer="o200k_base (approximation)", estimate_is_approximate=True,
        advertised=WINDOW, advertised_source="litellm", fixed=FIXED, reserve=RESERVE, buffer=BUFFER,
        usable=USABLE, used=used, free=USABLE - used, used_pct=round(pct, 1),
        warn_at=int(USABLE * 0.6), compact_at=int(USABLE * 0.8),
        level="calm" if pct < 60 else ("warning" if pct < 80 else "critical"),
        local_total=int((FIXED + used) * 0.97), calibrated_total=FIXED + used,
        categories=categories, items=items, middle_tokens=int(used * 0.4), message_count=messages,
        calibration={"n": calibrated_n, "badge": f"calibrated ±2% (n={calibrated_n})" if calibrated_n >= 3 else "calibrating"},
    )


def generate_session(
    session_id: str = "synthetic-replay",
    *,
    events: int = 10_000,
    seed: int = 7,
    start_ts: float = 1_767_225_600.0,  # 2026-01-01T00:00:00Z
    workspace: str = "/home/dev/project",
) -> list[ev.Event]:
    """About ``events`` events (a turn is finished properly, so a few more at most)."""
    rng = random.Random(seed)
    rec = _Recorder(session_id, start_ts, rng)
    rec.add(ev.SessionStarted(title="", workspace=workspace, model=MODEL, settings={"agent": {"max_steps": 50}}))
    rec.add(ev.MessageAppended(index=0, message={"role": "system", "content": "You are Cockpit, a coding agent."}))
    messages, used, calls, turn = 1, 3_000, 0, 0
    while len(rec.events) < events - 40:
        turn += 1
        task = TASKS[(turn - 1) % len(TASKS)]
        rec.add(ev.TurnStarted(turn=turn, user_text=task), after_s=rng.uniform(5, 30))
        rec.add(ev.MessageAppended(index=messages, message={"role": "user", "content": task}, turn=turn))
        messages += 1
        steps = rng.randint(3, 8)
        for step in range(1, steps + 1):
            final = step == steps or len(rec.events) >= events - 30
            calls += 1
            call_id = f"call-{calls:05d}"
            if used > USABLE * 0.8:  # the ladder's second rung frees old results
                before = used
                used = int(used * 0.45)
                rec.add(_measurement(turn, before, messages, calls))
                rec.add(CompactionPerformed(
                    step="placeholder_old_results", reason="threshold", tokens_before=before, tokens_after=used,
                    messages_before=messages, messages_after=messages,
                    items=[{"id": f"m{m}", "kind": "tool_result", "label": f"old result {m}", "action": "placeholder",
                            "tokens_before": 2_000, "tokens_after": 12, "chars_before": 8_000, "chars_after": 48}
                           for m in range(3, 3 + 2 * 12, 2)],
                ))
                rec.add(ev.MessagesReplaced(messages=[{"role": "system", "content": "You are Cockpit, a coding agent."},
                                                      {"role": "user", "content": task}], reason="threshold"))
            rec.add(_measurement(turn, used, messages, calls))
            attempt = 1
            if calls % 29 == 0:  # a transient failure, retried
                rec.add(ev.ModelCallStarted(call_id=call_id, turn=turn, step=step, attempt=1, model=MODEL,
                                            message_count=messages, estimated_prompt_tokens=FIXED + used))
                rec.add(ev.ModelCallFinished(call_id=call_id, turn=turn, step=step, attempt=1, model=MODEL,
                                             status=ev.CallStatus.ERROR, error_class="overloaded",
                                             error_message="529 Overloaded", latency_ms=900.0), after_s=0.9)
                rec.add(RetryTaxAccrued(call_id=call_id, attempt=1, model=MODEL, tokens=FIXED + used,
                                        usd=round((FIXED + used) * 3e-7, 6), reason="resent_input"))
                rec.add(AttemptFailed(call_id=call_id, target=MODEL, attempt=1, max_attempts=3, first_try=True,
                                      error_kind="transient", error_class="overloaded", status=529,
                                      message="529 Overloaded", decision="retry", wait_s=1.5,
                                      retry_cost=5.0, bucket_level=45.0, bucket_capacity=50.0))
                attempt = 2
            rec.add(ev.ModelCallStarted(call_id=call_id, turn=turn, step=step, attempt=attempt, model=MODEL,
                                        message_count=messages, estimated_prompt_tokens=FIXED + used),
                    after_s=1.5 if attempt > 1 else 0.01)
            n_tools = 0 if final else rng.choice((1, 1, 1, 2))
            tools = [_tool_call(rng, turn, step, k) for k in range(n_tools)]
            tool_calls = [{"id": f"{call_id}-t{k}", "type": "function",
                           "function": {"name": name, "arguments": json.dumps(args)}}
                          for k, (name, args) in enumerate(tools)]
            text = (f"Done: {task}. I changed {rng.randint(1, 4)} files and the tests pass." if final
                    else rng.choice(("Let me look at that.", "Checking the tests next.", "", "Now the edit.")))
            completion = rng.randint(40, 600)
            usage = {"prompt_tokens": FIXED + used, "completion_tokens": completion,
                     "cached_tokens": int((FIXED + used) * 0.8), "cache_write_tokens": 0, "reported": True}
            cost = round((FIXED + used) * 3e-7 + completion * 1.5e-5, 6)
            rec.add(ev.ModelCallFinished(call_id=call_id, turn=turn, step=step, attempt=attempt, model=MODEL,
                                         text=text, tool_calls=tool_calls, finish_reason="tool_calls" if tools else "stop",
                                         usage=usage, cost_usd=cost, latency_ms=float(rng.randint(800, 4000))),
                    after_s=rng.uniform(0.8, 4.0))
            rec.add(CalibrationUpdated(model=MODEL, call_id=call_id, estimated=int((FIXED + used) * 0.97),
                                       predicted=FIXED + used, provider=FIXED + used, ratio=1.03, median_ratio=1.03,
                                       n=calls, badge=f"calibrated ±2% (n={calls})" if calls >= 3 else "calibrating"))
            rec.add(AttemptSucceeded(call_id=call_id, target=MODEL, attempt=attempt, max_attempts=3,
                                     first_try=attempt == 1, bucket_level=50.0 if attempt == 1 else 45.5,
                                     bucket_capacity=50.0))
            assistant: dict[str, Any] = {"role": "assistant", "content": text or None}
            if tool_calls:
                assistant["tool_calls"] = tool_calls
            rec.add(ev.MessageAppended(index=messages, message=assistant, turn=turn))
            messages += 1
            used += completion
            for call, (name, args) in zip(tool_calls, tools):
                raw = call["function"]["arguments"]
                rec.add(ev.ToolCallRequested(tool_call_id=call["id"], name=name, arguments_raw=raw, turn=turn, step=step))
                rec.add(ev.ToolCallValidated(tool_call_id=call["id"], name=name, arguments=args))
                rec.add(ev.ToolCallStarted(tool_call_id=call["id"], name=name))
                failed = name == "bash" and rng.random() < 0.3
                result = ("FAILED tests/test_parser.py::test_empty - AssertionError\n1 failed, 41 passed\n[exit code 1]"
                          if failed else _code(rng, rng.randint(8, 40)))
                rec.add(ev.ToolCallFinished(tool_call_id=call["id"], name=name, arguments_raw=raw, arguments=args,
                                            status=ev.ToolStatus.TOOL_ERROR if failed else ev.ToolStatus.OK,
                                            result=result, exit_code=(1 if failed else 0) if name == "bash" else None,
                                            duration_ms=float(rng.randint(5, 900)), turn=turn, step=step),
                        after_s=rng.uniform(0.01, 0.9))
                rec.add(ev.MessageAppended(index=messages, message={"role": "tool", "tool_call_id": call["id"],
                                                                   "content": result}, turn=turn))
                messages += 1
                used += len(result) // 3
            if final:
                steps = step
                break
        rec.add(ev.TurnFinished(turn=turn, outcome="completed", steps=steps, answer=text))
        task_id = task_id_for(session_id, turn)
        shown = turn % 5 == 0
        rec.add(FeedbackSampled(task_id=task_id, turn=turn, pi=0.25 if shown else 0.1, u=0.05 if shown else 0.5,
                                shown=shown, category="ordinary", model=MODEL, outcome="completed"))
        if shown:
            rec.add(FeedbackAnswered(task_id=task_id, rating="up" if turn % 10 else "down"), after_s=3.0)
        rec.add(ImplicitSignals(task_id=task_id, turn=turn, signals={"tool_errors": 0, "retries": 0}))
    rec.add(ev.SessionEnding(status=ev.SessionStatus.COMPLETED))
    rec.add(ev.SessionFinished(status=ev.SessionStatus.COMPLETED))
    return rec.events
