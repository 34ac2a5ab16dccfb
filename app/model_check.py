"""Can this model be called? Checked before a session is built, a model switched or saved.

``check_model(model, api_base)`` raises :class:`InvalidModel` with a short reason when:

* a ``scripted/<file>`` model's file does not exist;
* litellm knows no provider for the string (``litellm.get_llm_provider``);
* the provider needs a key or setting that is not in the environment
  (``litellm.validate_environment``) — unless an ``api_base`` is given for an
  OpenAI-compatible server (``openai/…``), which needs none.

``replay/<id>`` models are checked where the recorded session is looked up. litellm is
imported here (through :func:`app.agent.offline.load_litellm`, offline), never at import time.
"""

from __future__ import annotations

from pathlib import Path

from app.model_select import FROM_CONFIG, FROM_FLAG, OLLAMA_URL, ModelChoice
from app.settings import TOP, ConfigError, Settings

OFFLINE = ("scripted/", "replay/")
EXAMPLES = "e.g. anthropic/claude-sonnet-4-5, openai/gpt-4.1, ollama_chat/llama3.1 or scripted/<file.json>"


class InvalidModel(ConfigError):
    """The model cannot be called; the message says why, in a line."""


def check_model(model: str, api_base: str | None = None, origin: str = "") -> None:
    """Raise :class:`InvalidModel` unless ``model`` can be called (see the module docstring).

    ``origin`` names who chose it ("--model", "config.toml:1: model"); the message starts with it.
    """
    problem = model_problem(model.strip(), api_base)
    if problem:
        raise InvalidModel(f"{origin or 'model'} {model!r}: {problem}")


def model_problem(model: str, api_base: str | None) -> str:
    """Why ``model`` cannot be called, or ""."""
    if not model:
        return f"no model given; name one, {EXAMPLES}"
    if model.startswith("scripted/"):
        script = Path(model.split("/", 1)[1]).expanduser()
        return "" if script.is_file() else f"no script at {script}"
    if model.startswith(OFFLINE):
        return ""
    from app.agent.offline import load_litellm

    litellm = load_litellm()
    try:
        _, provider, _, _ = litellm.get_llm_provider(model, api_base=api_base)
    except Exception:  # litellm raises its BadRequestError, with a page of advice
        return f"litellm knows no provider for it; write provider/model, {EXAMPLES}"
    if api_base and provider == "openai":  # an OpenAI-compatible server: a key is optional
        return ""
    if provider.startswith("ollama"):  # litellm asks for OLLAMA_API_BASE; Ollama has a default address
        api_base = api_base or OLLAMA_URL
    try:
        missing = litellm.validate_environment(model, api_base=api_base).get("missing_keys") or []
    except Exception:  # litellm could not tell: the call itself will say
        return ""
    if missing:
        return f"the {provider} provider needs {', '.join(missing)} in the environment"
    return ""


def check_choice(choice: ModelChoice, settings: Settings) -> None:
    """:func:`check_model` for a chosen model, blamed on the flag or the config file's line that named it."""
    origin = {FROM_FLAG: "--model", FROM_CONFIG: settings.locate(TOP, "model")}.get(choice.source, "model")
    check_model(choice.model, choice.api_base, origin)
