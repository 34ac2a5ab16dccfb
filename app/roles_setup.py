"""Composition of the roles (``[roles]``: router, verifier, escalation) for a session.

``build_session`` gives the agent :func:`session_roles`: None while every role is off, so a
session without ``[roles]`` runs exactly as before. Each role's model is a ``LiteLLMModel``
with the role's own limits and the session's ``[pricing]``, so its calls are priced like the
generator's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.settings import ConfigError, Settings

if TYPE_CHECKING:
    from app.agent.config import AgentConfig
    from app.agent.model import LiteLLMModel
    from app.agent.roles.config import ModelSpec
    from app.agent.roles.turn import Roles


def session_roles(settings: Settings, config: "AgentConfig", model: "LiteLLMModel") -> "Roles | None":
    """The session's roles, or None when ``[roles]`` turns none on."""
    from app.agent.model import LiteLLMModel
    from app.agent.roles.config import RolesConfig
    from app.agent.roles.turn import Roles

    try:
        roles = RolesConfig.from_dict(settings.roles)
    except ValueError as exc:
        raise ConfigError(f"{settings.path}: [roles] {exc}") from None
    if not roles.active:
        return None

    def build(spec: "ModelSpec") -> Any:
        # The session's model with other limits (a class's max_output_tokens) is served where the session's is.
        api_base = spec.api_base or (model.api_base if spec.name == model.name else None)
        return LiteLLMModel(spec.name, api_base=api_base, api_key_env=settings.api_key_env if api_base else None,
                            max_output_tokens=spec.max_output_tokens, timeout_s=spec.timeout_s or config.request_timeout_s,
                            pricing=model.pricing)

    return Roles(roles, build)
