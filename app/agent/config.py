"""Settings of the agent loop, with documented defaults."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from app.agent.events.approvals import PermissionMode


@dataclass(frozen=True)
class AgentConfig:
    max_steps: int = 50  # model calls per task (user turn)
    max_cost_usd: float = 5.0  # per session, priced by litellm's cost map
    max_wall_s: float = 1800.0  # per task
    tool_timeout_s: float = 120.0  # bash default and cap for other tools
    output_cap_chars: int = 30_000  # a tool result larger than this is cut (head + tail kept)
    max_output_tokens: int | None = None  # sent as max_tokens when set
    request_timeout_s: float = 600.0  # one model call, connection to last chunk
    permission_mode: PermissionMode = PermissionMode.ASK

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "AgentConfig":
        known = {f.name: f for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known or value is None:
                continue
            if key == "permission_mode":
                try:
                    kwargs[key] = PermissionMode(str(value).replace("-", "_"))
                except ValueError:
                    raise ValueError(
                        f"permission_mode must be one of {', '.join(m.value for m in PermissionMode)} (got {value!r})"
                    ) from None
                continue
            default = getattr(cls, key)
            kind = type(default) if default is not None else int
            try:
                kwargs[key] = kind(value)
            except (TypeError, ValueError):
                raise ValueError(f"{key} must be a {kind.__name__} (got {value!r})") from None
            if isinstance(kwargs[key], (int, float)) and kwargs[key] < 0:
                raise ValueError(f"{key} must not be negative (got {value!r})")
        return cls(**kwargs)
