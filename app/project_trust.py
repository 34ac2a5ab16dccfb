"""Which project permission rules the user trusts: ``$COCKPIT_HOME/trusted_projects.json``.

A cloned repository can ship ``.cockpit/config.toml`` with ``allow = ["bash(*)"]``;
its allow rules apply only once the user trusts that file. The trust is kept in
the user's data folder, never in the workspace, keyed by the workspace's real
path, and holds the digest of the ``[permissions]`` table the user trusted: an
edited table (a ``git pull``) is untrusted again. It also holds the allow rules
Cockpit itself wrote for the user ("always for this project"): those stay
trusted whatever else the file holds. Deny rules need no trust::

    {"/home/me/project": {"digest": "…sha256…", "approved": ["bash(ls *)"]}}

A lost update (two Cockpits writing at once) only loses trust, so the user is
asked again; it never trusts anything the user did not.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

TRUST_FILE = "trusted_projects.json"


def permissions_digest(lists: Mapping[str, Sequence[str]]) -> str:
    """The digest of a ``[permissions]`` table's allow and deny lists, as written in the file."""
    table = {key: list(lists.get(key, [])) for key in ("allow", "deny")}
    return hashlib.sha256(json.dumps(table, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


class ProjectTrust:
    """The user's trust in one workspace's project rules."""

    def __init__(self, workspace: Path, store: Path | None = None) -> None:
        from app import paths

        self.key = os.path.realpath(workspace)
        self.store = store or paths.home() / TRUST_FILE

    def trusts(self, digest: str) -> bool:
        """Whether the user trusted the table with this digest."""
        return self._record().get("digest") == digest

    def approved(self) -> frozenset[str]:
        """The allow rules Cockpit wrote for the user (texts as :attr:`Rule.text` shows them)."""
        return frozenset(self._record().get("approved", []))

    def trust(self, digest: str) -> None:
        self._update(digest=digest)

    def wrote(self, before: str, after: str, *, added: str = "", removed: str = "") -> None:
        """Cockpit rewrote the table: a trusted table stays trusted; a rule it added is trusted."""
        record = self._record()
        approved = [t for t in record.get("approved", []) if t != removed]
        if added and added not in approved:
            approved.append(added)
        self._update(digest=after if record.get("digest") == before else record.get("digest", ""), approved=approved)

    def _record(self, data: dict[str, Any] | None = None) -> dict[str, Any]:
        record = (self._all() if data is None else data).get(self.key, {})
        return record if isinstance(record, dict) else {}

    def _all(self) -> dict[str, Any]:
        try:
            data = json.loads(self.store.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # missing or unreadable: nothing is trusted
            return {}
        return data if isinstance(data, dict) else {}

    def _update(self, **changes: Any) -> None:
        from app.agent.tools.atomic import write_atomically
        from app.agent.tools.stop import Stop

        data = self._all()
        data[self.key] = {**self._record(data), **changes}
        self.store.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(self.store, json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", Stop())
