"""The advertised context window of a model: configured, from litellm, from the server, or assumed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.agent.offline import load_litellm


@dataclass(frozen=True)
class Window:
    advertised: int
    source: str  # config | litellm | server | assumed


def resolve_window(
    model: str,
    *,
    override: int | None,
    default: int,
    lookup: Callable[[str], dict[str, Any] | None] | None = None,
    server: Callable[[], int | None] | None = None,
) -> Window:
    """``override`` wins; then litellm's model info; then what the server says (``server``
    asks it, e.g. :func:`app.agent.budget.server_window.server_context_window`); then
    ``default``, marked as assumed."""
    if override is not None:
        return Window(advertised=override, source="config")
    info = (lookup or litellm_model_info)(model)
    tokens = (info or {}).get("max_input_tokens") or (info or {}).get("max_tokens")
    if isinstance(tokens, int) and tokens > 0:
        return Window(advertised=tokens, source="litellm")
    advertised = server() if server is not None else None
    if advertised:
        return Window(advertised=advertised, source="server")
    return Window(advertised=default, source="assumed")


def litellm_model_info(model: str) -> dict[str, Any] | None:
    """litellm's record for ``model`` from its bundled cost map, or None if unknown."""
    litellm = load_litellm()  # sets LITELLM_LOCAL_MODEL_COST_MAP before importing
    try:
        return dict(litellm.get_model_info(model))
    except Exception:  # litellm raises for models it has not mapped
        return None
