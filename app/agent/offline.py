"""Keep litellm and tiktoken off the network, and import litellm lazily.

``load_litellm()`` is the only way the core imports litellm: it sets the
environment first (local cost map, tiktoken cache pointed at the BPE files
litellm ships), silences litellm's banners, zeroes its own retries (the harness
owns every retry), turns litellm's token counter off and registers Cockpit's
custom providers.

litellm counts every call's prompt and answer for its own cost logging, with a
cl100k tokenizer it loads at the first call (~40 MB, ~0.15 s), a figure Cockpit
never reads: where a provider sends no usage, Cockpit counts it itself with the
budget's tokenizer (:mod:`app.agent.usage_estimate`). Off, litellm's
``token_counter`` answers 0 (its stream builder's made-up usage, which Cockpit
does not take, its ``max_tokens`` trimming under ``modify_params``, which
Cockpit does not set).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from pathlib import Path
from collections.abc import Callable
from types import ModuleType
from typing import Any

_lock = threading.Lock()
_litellm: ModuleType | None = None
_extra_providers: dict[str, Callable[[], object]] = {}


def litellm_package_dir() -> Path | None:
    """Directory of the installed litellm package (found without importing it)."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def litellm_tokenizer_dir() -> Path | None:
    """Directory of the tokenizer files bundled with litellm (no import of litellm)."""
    package = litellm_package_dir()
    if package is None:
        return None
    path = package / "litellm_core_utils" / "tokenizers"
    return path if path.is_dir() else None


def prepare_environment() -> None:
    """Set the variables that keep litellm and tiktoken from fetching anything."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("LITELLM_LOG", "ERROR")
    os.environ.setdefault("LITELLM_DONT_SHOW_FEEDBACK_BOX", "True")
    os.environ.setdefault("DISABLE_AIOHTTP_TRANSPORT", "True")
    tokenizers = litellm_tokenizer_dir()
    if tokenizers is not None:
        os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(tokenizers))


OFFLINE_PROVIDERS = ("scripted/", "replay/")  # Cockpit's own providers: a script, a recorded session


def answered_offline(model: str) -> bool:
    """Whether ``model`` is answered by one of Cockpit's offline providers (no provider is called)."""
    return model.startswith(OFFLINE_PROVIDERS)


def register_provider(name: str, factory: Callable[[], object]) -> None:
    """Register a litellm custom provider (``name/...`` model strings).

    ``factory`` builds the handler once litellm is loaded (handlers subclass
    litellm's ``CustomLLM``, so they cannot be imported before it)."""
    _extra_providers[name] = factory
    if _litellm is not None:
        _install_providers()


def loaded_litellm() -> ModuleType | None:
    """litellm if :func:`load_litellm` has loaded it, else None (nothing is imported)."""
    return _litellm


def load_litellm() -> ModuleType:
    global _litellm
    if _litellm is not None:
        return _litellm
    with _lock:
        if _litellm is None:
            prepare_environment()
            import litellm

            litellm.suppress_debug_info = True
            litellm.set_verbose = False
            litellm.num_retries = 0
            litellm.drop_params = True
            litellm.telemetry = False
            litellm.disable_token_counter = True  # no cl100k load for litellm's own logging (see above)
            _defer_default_encoding()
            _drop_anthropic_tokenizer_copy()
            for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "httpx"):
                logging.getLogger(name).setLevel(logging.ERROR)
            _install_providers()
            _litellm = litellm
    return _litellm


class _DeferredEncoding:
    """litellm's default tokenizer (cl100k, ~35 MB of RSS), loaded when something reads it, not before.

    litellm's ``completion`` hands it to every provider's handler (``litellm.main._get_encoding()``), so its
    first call loaded it whatever the provider (the scripted one included), though with the token counter off
    few handlers read it; one that does gets the real encoding at its first use."""

    def __init__(self) -> None:
        self._encoding: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._encoding is None:
            from litellm._lazy_imports import get_default_encoding

            self._encoding = get_default_encoding()
        return getattr(self._encoding, name)


def _defer_default_encoding() -> None:
    import litellm.main

    if getattr(litellm.main, "_encoding_cache", False) is None:  # litellm 1.10x's cache of it
        litellm.main._encoding_cache = _DeferredEncoding()


def _drop_anthropic_tokenizer_copy() -> None:
    """litellm.utils keeps the Anthropic tokenizer file twice, decoded (``json_data``, ~14 MB of objects, read by
    nothing after the import) and as the string its tokenizer is built from (``claude_json_str``): the first goes."""
    import litellm.utils

    if isinstance(getattr(litellm.utils, "json_data", None), dict) and hasattr(litellm.utils, "claude_json_str"):
        litellm.utils.json_data = None


def _install_providers() -> None:
    """Register the handlers in litellm (already loaded: both callers made sure)."""
    import litellm

    from app.agent.providers.scripted import ScriptedLLM

    handlers = {"scripted": ScriptedLLM(), **{name: make() for name, make in _extra_providers.items()}}
    current = [p for p in (litellm.custom_provider_map or []) if p.get("provider") not in handlers]
    litellm.custom_provider_map = current + [
        {"provider": name, "custom_handler": handler} for name, handler in handlers.items()
    ]
    # custom_provider_map is read when litellm sets up; refresh its provider list.
    from litellm.utils import custom_llm_setup

    custom_llm_setup()
