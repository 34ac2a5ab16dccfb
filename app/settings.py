"""The configuration file (TOML), read with tomllib.

Location: ``$COCKPIT_CONFIG`` or ``$COCKPIT_HOME/config.toml``. Every key is
optional; command-line flags win over the file. A broken file is a clear error
naming the file and the line, never a traceback.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app import paths

TOP_LEVEL = {"model", "api_base", "api_key_env", "fallback_model", "theme", "feedback_rate"}
TABLES = {"agent", "budget", "resilience", "feedback", "keys", "ui", "permissions", "sandbox", "pricing"}


class ConfigError(Exception):
    """A configuration problem the user must fix; the message says how."""


@dataclass
class Settings:
    path: Path | None = None
    model: str | None = None
    api_base: str | None = None
    api_key_env: str | None = None  # the variable holding the key for api_base (default OPENAI_API_KEY)
    fallback_model: str | None = None
    theme: str | None = None
    feedback_rate: float | None = None
    agent: dict[str, Any] = field(default_factory=dict)
    budget: dict[str, Any] = field(default_factory=dict)
    resilience: dict[str, Any] = field(default_factory=dict)
    feedback: dict[str, Any] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    ui: dict[str, Any] = field(default_factory=dict)
    permissions: dict[str, Any] = field(default_factory=dict)  # allow/deny rules: app/permission_files.py
    sandbox: dict[str, Any] = field(default_factory=dict)  # where commands run: app/agent/tools/sandbox.py
    pricing: dict[str, Any] = field(default_factory=dict)  # [pricing."model"] rates: app/agent/pricing.py


def load_settings(path: Path | None = None) -> Settings:
    path = path or paths.config_path()
    if not path.exists():
        return Settings(path=path)
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}. Fix the file or move it away.") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {exc.start}); TOML files are UTF-8. Fix the file or move it away."
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration file ({exc.strerror})") from None
    unknown = sorted(set(data) - TOP_LEVEL - TABLES)
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting(s) {', '.join(unknown)}. Known: "
            f"{', '.join(sorted(TOP_LEVEL))} and the tables [{'], ['.join(sorted(TABLES))}]"
        )
    settings = Settings(path=path)
    for key in TOP_LEVEL:
        if key in data:
            setattr(settings, key, data[key])
    for table in TABLES:
        value = data.get(table, {})
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: [{table}] must be a table")
        setattr(settings, table, value)
    if settings.permissions:
        from app.permission_files import check_table

        check_table(settings.permissions, path, text)
    return settings


def save_setting(key: str, value: Any, path: Path | None = None) -> None:
    """Persist one top-level setting (e.g. the theme), keeping the rest of the file."""
    path = path or paths.config_path()
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    rendered = f"{key} = {_toml_value(value)}"
    for i, line in enumerate(lines):
        if line.startswith("["):
            lines.insert(i, rendered)
            break
        if line.split("=", 1)[0].strip() == key:
            lines[i] = rendered
            break
    else:
        lines.append(rendered)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
