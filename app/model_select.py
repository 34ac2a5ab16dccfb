"""Which model to use: the flag, the config, or what the environment offers."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from app.settings import ConfigError

# Environment variable → default model for that provider (litellm model strings).
ENV_MODELS = (
    ("ANTHROPIC_API_KEY", "anthropic/claude-sonnet-4-5"),
    ("OPENAI_API_KEY", "openai/gpt-4.1"),
    ("GEMINI_API_KEY", "gemini/gemini-2.5-pro"),
    ("OPENROUTER_API_KEY", "openrouter/anthropic/claude-sonnet-4.5"),
)
OLLAMA_URL = os.environ.get("OLLAMA_HOST", "http://127.0.0.1:11434").rstrip("/")

HOW_TO = """No model is configured. Pick one of:
  cockpit --model anthropic/claude-sonnet-4-5        (with ANTHROPIC_API_KEY set)
  cockpit --model openai/gpt-4.1                     (with OPENAI_API_KEY set)
  cockpit --model openai/my-model --api-base http://localhost:8000/v1   (any OpenAI-compatible server)
  cockpit --model ollama_chat/llama3.1               (a local Ollama)
  cockpit --model scripted/path/to/script.json       (offline: replays a JSON script)
or put  model = "..."  in the config file ({config})."""


IN_APP_HOW_TO = """No model is configured. Ctrl+P › “Change model…” picks one, e.g.
  anthropic/claude-sonnet-4-5    with ANTHROPIC_API_KEY set
  openai/gpt-4.1                 with OPENAI_API_KEY set
  ollama_chat/llama3.1           a local Ollama
  scripted/path/to/script.json   offline: replays a JSON script
It is saved as your default in {config}.
What you type meanwhile waits for it.
For an OpenAI-compatible server: cockpit --model openai/<name> --api-base URL"""


class NoModelConfigured(ConfigError):
    """Neither a flag, the config nor the environment names a model."""

    def __init__(self, message: str, config_path: str = "") -> None:
        super().__init__(message)
        self.config_path = config_path

    def in_app(self) -> str:
        """The same advice for the TUI, where a model can be picked from the palette."""
        return IN_APP_HOW_TO.format(config=self.config_path or "the config file")


FROM_FLAG, FROM_CONFIG = "flag", "config"  # ModelChoice.source; "" for the environment, a session, the picker


@dataclass
class ModelChoice:
    model: str
    api_base: str | None
    reason: str
    source: str = ""  # FROM_FLAG | FROM_CONFIG | "": who named the model (an invalid one is blamed on it)


def choose_model(flag: str | None, api_base: str | None, configured: str | None, config_path: str) -> ModelChoice:
    if flag:
        return ModelChoice(flag, api_base, "from --model", FROM_FLAG)
    if configured:
        return ModelChoice(configured, api_base, f"from {config_path}", FROM_CONFIG)
    if api_base:
        raise ConfigError(f"--api-base needs a --model too, e.g. --model openai/<name> --api-base {api_base}")
    for variable, model in ENV_MODELS:
        if os.environ.get(variable):
            return ModelChoice(model, None, f"{variable} is set")
    ollama = _ollama_model()
    if ollama:
        return ModelChoice(f"ollama_chat/{ollama}", OLLAMA_URL, f"Ollama is running at {OLLAMA_URL}")
    raise NoModelConfigured(HOW_TO.format(config=config_path), config_path)


def _ollama_model() -> str | None:
    import urllib.request

    try:
        with urllib.request.urlopen(f"{OLLAMA_URL}/api/tags", timeout=0.5) as response:
            models = json.load(response).get("models") or []
    except (OSError, ValueError):
        return None
    return models[0]["name"] if models else None
