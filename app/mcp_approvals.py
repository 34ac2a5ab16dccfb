"""Which project MCP servers the user approved, per workspace: beside the trusted project rules.

A cloned repository can ship ``.mcp.json``, and a stdio server there is a command Cockpit
would run. So a project's server starts only once the user approved it for that folder, and
for that exact definition (command, arguments, environment, URL, headers: its digest); a
changed definition (a ``git pull``) asks again. The approvals live in the same
``$COCKPIT_HOME/trusted_projects.json`` record as the trusted permission rules
(:mod:`app.project_trust`), under ``mcp_servers``::

    {"/home/me/project": {"digest": "…", "mcp_servers": {"docs": "…sha256…"}}}
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from app.project_trust import ProjectTrust

if TYPE_CHECKING:
    from app.agent.mcp.config import ServerConfig

KEY = "mcp_servers"


class McpApprovals(ProjectTrust):
    """The user's approval of one workspace's MCP servers."""

    def approves(self, server: "ServerConfig") -> bool:
        approved = self._record().get(KEY)
        return isinstance(approved, dict) and approved.get(server.name) == server.digest()

    def approve(self, servers: Iterable["ServerConfig"]) -> None:
        approved = self._record().get(KEY)
        kept = dict(approved) if isinstance(approved, dict) else {}
        self._update(**{KEY: {**kept, **{s.name: s.digest() for s in servers}}})
