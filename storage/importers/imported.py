"""What was imported already, by source file (for the first start's offer: a quick check by path)."""

from __future__ import annotations

import sqlite_utils


def imported_paths(db: sqlite_utils.Database) -> set[str]:
    """The source files sessions were imported from, as they were named when imported."""
    return {row[0] for row in db.execute("select source_path from sessions where source_path is not null")}
