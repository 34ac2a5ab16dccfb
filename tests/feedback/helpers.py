"""Drive the feedback collector with realistic event streams."""

from __future__ import annotations

import random
from typing import Any

import sqlite_utils

from app.agent.events import core as ev
from app.agent.bus import EventBus
from app.agent.feedback.collector import FeedbackCollector
from app.agent.feedback.config import FeedbackConfig
from storage.feedback import MIGRATIONS, PROJECTIONS

PYTEST_FAILED = "FAILED tests/test_x.py::test_b - assert 1 == 2\n1 failed, 2 passed in 0.10s\n"  # a failing run's tail


def fresh_db() -> sqlite_utils.Database:
    db = sqlite_utils.Database(memory=True)
    for _name, migrate in MIGRATIONS:
        migrate(db)
    return db


def project(db: sqlite_utils.Database, event: ev.Event) -> None:
    """What the lead's store does with a feedback event: the row dict, then the projection."""
    handler = PROJECTIONS.get(event.type)
    if handler is not None:
        row = {"session_id": event.session_id, "seq": event.seq, "type": event.type, "ts": event.ts, "payload": event.payload()}
        handler(db, row)


class Recorded(list):
    """Every event the bus delivered, in order."""

    def __call__(self, event: ev.Event) -> None:
        self.append(event)

    def of_type(self, type_name: str) -> list[Any]:
        return [e for e in self if e.type == type_name]


class Harness:
    """A bus with the collector subscribed (publishing through the bus), every
    event recorded and the feedback tables projected, with a controllable clock."""

    def __init__(
        self,
        config: FeedbackConfig | None = None,
        *,
        seed: int = 0,
        session_id: str = "sess-1",
        workspace: Any = None,
        db: sqlite_utils.Database | None = None,
        store: Any = None,
        start: float = 1_700_000_000.0,
    ) -> None:
        """``store``: an ``EventStore`` to persist through (as the app does); by
        default the feedback projections are applied to ``db`` directly."""
        self.bus = EventBus(session_id)
        self.events = Recorded()
        self.db = db if db is not None else fresh_db()
        self.now = start
        self.collector = FeedbackCollector(config, rng=random.Random(seed), workspace=workspace, emit=self.emit)
        self.bus.subscribe(self.events)
        if store is not None:
            self.bus.subscribe(lambda e: store.append(e.to_dict()) if e.persist else None)
        else:
            self.bus.subscribe(lambda e: project(self.db, e))
        self.bus.subscribe(self.collector)
        self.turn = 0

    def emit(self, event: ev.Event) -> ev.Event:
        event.ts = self.now
        emitted = self.bus.emit(event)
        assert not self.bus.errors, self.bus.errors  # the bus swallows sink errors: surface them
        return emitted

    def start_session(self, model: str = "test-model", workspace: str = "") -> None:
        self.emit(ev.SessionStarted(model=model, workspace=workspace))

    def begin(self, text: str = "do the thing") -> str:
        self.turn += 1
        self.emit(ev.TurnStarted(turn=self.turn, user_text=text))
        return f"{self.bus.session_id}:{self.turn}"

    def model_call(self, *, cost: float = 0.0, attempt: int = 1, model: str = "test-model") -> None:
        self.emit(ev.ModelCallStarted(call_id=f"c{self.bus.seq}", turn=self.turn, attempt=attempt, model=model))
        self.emit(ev.ModelCallFinished(call_id=f"c{self.bus.seq}", turn=self.turn, attempt=attempt, model=model, cost_usd=cost))

    def tool(
        self,
        name: str,
        arguments: dict[str, Any],
        *,
        status: ev.ToolStatus = ev.ToolStatus.OK,
        exit_code: int | None = None,
        result: str = "",
        approval: str | None = None,
        automatic: bool = False,
        effect: Any = None,
    ) -> None:
        """One tool call; ``effect()`` runs where the tool would (between validation and result)."""
        call_id = f"t{self.bus.seq}"
        self.emit(ev.ToolCallRequested(tool_call_id=call_id, name=name, turn=self.turn))
        self.emit(ev.ToolCallValidated(tool_call_id=call_id, name=name, arguments=arguments))
        if approval is not None:
            self.emit(ev.ApprovalResolved(tool_call_id=call_id, name=name, decision=approval, automatic=automatic))
        if effect is not None:
            effect()
        self.emit(
            ev.ToolCallFinished(
                tool_call_id=call_id, name=name, arguments=arguments, status=status, exit_code=exit_code,
                result=result, turn=self.turn,
            )
        )

    def end(self, outcome: str = "completed") -> ev.Event:
        self.emit(ev.TurnFinished(turn=self.turn, outcome=outcome, steps=1, answer="done"))
        return self.events.of_type("feedback_sampled")[-1]

    def task(self, text: str = "do the thing", *, cost: float = 0.0, outcome: str = "completed") -> ev.Event:
        self.begin(text)
        self.model_call(cost=cost)
        return self.end(outcome)

    def answer(self, task_id: str, rating: str, comment: str = "", source: str = "solicited") -> None:
        from app.agent.events.feedback import FeedbackAnswered

        self.emit(FeedbackAnswered(task_id=task_id, source=source, rating=rating, comment=comment))

    def finish_session(self) -> None:
        self.emit(ev.SessionFinished(status=ev.SessionStatus.COMPLETED))

    def of_type(self, type_name: str) -> list[Any]:
        return self.events.of_type(type_name)

