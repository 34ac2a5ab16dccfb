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
TABLES = {"agent", "budget", "resilience", "feedback", "keys", "ui", "permissions", "sandbox", "pricing", "checkpoints", "mcp_servers",
          "hooks", "tools", "roles", "telemetry"}
TOP = ""  # the table name of a top-level key in Settings.lines


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
    checkpoints: dict[str, Any] = field(default_factory=dict)  # [checkpoints] max_mb: app/checkpoints.py
    mcp_servers: dict[str, Any] = field(default_factory=dict)  # [mcp_servers.NAME]: app/agent/mcp/config.py
    hooks: dict[str, Any] = field(default_factory=dict)  # [[hooks.PreToolUse]] ...: app/agent/hooks/config.py
    tools: dict[str, Any] = field(default_factory=dict)  # [tools] web_fetch_*: app/agent/tools/web_fetch.py
    roles: dict[str, Any] = field(default_factory=dict)  # [roles.router], [roles.verifier]: app/agent/roles/config.py
    telemetry: dict[str, Any] = field(default_factory=dict)  # [telemetry] OTLP export: app/telemetry/config.py
    unknown: list[str] = field(default_factory=list)  # top-level keys that are no setting (app/config_check.py warns)
    lines: dict[tuple[str, str], int] = field(default_factory=dict)  # (table, key) -> line; (table, "") its header

    def where(self, table: str = TOP, key: str = "") -> str:
        """``path:line`` of ``key`` in ``[table]`` (a top-level ``key`` may be a table's header), else of the
        table; the path alone when neither is in the file."""
        line = self.lines.get((table, key)) or self.lines.get((key, "") if table == TOP else (table, ""))
        return f"{self.path}:{line}" if line else str(self.path)

    def locate(self, table: str = TOP, key: str = "") -> str:
        """``path:line: [table] key`` — where a problem with a setting is, for a message."""
        what = " ".join(part for part in (f"[{table}]" if table else "", key) if part)
        return f"{self.where(table, key)}: {what}"


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
    settings = Settings(path=path, lines=key_lines(text), unknown=sorted(set(data) - TOP_LEVEL - TABLES))
    for key in TOP_LEVEL:
        if key in data:
            setattr(settings, key, data[key])
    for table in TABLES:
        value = data.get(table, {})
        if not isinstance(value, dict):
            raise ConfigError(f"{settings.where(TOP, table)}: {table} must be a table ([{table}] with keys under it)")
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


def key_lines(text: str) -> dict[tuple[str, str], int]:
    """The line of each key of a TOML file, by (table, key): tomllib gives values, not lines.

    Scans the text: a ``[table]`` (or ``[table."sub"]``) header starts a table, ``key = value``
    names a key in it, ``table.key = value`` at the top level too. The first line wins; lines
    inside a multi-line string or array may be taken for keys (the first line still wins).
    """
    lines: dict[tuple[str, str], int] = {}
    table = TOP
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("["):
            parts = _key_parts(line.strip("[]").strip())
            table = parts[0] if parts else TOP
            lines.setdefault((table, ""), number)
            if len(parts) > 1:
                lines.setdefault((table, parts[1]), number)
        elif "=" in line and not line.startswith("#"):
            parts = _key_parts(line.split("=", 1)[0].strip())
            if table == TOP and len(parts) > 1:
                lines.setdefault((TOP, parts[0]), number)
                lines.setdefault((parts[0], parts[1]), number)
            elif parts:
                lines.setdefault((table, parts[0]), number)
    return lines


def _key_parts(key: str) -> list[str]:
    """``a."b.c".d`` → ``["a", "b.c", "d"]`` (TOML dotted keys, bare or quoted)."""
    parts, current, quote = [], "", ""
    for char in key:
        if quote:
            if char == quote:
                quote = ""
            else:
                current += char
        elif char in "\"'":
            quote = char
        elif char == ".":
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    return [part for part in parts if part]
