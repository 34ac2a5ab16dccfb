"""The doom-loop detector: notices a model going round in circles.

Patterns (thresholds in :class:`ResilienceConfig`):

``repeated_failing_call``  the same call (tool + canonical arguments) failed 3 times;
``identical_results``      the same call returned the same result 4 times;
``repeated_call``          the same call 5 times;
``alternation``            A-B-A-B-A-B over the last 6 calls;
``empty_responses``        3 empty model replies in a row;
``repeated_error``         the same error fingerprint in 3 different turns;
``semantic_errors``        3 invalid calls (bad JSON, schema, unknown tool) of one tool in a row.

The first hit in a turn yields a ``warn`` verdict whose message is a
corrective note for the model; the model gets one such note per turn, so the
next hit (of any pattern) yields ``halt`` (ask the user, or exit with
:data:`LOOP_HALT_EXIT_CODE` headless). Semantic errors halt at once: the user
has to look. The caller emits a :class:`LoopDetected` for every verdict (see
:func:`loop_detected_event`).

Call history and hits are per turn (call :meth:`LoopDetector.start_turn`);
error fingerprints live across turns, and so do their hits: the first
``repeated_error`` warns, the next one halts.

A poll (``poll=True``: the call only read the progress of a process still
running; a Cockpit tool says so on its ``ToolOutput.poll``, the Codex importer
for ``write_stdin`` with empty input; both reach ``ToolCallFinished.poll``) is no
step of a loop: waiting on a long command repeats the same call by design, so
polls are left out of every pattern.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from app.agent.events.core import Event
from app.agent.events.resilience import LoopDetected
from app.agent.resilience.config import ResilienceConfig
from app.agent.resilience.restore import replay_loop_detector

LOOP_HALT_EXIT_CODE = 3

WARN = "warn"
HALT = "halt"

_CROSS_TURN = "repeated_error"


@dataclass(frozen=True)
class LoopVerdict:
    pattern: str
    action: str  # warn | halt
    message: str  # for the model on warn, for the user on halt
    tool: str | None = None
    count: int = 0
    turn: int = 0  # the detector's turn number (see ``start_turn``)

    def event(self, *, turn: int | None = None) -> LoopDetected:
        """The :class:`LoopDetected` event announcing this verdict."""
        return loop_detected_event(self, turn=self.turn if turn is None else turn)


@dataclass(frozen=True)
class _Call:
    name: str
    key: str  # tool + canonical arguments
    failed: bool
    result_digest: str


def canonical_arguments(arguments: Any) -> str:
    """Arguments as canonical JSON (sorted keys, no spaces): equal calls give equal text."""
    return json.dumps(arguments, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


_FINGERPRINT_CHARS = 300  # the normalised characters an error's fingerprint is made of
_FINGERPRINT_READ = 1_200  # read first: enough for them unless the text is mostly ids, numbers or spacing


def error_fingerprint(tool: str, error: str) -> str:
    """A stable digest of an error, insensitive to numbers, ids and spacing: of its first 300 characters once
    normalised. A long error is normalised from its start, cut at a space (every word whole, so the same
    characters come out as from the whole text), when that gives enough of them."""
    text = _normalised(error)[:_FINGERPRINT_CHARS] if len(error) <= _FINGERPRINT_READ else _long_start(error)
    return hashlib.sha1(f"{tool}\0{text}".encode()).hexdigest()[:16]


def _long_start(error: str) -> str:
    head = error[:_FINGERPRINT_READ]
    cut = max(head.rfind(space) for space in " \n\t\r")
    if cut > 0:
        start = _normalised(head[:cut])
        if len(start) >= _FINGERPRINT_CHARS:
            return start[:_FINGERPRINT_CHARS]
    return _normalised(error)[:_FINGERPRINT_CHARS]


def _normalised(error: str) -> str:
    text = error.lower()
    text = re.sub(r"\b[0-9a-f]{8,}\b", "<id>", text)
    text = re.sub(r"\d+", "#", text)
    return re.sub(r"\s+", " ", text).strip()


def loop_detected_event(verdict: LoopVerdict, *, turn: int | None = None) -> LoopDetected:
    return LoopDetected(
        pattern=verdict.pattern,
        action=verdict.action,
        message=verdict.message,
        tool=verdict.tool,
        count=verdict.count,
        turn=verdict.turn if turn is None else turn,
    )


class LoopDetector:
    def __init__(self, config: ResilienceConfig | None = None) -> None:
        self.config = config or ResilienceConfig()
        self.turn = 0
        self._calls: deque[_Call] = deque(maxlen=self.config.loop_window)
        self._empty_in_row = 0
        self._semantic_in_row: Counter[str] = Counter()
        self._turn_hits = 0
        self._cross_turn_hits = 0
        self._error_turns: dict[str, set[int]] = {}

    def start_turn(self) -> None:
        """Forget the previous turn's calls; error fingerprints are kept."""
        self.turn += 1
        self._calls.clear()
        self._empty_in_row = 0
        self._semantic_in_row.clear()
        self._turn_hits = 0

    def restore(self, events: Iterable[Event]) -> None:
        """Carry on from a resumed session: replay what it observed (``restore.py``)."""
        replay_loop_detector(self, events)

    # --- observations -------------------------------------------------------------

    def observe_tool(
        self,
        name: str,
        arguments: dict[str, Any] | None,
        status: str,
        result: str,
        error: str | None,
        *,
        poll: bool = False,
    ) -> LoopVerdict | None:
        """Record one finished tool call; returns a verdict when it completes a loop."""
        status = getattr(status, "value", status)
        self._empty_in_row = 0
        if poll:
            return None
        verdict = self._semantic(name, status, error or result)
        failed = status not in ("ok", "denied")
        key = f"{name}\0{canonical_arguments(arguments or {})}"
        digest = hashlib.sha1(f"{status}\0{result}\0{error or ''}".encode()).hexdigest()
        self._calls.append(_Call(name=name, key=key, failed=failed, result_digest=digest))
        if verdict is not None:
            return verdict
        if failed:
            verdict = self._repeated_error(name, error or result)
        return verdict or self._call_patterns(name, key, digest)

    def observe_model_response(self, text: str, tool_calls: list[Any]) -> LoopVerdict | None:
        """Record one model reply; empty replies in a row are a loop."""
        if (text or "").strip() or tool_calls:
            self._empty_in_row = 0
            return None
        self._empty_in_row += 1
        n = self._empty_in_row
        if n < self.config.loop_empty_responses:
            return None
        return self._hit(
            "empty_responses",
            None,
            n,
            warn=f"Loop check: your last {n} replies were empty. Reply with a tool call or a final answer.",
            halt=f"the model sent {n} empty replies in a row",
        )

    # --- patterns -------------------------------------------------------------------

    def _semantic(self, name: str, status: str, error: str) -> LoopVerdict | None:
        if status != "validation_error":
            self._semantic_in_row[name] = 0
            return None
        self._semantic_in_row[name] += 1
        n = self._semantic_in_row[name]
        if n < self.config.semantic_errors_in_row:
            return None
        self._semantic_in_row[name] = 0
        self._turn_hits += 1
        return LoopVerdict(
            pattern="semantic_errors",
            action=HALT,
            message=(
                f"Stopped: the model called `{name}` with invalid arguments {n} times in a row "
                f"(last error: {_snippet(error)}). How should it proceed?"
            ),
            tool=name,
            count=n,
            turn=self.turn,
        )

    def _repeated_error(self, name: str, error: str) -> LoopVerdict | None:
        turns = self._error_turns.setdefault(error_fingerprint(name, error), set())
        turns.add(self.turn)
        n = len(turns)
        if n < self.config.loop_error_repeats:
            return None
        return self._hit(
            "repeated_error",
            name,
            n,
            warn=(
                f"Loop check: the same error from `{name}` has come back in {n} turns: "
                f"{_snippet(error)}. Deal with its cause instead of repeating the step."
            ),
            halt=f"the same error from `{name}` kept coming back ({n} turns)",
        )

    def _call_patterns(self, name: str, key: str, digest: str) -> LoopVerdict | None:
        same = [c for c in self._calls if c.key == key]
        failures = sum(c.failed for c in same)
        if same[-1].failed and failures >= self.config.loop_same_call_errors:
            return self._hit(
                "repeated_failing_call",
                name,
                failures,
                warn=(
                    f"Loop check: `{name}` has failed {failures} times with the same arguments. "
                    "Do not call it again unchanged: read the error, change the arguments or the approach."
                ),
                halt=f"`{name}` kept failing with the same arguments ({failures} times)",
            )
        identical = sum(c.result_digest == digest for c in same)
        if identical >= self.config.loop_identical_pairs:
            return self._hit(
                "identical_results",
                name,
                identical,
                warn=(
                    f"Loop check: `{name}` returned the same result {identical} times for the same "
                    "arguments. Calling it again will not change it: use what you have or try something else."
                ),
                halt=f"`{name}` was called again for a result already seen {identical} times",
            )
        if len(same) >= self.config.loop_same_call:
            return self._hit(
                "repeated_call",
                name,
                len(same),
                warn=(
                    f"Loop check: you have called `{name}` with the same arguments {len(same)} times. "
                    "Use what you already have, try a different approach, or say what is blocking you."
                ),
                halt=f"the model kept calling `{name}` with the same arguments ({len(same)} times)",
            )
        return self._alternation()

    def _alternation(self) -> LoopVerdict | None:
        steps = self.config.loop_alternation_steps
        if len(self._calls) < steps:
            return None
        recent = list(self._calls)[-steps:]
        expected = [recent[i % 2].key for i in range(steps)]
        if recent[0].key == recent[1].key or [c.key for c in recent] != expected:
            return None
        first, second = recent[0].name, recent[1].name
        return self._hit(
            "alternation",
            second,
            steps,
            warn=(
                f"Loop check: you are alternating between `{first}` and `{second}` with the same arguments "
                "without making progress. Step back and take a different action."
            ),
            halt=f"the model kept alternating between `{first}` and `{second}`",
        )

    def _hit(self, pattern: str, tool: str | None, count: int, *, warn: str, halt: str) -> LoopVerdict:
        if pattern == _CROSS_TURN:
            self._cross_turn_hits += 1
            first = self._cross_turn_hits == 1
        else:
            self._turn_hits += 1
            first = self._turn_hits == 1
        if first:
            return LoopVerdict(pattern, WARN, warn, tool, count, self.turn)
        return LoopVerdict(pattern, HALT, f"Halted: {halt}, even after a warning.", tool, count, self.turn)


def _snippet(text: str, limit: int = 160) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
