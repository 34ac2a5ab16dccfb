"""search_008: a database whose index the previous version wrote (FTS5 with its own copy of the text) becomes
contentless and searches exactly as before: the same sessions, hits, scores, snippets, kinds and refs."""

from __future__ import annotations

from storage import search
from storage.db import open_db
from storage.importers import discover, import_path
from storage.migrations import MIGRATIONS, known_migration_names
from tests.storage.test_search_index import assert_index_matches_tables
from tests.support.session_files import SESSIONS

# The previous version's index and search, as it wrote and ran them.
PREVIOUS_INDEXING = """
insert into search_fts (rowid, text, session_id, kind, ref)
select * from (
  select id * 2 as fts_rowid, content, session_id, role, id from messages
  where role in ('user', 'assistant') and coalesce(content, '') != ''
  union all
  select rowid * 2 + 1, name || ' ' || coalesce(arguments_raw, '') || ' ' || coalesce(result, '') || ' ' || coalesce(error, ''),
    session_id, 'tool', tool_call_id from tool_calls
) order by fts_rowid"""
PREVIOUS_SEARCH = """
with hits as materialized (
  select session_id, kind, ref, bm25(search_fts) as score,
    snippet(search_fts, 0, '[', ']', '…', 12) as snippet
  from search_fts where search_fts match ?
)
select h.session_id, s.title, s.source, s.status, s.started_at,
  count(*) as hits, min(h.score) as score, h.snippet, h.kind, h.ref
from hits h join sessions s on s.id = h.session_id
group by h.session_id
order by score, s.started_at desc
limit ?"""
QUERIES = ["the", "shim binary", "hog*", "error", "file", "test", "grant", "haiku", "Unrecognised combine_attrs", "zeppelin"]


def test_an_index_of_the_previous_version_migrates_and_searches_the_same(tmp_path):
    path = tmp_path / "old.db"
    old = open_db(path, migrate=False)
    known_migration_names()  # (registers the features' steps)
    MIGRATIONS.apply(old, stop_before="search_008_contentless")
    for session_file in discover([SESSIONS]):
        import_path(old, session_file)
    old.execute(PREVIOUS_INDEXING)
    before = {q: [dict(r) for r in old.query(PREVIOUS_SEARCH, [search.fts_query(q), 20])] for q in QUERIES}
    assert sum(map(len, before.values())) > 20
    old.conn.close()

    db = open_db(path)
    assert "search_fts_content" not in db.table_names()  # the text is no longer stored twice
    assert db.execute("select v from search_fts_config where k = 'automerge'").fetchone() == (search.AUTOMERGE,)
    assert {q: search.search_sessions(db, q) for q in QUERIES} == before
    assert_index_matches_tables(db)
