"""The ``[roles]`` table: the router, the verifier and escalation, each off until configured.

::

    [roles]
    escalate_to = "openai/gpt-5"        # after a failed verification or a loop warning (none: no escalation)
    escalate_api_base = "https://…"     # optional
    max_verify_rounds = 2               # findings sent back to the generator at most this often per turn

    [roles.router]
    enabled = true                      # the one setting that turns routing on (default false)
    model = "openai/gpt-4o-mini"        # optional: asked when no rule matches (none: rules, then default_class)
    api_base = "…"                      # optional
    max_tokens = 200                    # the router call's output limit
    timeout_s = 30                      # the router call's request timeout
    default_class = "small_edit"
    rules = [{ pattern = "(?i)migrat", class = "multi_file" }]   # tried before the built-in table

    [roles.router.classes.debugging]    # what a class gets (every key optional; none: the session's)
    model = "openai/big"
    api_base = "…"
    max_steps = 80
    max_output_tokens = 8000

    [roles.verifier]
    mode = "tests"                      # off (default) | tests | model | both
    model = "openai/gpt-4o-mini"        # for model / both
    api_base = "…"
    max_tokens = 800
    timeout_s = 120
    test_command = "pytest -q"          # optional: instead of the detected one
    test_timeout_s = 600

Why these defaults: routing and verification change what a turn costs and does, so both are
off until asked for. The verifier's ``tests`` mode runs the project's own test command in the
sandbox: cheap and honest, but it runs code, so it is a choice the user makes; ``model`` costs
a model call per round. Two rounds give the generator one chance to fix what it was told and
one more to get it right, without letting a verifier and a generator argue for a whole budget.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Any

from app.agent.config import Bound

VERIFIER_MODES = ("off", "tests", "model", "both")
CLASSES = ("question", "small_edit", "multi_file", "debugging")  # the built-in rule table's

_BOUNDS = {
    "max_tokens": Bound(whole=True, low=1),
    "timeout_s": Bound(whole=False, low=0, above=True),
    "max_steps": Bound(whole=True, low=1),
    "max_output_tokens": Bound(whole=True, low=1),
    "test_timeout_s": Bound(whole=False, low=0, above=True),
    "max_verify_rounds": Bound(whole=True, low=1, high=10),
}


@dataclass(frozen=True)
class ModelSpec:
    """A model of a role: its name, where it is served, its limits."""

    name: str
    api_base: str | None = None
    max_output_tokens: int | None = None
    timeout_s: float | None = None


@dataclass(frozen=True)
class ClassRoute:
    """What a task class gets: a generator model and limits (None: the session's)."""

    model: str | None = None
    api_base: str | None = None
    max_steps: int | None = None
    max_output_tokens: int | None = None


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern[str]
    task_class: str
    label: str = ""  # how a decision names it: "rules[2] of [roles.router]", "the built-in debugging rule"


@dataclass(frozen=True)
class RouterConfig:
    enabled: bool = False
    model: str | None = None
    api_base: str | None = None
    max_tokens: int = 200
    timeout_s: float = 30.0
    default_class: str = "small_edit"
    rules: tuple[Rule, ...] = ()
    classes: dict[str, ClassRoute] = field(default_factory=dict)

    @property
    def model_spec(self) -> ModelSpec | None:
        return None if not self.model else ModelSpec(self.model, self.api_base, self.max_tokens, self.timeout_s)

    def known_classes(self) -> tuple[str, ...]:
        extra = [c for c in (*self.classes, *(r.task_class for r in self.rules), self.default_class) if c not in CLASSES]
        return tuple(dict.fromkeys((*CLASSES, *extra)))


@dataclass(frozen=True)
class VerifierConfig:
    mode: str = "off"  # off | tests | model | both
    model: str | None = None
    api_base: str | None = None
    max_tokens: int = 800
    timeout_s: float = 120.0
    test_command: str | None = None
    test_timeout_s: float = 600.0

    @property
    def runs_tests(self) -> bool:
        return self.mode in ("tests", "both")

    @property
    def asks_model(self) -> bool:
        return self.mode in ("model", "both")

    @property
    def model_spec(self) -> ModelSpec | None:
        return None if not self.model else ModelSpec(self.model, self.api_base, self.max_tokens, self.timeout_s)


@dataclass(frozen=True)
class RolesConfig:
    router: RouterConfig = field(default_factory=RouterConfig)
    verifier: VerifierConfig = field(default_factory=VerifierConfig)
    escalate_to: str | None = None
    escalate_api_base: str | None = None
    max_verify_rounds: int = 2

    @property
    def active(self) -> bool:
        """Anything for the loop to do: routing, verification or escalation."""
        return self.router.enabled or self.verifier.mode != "off" or bool(self.escalate_to)

    @property
    def escalation_spec(self) -> ModelSpec | None:
        return None if not self.escalate_to else ModelSpec(self.escalate_to, self.escalate_api_base)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RolesConfig:
        """Read ``[roles]``; ``ValueError`` naming the key (``router.max_tokens must be ≥ 1 (got 0)``)."""
        top = _values(data, "", {"escalate_to": str, "escalate_api_base": str, "max_verify_rounds": int})
        router = _table(data, "router")
        verifier = _table(data, "verifier")
        for name, table in (("router", router), ("verifier", verifier)):
            unknown = sorted(set(table) - KNOWN_KEYS[name])
            if unknown:
                known = ", ".join(sorted(KNOWN_KEYS[name]))
                raise ValueError(f"{name}.{unknown[0]} is not a setting of [roles.{name}] (known: {known})")
        router_values = _values(router, "router.", {"enabled": bool, "model": str, "api_base": str, "max_tokens": int,
                                                    "timeout_s": float, "default_class": str})
        verifier_values = _values(verifier, "verifier.", {"mode": str, "model": str, "api_base": str, "max_tokens": int,
                                                          "timeout_s": float, "test_command": str,
                                                          "test_timeout_s": float})
        mode = verifier_values.get("mode", "off")
        if mode not in VERIFIER_MODES:
            raise ValueError(f"verifier.mode must be one of {', '.join(VERIFIER_MODES)} (got {mode!r})")
        if mode in ("model", "both") and not verifier_values.get("model"):
            raise ValueError(f"verifier.model must be set for mode {mode!r}")
        router_config = RouterConfig(**router_values, rules=_rules(router.get("rules", [])),
                                     classes=_classes(_table(router, "classes", "router.")))
        return cls(router=router_config, verifier=VerifierConfig(**verifier_values), **top)


def _table(data: dict[str, Any], key: str, prefix: str = "") -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ValueError(f"{prefix}{key} must be a table ([roles.{prefix}{key}])")
    return value


def _values(data: dict[str, Any], prefix: str, kinds: dict[str, type]) -> dict[str, Any]:
    """The known keys of a table, checked: a string is a non-empty string, a number in its range."""
    values: dict[str, Any] = {}
    for key, kind in kinds.items():
        value = data.get(key)
        if value is None:
            continue
        if kind is bool and not isinstance(value, bool):
            raise ValueError(f"{prefix}{key} must be true or false (got {value!r})")
        if kind is str and (not isinstance(value, str) or not value.strip()):
            raise ValueError(f"{prefix}{key} must be a non-empty string (got {value!r})")
        if key in _BOUNDS:
            _BOUNDS[key].require(prefix + key, value)
            value = _BOUNDS[key].check(value)
        values[key] = value
    return values


def _rules(items: Any) -> tuple[Rule, ...]:
    if not isinstance(items, list):
        raise ValueError("router.rules must be a list of { pattern = \"…\", class = \"…\" }")
    rules = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("pattern"), str) or not isinstance(item.get("class"), str):
            raise ValueError(f"router.rules[{number}] must be {{ pattern = \"…\", class = \"…\" }} (got {item!r})")
        try:
            rules.append(Rule(re.compile(item["pattern"]), item["class"], f"rules[{number}] of [roles.router]"))
        except re.error as exc:
            raise ValueError(f"router.rules[{number}] pattern is not a regular expression: {exc}") from None
    return tuple(rules)


def _classes(table: dict[str, Any]) -> dict[str, ClassRoute]:
    known = {f.name for f in fields(ClassRoute)}
    routes = {}
    for name, value in table.items():
        if not isinstance(value, dict):
            raise ValueError(f"router.classes.{name} must be a table")
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(f"router.classes.{name}.{unknown[0]} is not a setting (known: {', '.join(sorted(known))})")
        kinds = {"model": str, "api_base": str, "max_steps": int, "max_output_tokens": int}
        routes[name] = ClassRoute(**_values(value, f"router.classes.{name}.", kinds))
    return routes


KNOWN_KEYS = {
    "": {"router", "verifier", "escalate_to", "escalate_api_base", "max_verify_rounds"},
    "router": {"enabled", "model", "api_base", "max_tokens", "timeout_s", "default_class", "rules", "classes"},
    "verifier": {"mode", "model", "api_base", "max_tokens", "timeout_s", "test_command", "test_timeout_s"},
}
