"""docs/schema.md: every example query runs, and every table of the schema is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from storage.importers import discover, import_path
from tests.support.session_files import SESSIONS

DOC = Path(__file__).resolve().parents[2] / "docs" / "schema.md"
QUERIES = re.findall(r"```sql\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)


@pytest.fixture
def filled(db):
    for path in discover([SESSIONS]):
        import_path(db, path)
    return db


def test_there_are_examples():
    assert len(QUERIES) >= 6


@pytest.mark.parametrize("sql", QUERIES, ids=[f"example{i}" for i in range(len(QUERIES))])
def test_example_query_runs_and_returns_rows(filled, sql):
    rows = filled.execute(sql).fetchall()
    assert rows, sql


def test_every_table_and_view_is_documented(filled):
    text = DOC.read_text(encoding="utf-8")
    names = [
        row[0]
        for row in filled.execute(
            "select name from sqlite_master where type in ('table', 'view') "
            "and name not like 'search_fts_%' and name not like 'sqlite_%' and name != '_sqlite_migrations'"
        )
    ]
    missing = [name for name in names if f"`{name}`" not in text]
    assert not missing
