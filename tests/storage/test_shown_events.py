"""What a screen reads to resume a session: without the copies of the conversation and the detail of every
measurement but the last, and every fold of the screen comes out the same as from all the events."""

from __future__ import annotations

from dataclasses import replace

from app.agent.events import core as ev
from app.agent.events.budget import CompactionPerformed, ContextMeasured
from app.agent.events.budget_view import BudgetState
from app.agent.events.feedback_view import FeedbackReducer
from app.agent.events.retries_view import RetriesReducer
from app.agent.events.transcript_view import TranscriptFold
from storage.db import open_db
from storage.queries import load_events, load_shown_events
from storage.store import EventStore


def measured(turn: int, total: int) -> ContextMeasured:
    return ContextMeasured(model="m", turn=turn, local_total=total, used=total, usable=10_000, fixed=100,
                           categories=[{"key": "user", "label": "user messages", "tokens": total}],
                           items=[{"id": f"m{turn}", "kind": "user", "label": "task", "tokens": total}],
                           tools=[{"name": "read_file", "tokens": 40}], calibration={"badge": "local"})


def session() -> list[ev.Event]:
    events: list[ev.Event] = [ev.SessionStarted(model="m", workspace="/w")]
    conversation: list[dict] = []
    for turn in range(1, 4):
        task = {"role": "user", "content": f"task {turn}"}
        conversation.append(task)
        events += [ev.TurnStarted(turn=turn, user_text=task["content"]), measured(turn, 100 * turn),
                   ev.MessageAppended(index=len(conversation) - 1, message=task, turn=turn),
                   ev.ModelCallFinished(call_id=f"c{turn}", turn=turn, text=f"answer {turn}",
                                        usage={"prompt_tokens": 90 * turn, "source": "provider"}),
                   ev.TurnFinished(turn=turn, steps=1, answer=f"answer {turn}")]
        if turn == 2:
            events += [CompactionPerformed(step="summarize", tokens_before=200, tokens_after=50),
                       ev.MessagesReplaced(messages=list(conversation), reason="threshold")]
    return events


def test_a_resumed_screen_folds_the_same_from_less(tmp_path):
    db = open_db(tmp_path / "s.db")
    store = EventStore(db)
    for seq, event in enumerate(session()):
        store.append({**event.to_dict(), "session_id": "s", "seq": seq, "ts": 1.0 + seq})
    every = [ev.event_from_dict(row) for row in load_events(db, "s")]
    shown = [ev.event_from_dict(row) for row in load_shown_events(db, "s")]

    assert not [e for e in shown if isinstance(e, ev.MessageAppended)]
    assert [e.messages for e in shown if isinstance(e, ev.MessagesReplaced)] == [[]]
    details = [(len(e.items), len(e.categories), len(e.tools)) for e in shown if isinstance(e, ContextMeasured)]
    assert details == [(0, 0, 0), (0, 0, 0), (1, 1, 1)]  # the last measurement whole: the pane shows it

    def drawn(events: list[ev.Event]) -> list:  # the entries as the transcript draws them (the replay screen,
        return [replace(e, index=0, updated=0) for e in TranscriptFold.of(events).entries]  # not this, numbers events)

    assert drawn(shown) == drawn(every)
    for fresh in (BudgetState, FeedbackReducer, RetriesReducer):
        from_shown, from_every = fresh(), fresh()
        for event in shown:
            from_shown.apply(event)
        for event in every:
            from_every.apply(event)
        assert getattr(from_shown, "state", from_shown) == getattr(from_every, "state", from_every)
