"""Small hand-made sessions with fixed times, for the Sessions screen tests and snapshots."""

from __future__ import annotations

from app.agent.events import core as ev
from app.agent.events.feedback import FeedbackAnswered, task_id_for
from app.replay.synthetic import generate_session
from tests.support.store import store_events

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z
WORKSPACE = "/home/dev/project"
SYNTHETIC_ID = "synthetic-0001"


def small_session(
    session_id: str,
    *,
    title: str,
    start_ts: float,
    workspace: str = WORKSPACE,
    model: str = "anthropic/claude-sonnet-4-5",
    status: ev.SessionStatus = ev.SessionStatus.COMPLETED,
    steps: int = 2,
    tool_output: str = "ok",
    duration_s: float = 60.0,
    prompt_tokens: int = 1_000,
    cost_usd: float = 0.01,
    rating: str | None = None,
) -> list[ev.Event]:
    events: list[ev.Event] = [
        ev.SessionStarted(workspace=workspace, model=model),
        ev.TurnStarted(turn=1, user_text=title),
        ev.MessageAppended(index=0, message={"role": "user", "content": title}, turn=1),
    ]
    for step in range(1, steps + 1):
        call_id = f"{session_id}-c{step}"
        events += [
            ev.ModelCallStarted(call_id=call_id, turn=1, step=step, model=model),
            ev.ModelCallFinished(call_id=call_id, turn=1, step=step, model=model, text="Working on it.",
                                 usage={"prompt_tokens": prompt_tokens, "completion_tokens": 50, "reported": True},
                                 cost_usd=cost_usd),
            ev.ToolCallRequested(tool_call_id=f"{call_id}-t", name="bash", arguments_raw='{"command": "make test"}',
                                 turn=1, step=step),
            ev.ToolCallFinished(tool_call_id=f"{call_id}-t", name="bash", arguments_raw='{"command": "make test"}',
                                result=tool_output, turn=1, step=step),
        ]
    events.append(ev.TurnFinished(turn=1, steps=steps, outcome=status.value if status is not ev.SessionStatus.LIMIT else "limit"))
    if rating:
        events.append(FeedbackAnswered(task_id=task_id_for(session_id, 1), rating=rating))
    events.append(ev.SessionFinished(status=status))
    gap = duration_s / (len(events) - 1)
    for seq, event in enumerate(events, 1):
        event.session_id, event.seq, event.ts = session_id, seq, start_ts + (seq - 1) * gap
    return events


def sample_sessions() -> list[list[ev.Event]]:
    day = 86_400.0
    return [
        small_session("aaaa-fix-parser", title="fix the parser for empty input", start_ts=T0, steps=3,
                      duration_s=95, prompt_tokens=3_000, cost_usd=0.03, rating="up"),
        small_session("bbbb-flamingo", title="why does the cache miss?", start_ts=T0 + day, steps=5,
                      tool_output="the flamingo key was evicted", duration_s=240, prompt_tokens=9_000, cost_usd=0.11),
        small_session("cccc-failed", title="deploy to staging", start_ts=T0 + 2 * day, steps=1,
                      status=ev.SessionStatus.FAILED, duration_s=12, prompt_tokens=400, cost_usd=0.002, rating="down"),
        small_session("dddd-elsewhere", title="tidy the notes", start_ts=T0 + 3 * day, workspace="/home/dev/notes",
                      model="openai/gpt-4o", steps=2, duration_s=30, prompt_tokens=800, cost_usd=0.004),
    ]


def store_samples(db) -> None:
    for events in sample_sessions():
        store_events(db, events)


def store_synthetic(db, events: int = 400) -> None:
    store_events(db, generate_session(SYNTHETIC_ID, events=events, start_ts=T0))
