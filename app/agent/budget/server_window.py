"""Ask an OpenAI-compatible server how large its context window is.

For a model litellm does not know, the server usually says: vLLM puts
``max_model_len`` in its ``/v1/models`` entries, LM Studio and others
``context_length``; llama.cpp's server answers ``GET /props`` with
``default_generation_settings.n_ctx`` (the window it really runs with, not the
model's training length). Asked once per session, with a short timeout, and
only when a window is first needed -- never at import time.
"""

from __future__ import annotations

from typing import Any

MODEL_FIELDS = ("max_model_len", "context_length", "context_window", "max_context_length")
TIMEOUT_S = 2.0


def server_context_window(api_base: str, model: str, *, timeout_s: float = TIMEOUT_S) -> int | None:
    """The context window ``api_base`` advertises for ``model`` (``openai/<id>`` or ``<id>``), or None."""
    import httpx  # installed with litellm; loaded only when a session needs a window

    base = api_base.rstrip("/")
    model_id = model.split("/", 1)[1] if model.startswith("openai/") else model
    try:
        with httpx.Client(timeout=timeout_s) as client:
            tokens = _from_models(_get(client, f"{base}/models"), model_id)
            if tokens is None:
                root = base[: -len("/v1")] if base.endswith("/v1") else base
                tokens = _from_props(_get(client, f"{root}/props"))
    except httpx.HTTPError:
        return None
    return tokens


def _get(client: Any, url: str) -> Any:
    response = client.get(url)
    if response.status_code != 200:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _from_models(body: Any, model_id: str) -> int | None:
    entries = body.get("data") if isinstance(body, dict) else None
    if not isinstance(entries, list):
        return None
    entries = [e for e in entries if isinstance(e, dict)]
    chosen = [e for e in entries if e.get("id") == model_id] or (entries if len(entries) == 1 else [])
    for entry in chosen:
        for name in MODEL_FIELDS:
            tokens = _positive(entry.get(name))
            if tokens is not None:
                return tokens
    return None


def _from_props(body: Any) -> int | None:
    if not isinstance(body, dict):
        return None
    settings = body.get("default_generation_settings")
    nested = settings.get("n_ctx") if isinstance(settings, dict) else None
    return _positive(nested) or _positive(body.get("n_ctx"))


def _positive(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None
