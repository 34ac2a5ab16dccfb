"""One session's roles: route each task, verify each answer that changed files, escalate once.

* :meth:`Roles.start_turn` — the router's class for the task picks the turn's generator model
  and step limit (``[roles.router.classes.<class>]``); the next turn starts from the session's
  own again. One :class:`RouteChosen`.
* :meth:`Roles.accept` — when the model says it is done and the turn changed files (the
  checkpoint recorder knows which), the verifier checks them: a pass or an error (nothing could
  be checked) lets the answer stand; a fail sends the findings back as a user message marked as
  the verifier's, at most ``max_verify_rounds`` times a turn; a fail with no round left lets the
  answer stand as ``unverified`` (the turn's outcome, the session's status, the exit code of
  ``cockpit run``). One :class:`VerificationFinished` per round.
* Escalation — with ``escalate_to`` set, a failed verification whose findings go back, or a loop
  warning, moves the rest of the turn to that model, once a turn. One :class:`Escalated`.
"""

from __future__ import annotations

from dataclasses import replace

from app.agent.config import AgentConfig
from app.agent.events.core import SessionStatus
from app.agent.events.mentions import VERIFIER_MARKER
from app.agent.events.roles import AFTER_FAILED_VERIFICATION, AFTER_LOOP_WARNING, FAIL, Escalated, \
    VerificationFinished
from app.agent.model import Model
from app.agent.roles.base import Answered, ModelFactory, RolesHost, TurnRoles
from app.agent.roles.config import ClassRoute, ModelSpec, RolesConfig
from app.agent.roles.router import Router
from app.agent.roles.verifier import Verifier


class Roles(TurnRoles):
    def __init__(self, config: RolesConfig, models: ModelFactory) -> None:
        self.config = config
        self._models = models
        self._built: dict[ModelSpec, Model] = {}
        router, verifier = config.router.model_spec, config.verifier.model_spec
        self.router = Router(config.router, self._model(router) if router else None)
        self.verifier = Verifier(config.verifier, self._model(verifier) if verifier else None)
        self._session: tuple[Model, AgentConfig] | None = None  # the session's own, while a turn runs routed
        self._routed: tuple[Model, AgentConfig] | None = None  # what this turn runs on
        self._task = ""
        self._rounds = 0  # verifications this turn
        self._sent_back = 0  # findings sent back this turn
        self._escalated = False

    def _model(self, spec: ModelSpec) -> Model:
        """The role's model, built once per spec."""
        if spec not in self._built:
            self._built[spec] = self._models(spec)
        return self._built[spec]

    # --- the router ----------------------------------------------------------------------

    async def start_turn(self, host: RolesHost, task: str) -> None:
        self._restore(host)
        self._task, self._rounds, self._sent_back, self._escalated = task, 0, 0, False
        if not self.config.router.enabled:
            return
        decision = await self.router.classify(host, task)
        route = self.config.router.classes.get(decision.task_class, ClassRoute())
        self._session = (host.model, host.config)
        if route.model or route.max_output_tokens:
            name = route.model or host.model.name
            tokens = route.max_output_tokens or host.config.max_output_tokens
            host.model = self._model(ModelSpec(name, route.api_base, tokens, host.config.request_timeout_s))
        if route.max_steps:
            host.config = replace(host.config, max_steps=route.max_steps)
            host.limits.config = host.config
        self._routed = (host.model, host.config)
        sets = [key for key in ("model", "max_steps", "max_output_tokens") if getattr(route, key)]
        host.emit(replace(decision, model=host.model.name, max_steps=host.config.max_steps, class_sets=sets,
                          max_output_tokens=route.max_output_tokens or host.config.max_output_tokens))

    def _restore(self, host: RolesHost) -> None:
        """The session's own model and limits again, unless someone changed them since."""
        if self._session is not None and self._routed is not None:
            model, config = self._routed
            if host.model is model:
                host.model = self._session[0]
            if host.config is config:
                host.config = self._session[1]
        self._session = self._routed = None

    # --- the verifier ----------------------------------------------------------------------

    async def accept(self, host: RolesHost, result: Answered) -> bool:
        if self.config.verifier.mode == "off":
            return True
        files = host.pipeline.checkpoints.touched()
        if not files:
            return True
        self._rounds += 1
        verdict = await self.verifier.verify(host, self._task, result.answer, files)
        send_back = verdict.verdict == FAIL and self._sent_back < self.config.max_verify_rounds
        self._sent_back += send_back
        host.emit(replace(verdict, round=self._rounds, max_rounds=self.config.max_verify_rounds, sent_back=send_back))
        if not send_back:  # the answer stands: checked, could not be checked, or failed with no round left
            failed = verdict.verdict == FAIL
            result.outcome = SessionStatus.UNVERIFIED.value if failed else SessionStatus.COMPLETED.value
            return True
        self._escalate(host, AFTER_FAILED_VERIFICATION)
        host.append_message({"role": "user", "content": findings_message(verdict, self._sent_back,
                                                                         self.config.max_verify_rounds)})
        result.answer = ""
        return False

    # --- escalation --------------------------------------------------------------------------

    def loop_warned(self, host: RolesHost) -> None:
        self._escalate(host, AFTER_LOOP_WARNING)

    def _escalate(self, host: RolesHost, reason: str) -> None:
        spec = self.config.escalation_spec
        if spec is None or self._escalated or host.model.name == spec.name:
            return
        self._escalated = True
        if self._session is None:
            self._session = (host.model, host.config)
        previous = host.model.name
        host.model = self._model(replace(spec, max_output_tokens=host.config.max_output_tokens,
                                               timeout_s=host.config.request_timeout_s))
        self._routed = (host.model, host.config)
        host.emit(Escalated(turn=host.turn, from_model=previous, to_model=host.model.name, reason=reason))


def findings_message(verdict: VerificationFinished, sent: int, most: int) -> str:
    """The user message that takes a failed verdict back to the generator."""
    findings = "\n".join(f"- {finding}" for finding in verdict.findings) or "- (no finding given)"
    return (f"{VERIFIER_MARKER} The verification ({verdict.decided_by}) failed, round {sent} of {most}:\n"
            f"{findings}\nFix these, then say you are done again.")
