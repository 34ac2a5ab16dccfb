"""The router: a task's class, from the rule table or the router model, and what the class gets.

The configured rules are tried first, then the built-in table (:data:`BUILT_IN_RULES`); the
first pattern that matches decides. When none does and a router model is configured, it is
asked for ``{"class": "...", "reason": "..."}`` (a model call of role ``router``, through the
loop's one call path); a reply that is not such an object, or a failed call, leaves the task
to ``default_class`` and says why. The decision is a :class:`RouteChosen`.
"""

from __future__ import annotations

import re
from dataclasses import replace

from app.agent.errors import ModelFailed
from app.agent.events.core import ROLE_ROUTER
from app.agent.events.roles import BY_DEFAULT, BY_MODEL, BY_RULES, RouteChosen
from app.agent.model import Model
from app.agent.model_call import ModelRequest
from app.agent.providers.script_file import approx_tokens
from app.agent.resilience.errors import ResilienceError
from app.agent.roles.base import RolesHost
from app.agent.roles.config import Rule, RouterConfig
from app.agent.roles.verdict import parse_object


def _built_in(task_class: str, pattern: str, flags: int = 0) -> Rule:
    return Rule(re.compile(pattern, re.IGNORECASE | flags), task_class, f"the built-in {task_class.replace('_', '-')} rule")


# In order: the first that matches decides.
BUILT_IN_RULES = (
    _built_in("debugging", r"\b(traceback|exception|stack ?trace|crash\w*|bug|broken|fail(s|ed|ing|ure)?|error|"
                           r"doesn'?t work|not working|regression|debug\w*)\b"),
    _built_in("multi_file", r"\b(refactor\w*|migrat\w*|across (the|all|every)|every file|all (the )?files|throughout|"
                            r"codebase|whole (project|repo\w*))\b"),
    _built_in("question", r"(^\s*(what|why|how|where|when|which|who|explain|describe|is|are|does|do|can|should)\b.*|"
                          r"\?\s*)$", re.DOTALL),
    _built_in("small_edit", r"\b(add|change|rename|update|edit|replace|remove|delete|fix|tweak|bump|set)\b"),
)

ROUTER_PROMPT = """You classify a coding task for an agent. Classes: {classes}.
Reply with one JSON object and nothing else: {{"class": "<one of the classes>", "reason": "<a few words>"}}."""

_SCHEMA = {
    "type": "object",
    "required": ["class"],
    "properties": {"class": {"type": "string"}, "reason": {"type": "string"}},
}


def by_rules(task: str, rules: tuple[Rule, ...]) -> tuple[str, str] | None:
    """(class, reason) of the first rule whose pattern matches the task; None when none does."""
    for rule in rules:
        found = rule.pattern.search(task)
        if found:
            return rule.task_class, f"{found.group(0).strip()[:40]!r} matched {rule.label}"
    return None


class Router:
    def __init__(self, config: RouterConfig, model: Model | None) -> None:
        self.config = config
        self.model = model  # None: rules and the default class only
        self.rules = (*config.rules, *BUILT_IN_RULES)

    async def classify(self, host: RolesHost, task: str) -> RouteChosen:
        """The task's class and who decided it (model, limits and cost are filled in by the caller)."""
        matched = by_rules(task, self.rules)
        if matched is not None:
            return RouteChosen(turn=host.turn, task_class=matched[0], decided_by=BY_RULES, reason=matched[1])
        if self.model is None:
            return self._default(host, "no rule matched")
        classes = self.config.known_classes()
        prompt = [{"role": "system", "content": ROUTER_PROMPT.format(classes=", ".join(classes))},
                  {"role": "user", "content": task}]
        request = ModelRequest(self.model, prompt, role=ROLE_ROUTER, turn=host.turn, step=host.step,
                               estimate=approx_tokens(prompt))
        try:
            reply = await host.ask(request)
        except (ResilienceError, ModelFailed) as exc:
            return self._default(host, f"the router call failed: {exc}", called=True)
        chosen, problem = parse_object(reply.text, _SCHEMA)
        if chosen is not None and chosen["class"] not in classes:
            problem = f"it named no known class ({chosen['class']!r})"
            chosen = None
        if chosen is None:
            decision = self._default(host, f"the router's reply was unusable: {problem}", called=True)
        else:
            decision = RouteChosen(turn=host.turn, task_class=chosen["class"], decided_by=BY_MODEL, called_model=True,
                                   reason=str(chosen.get("reason") or "the router model's choice"))
        return replace(decision, cost_usd=reply.cost_usd)

    def _default(self, host: RolesHost, reason: str, *, called: bool = False) -> RouteChosen:
        return RouteChosen(turn=host.turn, task_class=self.config.default_class, decided_by=BY_DEFAULT,
                           reason=reason, called_model=called)
