"""The roles' decisions (``app.agent.roles``): a task routed, a turn verified, a turn escalated.

* :class:`RouteChosen` — before a task, the router's class for it (question, small edit,
  multi-file change, debugging), who decided (the rule table, the router model, or the default),
  why, the generator model and limits it picked, and what the router's own call cost.
* :class:`VerificationFinished` — when the model said it was done and the turn changed files:
  the verdict (pass / fail / error: could not verify), who gave it (the project's tests, the
  verifier model), the findings, and whether they went back to the generator.
* :class:`Escalated` — the turn goes on on a stronger model after a failed verification or a
  loop warning.

Each is stored like every event and is one line of the transcript (:func:`decision_line`), the
same live, on resume and in replay.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar

from app.agent.events.core import Event
from app.agent.events.format import money

# Who decided a route.
BY_RULES, BY_MODEL, BY_DEFAULT = "rules", "model", "default"
# A verdict, and who gave it.
PASS, FAIL, ERROR = "pass", "fail", "error"  # error: the verification itself failed (nothing was checked)
BY_TESTS = "tests"
# Why a turn escalated.
AFTER_FAILED_VERIFICATION, AFTER_LOOP_WARNING = "verification_failed", "loop_warning"


@dataclass(kw_only=True)
class RoleDecision(Event):
    """What the three have in common: the turn they decided something for."""

    turn: int = 0


@dataclass(kw_only=True)
class RouteChosen(RoleDecision):
    """The router's decision for turn ``turn``."""

    type: ClassVar[str] = "route_chosen"
    task_class: str = ""  # question | small_edit | multi_file | debugging (or a class of the config)
    decided_by: str = BY_DEFAULT  # rules | model | default
    reason: str = ""
    model: str = ""  # the generator for this turn
    max_steps: int | None = None  # the turn's step limit
    max_output_tokens: int | None = None  # the turn's output limit (None: the provider's)
    class_sets: list[str] = field(default_factory=list)  # what the class changed: model, max_steps, max_output_tokens
    called_model: bool = False  # the router model was asked (its cost is in ``cost_usd``)
    cost_usd: float | None = None  # the router call's; None: no call, or no price for it


@dataclass(kw_only=True)
class VerificationFinished(RoleDecision):
    """One verification round of turn ``turn``."""

    type: ClassVar[str] = "verification_finished"
    round: int = 1  # the turn's n-th verification (every one before it sent its findings back)
    max_rounds: int = 1  # how often findings may go back in a turn (max_verify_rounds)
    verdict: str = ERROR  # pass | fail | error
    decided_by: str = BY_TESTS  # tests | model
    findings: list[str] = field(default_factory=list)
    reason: str = ""  # why a verification could not be made (error), or the verifier's summary
    files: list[str] = field(default_factory=list)  # what the turn changed, as checked
    test_command: str = ""
    test_exit_code: int | None = None
    called_model: bool = False  # the verifier model was asked (its cost is in ``cost_usd``)
    cost_usd: float | None = None  # the verifier call's; None: no call, or no price for it
    sent_back: bool = False  # the findings went back to the generator (another round follows)


@dataclass(kw_only=True)
class Escalated(RoleDecision):
    """Turn ``turn`` goes on on ``to_model`` (once per turn)."""

    type: ClassVar[str] = "role_escalated"
    from_model: str = ""
    to_model: str = ""
    reason: str = AFTER_FAILED_VERIFICATION  # verification_failed | loop_warning


ROLE_EVENTS: tuple[type[RoleDecision], ...] = (RouteChosen, VerificationFinished, Escalated)


def decisions_summary(events: Iterable[RoleDecision]) -> str:
    """``routed 2 (debugging 1, question 1) · verified 3×: 2 passed, 1 failed · escalated 1×``; "" for none."""
    routes: Counter[str] = Counter()
    verdicts: Counter[str] = Counter()
    escalated = 0
    for e in events:
        if isinstance(e, RouteChosen):
            routes[e.task_class.replace("_", " ")] += 1
        elif isinstance(e, VerificationFinished):
            verdicts[{PASS: "passed", FAIL: "failed"}.get(e.verdict, "could not verify")] += 1
        elif isinstance(e, Escalated):
            escalated += 1
    parts = []
    if routes:
        parts.append(f"routed {routes.total()} ({', '.join(f'{c} {n}' for c, n in routes.most_common())})")
    if verdicts:
        parts.append(f"verified {verdicts.total()}×: " + ", ".join(f"{n} {v}" for v, n in verdicts.most_common()))
    if escalated:
        parts.append(f"escalated {escalated}×")
    return " · ".join(parts)


def decision_line(e: RoleDecision) -> tuple[str, str, str]:
    """The transcript's (text, detail, level) of a role event."""
    if isinstance(e, RouteChosen):
        return route_line(e)
    if isinstance(e, VerificationFinished):
        return verification_line(e)
    if isinstance(e, Escalated):
        why = "the verification failed" if e.reason == AFTER_FAILED_VERIFICATION else "a loop warning"
        return f"Escalated to {e.to_model} after {why}", f"was {e.from_model}", "warning"
    return "", "", "info"


def route_line(e: RouteChosen) -> tuple[str, str, str]:
    """``Routed: debugging (rules) → openai/big, 80 steps · router $0.0001`` over the reason; what the
    class did not change is the session's and goes unsaid."""
    sets = [e.model if "model" in e.class_sets else "", f"{e.max_steps} steps" if "max_steps" in e.class_sets else "",
            f"{e.max_output_tokens} output tokens" if "max_output_tokens" in e.class_sets else ""]
    picked = ", ".join(part for part in sets if part)
    cost = f"router {money(e.cost_usd)}" if e.called_model else "no model call"
    text = f"Routed: {e.task_class.replace('_', ' ')} ({e.decided_by})" + (f" → {picked}" if picked else "")
    return f"{text} · {cost}", e.reason, "info"


def verification_line(e: VerificationFinished) -> tuple[str, str, str]:
    """``Verification failed (tests: make test) · round 1 · findings sent back (1 of 2)`` over the findings
    or the reason."""
    what = {PASS: "passed", FAIL: "failed", ERROR: "could not verify"}.get(e.verdict, e.verdict)
    by = f"{e.decided_by}: {e.test_command}" if e.test_command and e.decided_by == BY_TESTS else e.decided_by
    cost = f" · verifier {money(e.cost_usd)}" if e.called_model else ""
    then = f" · findings sent back ({e.round} of {e.max_rounds})" if e.sent_back else ""
    if e.verdict == FAIL and not e.sent_back:
        then = " · the answer stands (no rounds left)"
    text = f"Verification {what} ({by}) · round {e.round}{cost}{then}"
    detail = "; ".join(e.findings) if e.findings else e.reason
    return text, detail, "info" if e.verdict == PASS else "warning"
