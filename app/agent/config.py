"""Settings of the agent loop, with documented defaults and the range each one takes."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

from app.agent.events.approvals import PermissionMode


@dataclass(frozen=True)
class Bound:
    """The values a numeric setting takes: a whole number or not, the lowest (and highest) allowed."""

    whole: bool
    low: float
    above: bool = False  # strictly above ``low`` (a duration or a price of 0 would stop everything)
    high: float | None = None

    def check(self, value: Any) -> int | float:
        """``value`` as the setting's type; ``ValueError`` with a short reason ("must be ≥ 1 (got -3)")."""
        kind = "a whole number" if self.whole else "a number"
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValueError(f"must be {kind} (got {value!r})")
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"must be {kind} (got {value!r})") from None
        if not math.isfinite(number) or (self.whole and not number.is_integer()):
            raise ValueError(f"must be {kind} (got {value!r})")
        too_low = number <= self.low if self.above else number < self.low
        if too_low or (self.high is not None and number > self.high):
            raise ValueError(f"{self.describe()} (got {_plain(number) if isinstance(value, (int, float)) else repr(value)})")
        return int(number) if self.whole else number

    def describe(self) -> str:
        if self.high is not None and self.above:
            return f"must be > {_plain(self.low)} and ≤ {_plain(self.high)}"
        if self.high is not None:
            return f"must be between {_plain(self.low)} and {_plain(self.high)}"
        return f"must be {'>' if self.above else '≥'} {_plain(self.low)}"

    def reason(self, value: Any) -> str:
        """Why a value read from TOML (no text, no 3.0 for a whole number) is not one: "must be ≥ 1 (got 0)";
        "" when it is. The one style of every range message."""
        if isinstance(value, str) or (self.whole and isinstance(value, float)):
            return f"must be {'a whole number' if self.whole else 'a number'} (got {value!r})"
        try:
            self.check(value)
        except ValueError as exc:
            return str(exc)
        return ""

    def require(self, name: str, value: Any) -> None:
        """``ValueError("max_attempts must be ≥ 1 (got 0)")`` for a value that is not one."""
        if reason := self.reason(value):
            raise ValueError(f"{name} {reason}")


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


PROBABILITY = Bound(whole=False, low=0.0, high=1.0)  # e.g. feedback_rate
SHARE = Bound(whole=False, low=0.0, above=True, high=1.0)  # (0, 1]: a share of the window, a failure ratio


def require_order(config: Any, low: str, high: str) -> None:
    """Two settings that must be in order: ``warn_at must be ≤ compact_at (got 0.9 > 0.5)``."""
    if getattr(config, low) > getattr(config, high):
        raise ValueError(f"{low} must be ≤ {high} (got {getattr(config, low)} > {getattr(config, high)})")

BOUNDS = {
    "max_steps": Bound(whole=True, low=1),
    "max_cost_usd": Bound(whole=False, low=0, above=True),
    "max_wall_s": Bound(whole=False, low=0, above=True),
    "tool_timeout_s": Bound(whole=False, low=0, above=True),
    "output_cap_chars": Bound(whole=True, low=1),
    "max_output_tokens": Bound(whole=True, low=1),
    "request_timeout_s": Bound(whole=False, low=0, above=True),
    "parallel_tools": Bound(whole=True, low=1, high=16),
    "max_subagents": Bound(whole=True, low=1, high=16),
}


FLAGS = ("prompt_cache", "subagents")  # the settings that are true or false


@dataclass(frozen=True)
class AgentConfig:
    max_steps: int = 50  # model calls per task (user turn)
    max_cost_usd: float = 5.0  # per session, priced by litellm's cost map
    max_wall_s: float = 1800.0  # per task
    tool_timeout_s: float = 120.0  # bash default and cap for other tools
    output_cap_chars: int = 30_000  # a tool result larger than this is cut (head + tail kept)
    max_output_tokens: int | None = None  # sent as max_tokens when set
    request_timeout_s: float = 600.0  # one model call, connection to last chunk
    parallel_tools: int = 4  # read-only calls of one reply that run at once (1: one at a time)
    subagents: bool = False  # the model may delegate work to child agents (the task tool)
    max_subagents: int = 3  # delegated tasks whose child agents run at once
    permission_mode: PermissionMode = PermissionMode.ASK
    prompt_cache: bool = True  # cache_control breakpoints for providers that need them (Anthropic, Claude on Bedrock)

    @classmethod
    def known_keys(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "AgentConfig":
        """Build from the ``[agent]`` table; unknown keys are ignored (the settings loader warns of them)."""
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if value is None:
                continue
            if key == "permission_mode":
                kwargs[key] = parse_permission_mode(value)
            elif key in FLAGS:
                if not isinstance(value, bool):
                    raise ValueError(f"{key} must be true or false (got {value!r})")
                kwargs[key] = value
            elif key in BOUNDS:
                try:
                    kwargs[key] = BOUNDS[key].check(value)
                except ValueError as exc:
                    raise ValueError(f"{key} {exc}") from None
        return cls(**kwargs)


def parse_permission_mode(value: Any) -> PermissionMode:
    try:
        return PermissionMode(str(value).replace("-", "_"))
    except ValueError:
        raise ValueError(
            f"permission_mode must be one of {', '.join(m.value for m in PermissionMode)} (got {value!r})"
        ) from None
