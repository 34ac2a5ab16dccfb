"""Which MCP servers there are: ``[mcp_servers.NAME]`` tables and a project's ``.mcp.json``.

Both take the same entries (``.mcp.json`` is Claude Code's format)::

    [mcp_servers.files]                      # a local server over stdio
    command = "npx"
    args = ["-y", "@modelcontextprotocol/server-filesystem", "."]
    env = { TOKEN = "${MY_TOKEN}" }
    cwd = "/somewhere"                       # default: the workspace
    timeout = 60                             # seconds per call (default: [agent] tool_timeout_s)
    startup_timeout = 15                     # seconds to start and list its tools

    [mcp_servers.docs]                       # a remote one over streamable HTTP ("sse": the older transport)
    type = "http"
    url = "https://example.com/mcp"
    headers = { Authorization = "Bearer ${DOCS_TOKEN}" }
    enabled = false                          # kept, not started

``${VAR}`` and ``${VAR:-default}`` are replaced from the environment in the command, its
arguments, ``env``, ``cwd``, the URL and the headers; a variable that is not set (and has no
default) is an error for that server.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STDIO, HTTP, SSE = "stdio", "http", "sse"
TRANSPORTS = {STDIO: STDIO, HTTP: HTTP, "streamable-http": HTTP, "streamable_http": HTTP, SSE: SSE}
FROM_CONFIG, FROM_PROJECT = "config", "project"
PROJECT_FILE = ".mcp.json"
DEFAULT_STARTUP_TIMEOUT_S = 15.0
KEYS = {"type", "command", "args", "env", "cwd", "url", "headers", "timeout", "startup_timeout", "enabled"}
NAME = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


@dataclass(frozen=True)
class ServerConfig:
    """One MCP server, as configured (variables already expanded)."""

    name: str
    transport: str  # stdio | http | sse
    command: str = ""
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None
    url: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout_s: float | None = None  # one call; None: the agent's tool timeout
    startup_timeout_s: float = DEFAULT_STARTUP_TIMEOUT_S
    enabled: bool = True
    source: str = FROM_CONFIG  # config | project (a project's servers need the user's approval)
    origin: str = ""  # the file it was read from

    @property
    def target(self) -> str:
        """What it runs or reaches, for a person: the command line or the URL."""
        return " ".join([self.command, *self.args]) if self.transport == STDIO else self.url

    def digest(self) -> str:
        """What the user approves: the whole definition as written (a changed command asks again)."""
        shape = {"transport": self.transport, "command": self.command, "args": list(self.args),
                 "env": dict(self.env), "cwd": self.cwd, "url": self.url, "headers": dict(self.headers)}
        return hashlib.sha256(json.dumps(shape, sort_keys=True).encode("utf-8")).hexdigest()


@dataclass
class ServerList:
    """The servers found, and the entries that could not be read (said, never fatal for a project file)."""

    servers: list[ServerConfig] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def server_from_entry(name: str, entry: Any, *, source: str, origin: str, strict: bool,
                      environ: Mapping[str, str] | None = None) -> ServerConfig:
    """One entry (a TOML table or a JSON object); ValueError says what is wrong with it.
    ``strict``: unknown keys are errors (our own config file; ``.mcp.json`` may hold more)."""
    environ = os.environ if environ is None else environ
    if not NAME.match(name):
        raise ValueError(f"server name {name!r}: use letters, digits, - and _ (at most 40)")
    if not isinstance(entry, Mapping):
        raise ValueError(f"server {name!r} must be a table of settings")
    unknown = sorted(set(entry) - KEYS)
    if unknown and strict:
        raise ValueError(f"server {name!r}: unknown setting {unknown[0]!r} (settings: {', '.join(sorted(KEYS))})")

    def text(value: Any, what: str) -> str:
        if not isinstance(value, str):
            raise ValueError(f"server {name!r}: {what} must be a string")
        return expand(value, environ, f"server {name!r}: {what}")

    def table(key: str) -> dict[str, str]:
        value = entry.get(key, {})
        if not isinstance(value, Mapping):
            raise ValueError(f"server {name!r}: {key} must be a table of strings")
        return {str(k): text(v, f"{key}.{k}") for k, v in value.items()}

    given = entry.get("type") or (STDIO if "command" in entry else HTTP if "url" in entry else "")
    transport = TRANSPORTS.get(str(given))
    if transport is None:
        raise ValueError(f"server {name!r}: give a command (stdio) or a url (type \"http\" or \"sse\")"
                         if not given else f"server {name!r}: unknown type {given!r} (stdio, http or sse)")
    args = entry.get("args", [])
    if not isinstance(args, list):
        raise ValueError(f"server {name!r}: args must be a list of strings")
    server = ServerConfig(
        name=name, transport=transport,
        command=text(entry.get("command", ""), "command"),
        args=tuple(text(a, "args") for a in args),
        env=table("env"),
        cwd=text(entry["cwd"], "cwd") if entry.get("cwd") is not None else None,
        url=text(entry.get("url", ""), "url"),
        headers=table("headers"),
        timeout_s=_seconds(entry, "timeout", name),
        startup_timeout_s=_seconds(entry, "startup_timeout", name) or DEFAULT_STARTUP_TIMEOUT_S,
        enabled=_flag(entry, "enabled", name),
        source=source, origin=origin,
    )
    if transport == STDIO and not server.command:
        raise ValueError(f"server {name!r}: a stdio server needs a command")
    if transport != STDIO and not server.url.startswith(("http://", "https://")):
        raise ValueError(f"server {name!r}: url must start with http:// or https://")
    return server


def expand(value: str, environ: Mapping[str, str], what: str) -> str:
    """``${VAR}`` and ``${VAR:-default}`` replaced from ``environ``."""

    def replace(match: re.Match[str]) -> str:
        variable, default = match.group(1), match.group(2)
        if variable in environ:
            return environ[variable]
        if default is not None:
            return default
        raise ValueError(f"{what} uses ${{{variable}}}, which is not set")

    return VARIABLE.sub(replace, value)


def _seconds(entry: Mapping[str, Any], key: str, name: str) -> float | None:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError(f"server {name!r}: {key} must be a number of seconds above 0 (got {value!r})")
    return float(value)


def _flag(entry: Mapping[str, Any], key: str, name: str) -> bool:
    value = entry.get(key, True)
    if not isinstance(value, bool):
        raise ValueError(f"server {name!r}: {key} must be true or false")
    return value


def servers_from_table(table: Mapping[str, Any], origin: str) -> list[ServerConfig]:
    """The config file's ``[mcp_servers]``; ValueError names the first bad server (the caller adds where)."""
    return [server_from_entry(name, entry, source=FROM_CONFIG, origin=origin, strict=True)
            for name, entry in table.items()]


def servers_from_project(workspace: Path) -> ServerList:
    """A project's ``.mcp.json`` (``{"mcpServers": {name: entry}}``); a bad file or entry is a problem
    to say, and the other entries are still read."""
    path = workspace / PROJECT_FILE
    found = ServerList()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return found
    except (OSError, ValueError) as exc:
        found.problems.append(f"{path}: cannot be read ({exc}); its MCP servers are not started")
        return found
    entries = data.get("mcpServers") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        found.problems.append(f"{path}: no \"mcpServers\" object; its MCP servers are not started")
        return found
    for name, entry in entries.items():
        try:
            found.servers.append(server_from_entry(str(name), entry, source=FROM_PROJECT, origin=str(path),
                                                   strict=False))
        except ValueError as exc:
            found.problems.append(f"{path}: {exc}; not started")
    return found


def all_servers(table: Mapping[str, Any], origin: str, workspace: Path) -> ServerList:
    """The config file's servers, then the project's; a project server named like one of the
    config's is left out (the user's own definition wins)."""
    mine = servers_from_table(table, origin)
    project = servers_from_project(workspace)
    names = {s.name for s in mine}
    for server in project.servers:
        if server.name in names:
            project.problems.append(f"{server.origin}: server {server.name!r} is also in {origin}; that one is used")
    return ServerList([*mine, *(s for s in project.servers if s.name not in names)], project.problems)
