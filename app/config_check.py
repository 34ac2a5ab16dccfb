"""Checking the configuration file's values, each blamed on its file, table, key and line.

``check_settings(settings)`` raises :class:`~app.settings.ConfigError` for the first
bad value (``config.toml:4: [agent] max_steps must be ≥ 1 (got -3)``) and returns
warnings for keys that are no setting, with the closest one
(``config.toml:3: [agent] max_stepz is not a setting; did you mean max_steps?``).

Each table is checked by the class that reads it (``AgentConfig``, ``BudgetConfig``…),
so the ranges live in one place. The line is that of the key at fault: the one without
which the table reads, else the first that fails alone, else the table's header. ``[keys]``, ``[permissions]`` and ``[pricing]`` are checked
where they are read (``app/tui/keys.py``, ``app/permission_files.py``, ``app/agent/pricing.py``),
``[ui]`` by the TUI (``app/tui/main.py``). :func:`tui_warnings` gives ``cockpit run`` the TUI's
``theme`` and ``[keys]`` problems too (textual, which knows the names, loads only when they are set).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from app.settings import TABLES, TOP, TOP_LEVEL, ConfigError, Settings

STRINGS = ("model", "api_base", "api_key_env", "fallback_model", "theme")


def _readers() -> dict[str, tuple[Callable[[dict[str, Any]], Any], set[str]]]:
    """table → (the reader that raises ValueError on a bad value, the keys it knows)."""
    from dataclasses import fields

    from app.agent.budget.config import BudgetConfig
    from app.agent.config import AgentConfig
    from app.agent.feedback.config import FeedbackConfig
    from app.agent.resilience.config import ResilienceConfig
    from app.agent.roles.config import KNOWN_KEYS as ROLES_KEYS, RolesConfig
    from app.agent.events.hooks import HOOK_EVENTS
    from app.agent.hooks.config import HooksConfig
    from app.agent.tools.sandbox import SandboxConfig
    from app.agent.tools.web_fetch import WebFetchConfig

    def names(cls: Any) -> set[str]:
        return {f.name for f in fields(cls)}

    return {
        "agent": (AgentConfig.from_dict, names(AgentConfig)),
        "budget": (BudgetConfig.from_dict, names(BudgetConfig)),
        "resilience": (ResilienceConfig.from_dict, names(ResilienceConfig)),
        "feedback": (FeedbackConfig.from_dict, names(FeedbackConfig)),
        "sandbox": (SandboxConfig.from_dict, names(SandboxConfig)),
        "hooks": (HooksConfig.from_dict, set(HOOK_EVENTS)),
        "tools": (WebFetchConfig.from_dict, {f"web_fetch_{name}" for name in names(WebFetchConfig)} | {"disabled"}),
        "roles": (RolesConfig.from_dict, ROLES_KEYS[""]),
    }


def check_settings(settings: Settings) -> list[str]:
    """Raise ConfigError for a bad value; the warnings about unknown keys."""
    _check_top_level(settings)
    readers = _readers()
    warnings = [_unknown_top_level(settings, key, readers) for key in settings.unknown]
    for table, (read, known) in readers.items():
        values: dict[str, Any] = getattr(settings, table)
        _check_table(settings, table, values, read)
        warnings += [_unknown(settings, table, key, known) for key in sorted(set(values) - known)]
    return warnings


def _check_top_level(settings: Settings) -> None:
    from app.agent.config import PROBABILITY

    for key in STRINGS:
        value = getattr(settings, key)
        if value is not None and not (isinstance(value, str) and value.strip()):
            raise ConfigError(f"{settings.locate(TOP, key)} must be a non-empty string (got {value!r})")
    if settings.feedback_rate is not None:
        try:
            PROBABILITY.check(settings.feedback_rate)
        except ValueError as exc:
            raise ConfigError(f"{settings.locate(TOP, 'feedback_rate')} {exc}") from None


def _check_table(settings: Settings, table: str, values: dict[str, Any], read: Callable[[dict[str, Any]], Any]) -> None:
    try:
        read(values)
        return
    except ValueError as exc:
        problem = str(exc)
    # The key at fault: the one without which the table reads, else the first that fails alone.
    without = [key for key in values if _reads(read, {k: v for k, v in values.items() if k != key})]
    alone = [key for key, value in values.items() if not _reads(read, {key: value})]
    culprit = (without or alone or [""])[0]
    raise ConfigError(f"{settings.where(table, culprit)}: [{table}] {problem}")


def _reads(read: Callable[[dict[str, Any]], Any], values: dict[str, Any]) -> bool:
    try:
        read(values)
    except ValueError:
        return False
    return True


def _unknown(settings: Settings, table: str, key: str, known: set[str]) -> str:
    close = difflib.get_close_matches(key, sorted(known), n=1)
    hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(sorted(known))}"
    return f"{settings.locate(table, key)} is not a setting (ignored); {hint}"


def _unknown_top_level(settings: Settings, key: str, readers: dict[str, Any]) -> str:
    """A top-level key that is no setting: the closest top-level key or table, else key of a table."""
    top = {name: name for name in TOP_LEVEL} | {name: f"[{name}]" for name in TABLES}
    nested = {name: f"{name} under [{table}]" for table, (_, known) in readers.items() for name in known}
    hint = "see the README's Configuration section"
    for candidates in (top, nested):
        close = difflib.get_close_matches(key, sorted(candidates), n=1)
        if close:
            hint = f"did you mean {candidates[close[0]]}?"
            break
    return f"{settings.locate(TOP, key)} is not a setting (ignored); {hint}"


# Textual's built-in theme names (a test keeps this list equal to textual.theme.BUILTIN_THEMES): the
# TUI saves the chosen one to the config, so a headless run checks it without importing textual.
TEXTUAL_THEMES = frozenset({
    "ansi-dark", "ansi-light", "atom-one-dark", "atom-one-light", "catppuccin-frappe", "catppuccin-latte",
    "catppuccin-macchiato", "catppuccin-mocha", "dracula", "flexoki", "gruvbox", "monokai", "nord", "rose-pine",
    "rose-pine-dawn", "rose-pine-moon", "solarized-dark", "solarized-light", "textual-dark", "textual-light",
    "tokyo-night",
})


def tui_warnings(settings: Settings) -> list[str]:
    """The problems the TUI reports about ``theme`` and ``[keys]``, for a headless run to print as warnings.

    Textual knows the key and theme names, so it is imported only when the file sets ``[keys]`` or a
    theme that is not one of :data:`TEXTUAL_THEMES`."""
    warnings: list[str] = []
    if settings.keys:
        from app.tui.keys import keymap_from_settings

        warnings += keymap_from_settings(settings.keys, lambda key: settings.locate("keys", key))[1]
    if isinstance(settings.theme, str) and settings.theme.strip() and settings.theme not in TEXTUAL_THEMES:
        from textual.theme import BUILTIN_THEMES  # only for a name that is not one of them: to say so

        from app.tui.theme import theme_problem

        problem = theme_problem(settings.theme, BUILTIN_THEMES, "the default theme", settings.locate(TOP, "theme"))
        warnings += [problem] if problem else []
    return warnings
