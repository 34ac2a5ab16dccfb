"""Prompt caching's columns on ``model_calls``: each call's cache figures and, when the cache
missed, why and what it cost.

Projected from ``cache_usage`` and ``cache_missed`` events (:mod:`app.agent.events.cache`), which
follow the call's ``model_call_finished``; re-projecting a session's events writes the same
values. The provider's own counts stay where they were (``cached_tokens`` = cache reads,
``cache_write_tokens`` = cache writes, ``prompt_tokens`` includes both; a count the provider sent
no field for is NULL, not 0), so the hit rate of any set of calls is ``sum(cached_tokens) /
sum(prompt_tokens)`` over its calls whose ``cached_tokens`` is not null. Such a call's
``cache_saved_usd`` is null too: it was priced as uncached input, its saving is unknown.

Columns (dollars are null when nobody has a cache price for the model, never 0):

* ``cache_breakpoints``: the ``cache_control`` breakpoints Cockpit placed (0: none).
* ``uncached_cost_usd``: the call's tokens priced as if nothing were cached.
* ``cache_saved_usd``: ``uncached_cost_usd - cost_usd`` (negative when writes cost more than reads saved).
* ``cache_write_usd``: what the call's cache writes cost.
* ``cache_miss_cause``, ``cache_miss_item``, ``cache_missed_tokens``, ``cache_miss_usd``: set when
  the call read less from the cache than the previous call on the model left there (causes:
  ``app.agent.events.cache.CAUSE_*``); null otherwise.

Rows of calls without these events (imported sessions, calls before this schema, usage the
provider did not report) keep nulls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlite_utils

COLUMNS = {
    "cache_breakpoints": int,
    "uncached_cost_usd": float,
    "cache_saved_usd": float,
    "cache_write_usd": float,
    "cache_miss_cause": str,
    "cache_miss_item": str,
    "cache_missed_tokens": int,
    "cache_miss_usd": float,
}


def _add_columns(db: sqlite_utils.Database) -> None:
    existing = db.table("model_calls").columns_dict
    for name, kind in COLUMNS.items():
        if name not in existing:
            db.table("model_calls").add_column(name, kind)


MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = [
    ("caching_001_model_call_columns", _add_columns),
]


def project_usage(db: sqlite_utils.Database, row: dict[str, Any]) -> None:
    p = row["payload"]
    db.execute(
        """update model_calls set cache_breakpoints = ?, uncached_cost_usd = ?, cache_saved_usd = ?, cache_write_usd = ?
           where id = ?""",
        [p.get("breakpoints"), p.get("uncached_usd"), p.get("saved_usd"), p.get("write_usd"), p.get("call_id")],
    )


def project_miss(db: sqlite_utils.Database, row: dict[str, Any]) -> None:
    p = row["payload"]
    db.execute(
        """update model_calls set cache_miss_cause = ?, cache_miss_item = ?, cache_missed_tokens = ?, cache_miss_usd = ?
           where id = ?""",
        [p.get("cause"), p.get("item"), p.get("missed_tokens"), p.get("cost_usd"), p.get("call_id")],
    )


PROJECTIONS: dict[str, Callable[[sqlite_utils.Database, dict[str, Any]], None]] = {
    "cache_usage": project_usage,
    "cache_missed": project_miss,
}
