"""Full-text search over sessions, and the SQL views users query.

``search_fts`` (SQLite FTS5) indexes what people look for: user prompts and
assistant answers from ``messages``, and each tool call's name, arguments,
result and error from ``tool_calls``. It is contentless (``content=''``): it
holds the index only, not a second copy of the text, and its rowid names the
source row: ``messages.id * 2`` or ``tool_calls.rowid * 2 + 1``
(:func:`search_sessions` joins back to them; the snippets are made from the few
best hits' texts). The store indexes what each write batch stored, once, at the
batch's end, from the values it wrote (:class:`BatchIndex`; a tool call is
indexed when its batch ends, so once for an import, where it is requested and
finished in the same batch). FTS5 keeps new entries in memory only while rowids
ascend: row-by-row indexing, interleaving messages and tool calls, flushed it to
disk at almost every row.

A contentless index forgets an entry only when told its exact text (FTS5's
``'delete'`` command; another text corrupts the index): triggers do it for
deleted rows, from the deleted row's values, whoever deletes them; the store
does it for the rows it changes or replaces. So the indexed columns of
``messages`` and ``tool_calls`` are changed only by the store.

Views (see docs/schema.md): ``session_summary``, ``tool_stats``, ``model_usage``.

This module follows the storage feature convention: ``MIGRATIONS`` (named,
ordered) and ``PROJECTIONS`` (none: the store indexes through :class:`BatchIndex`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

import sqlite_utils

FTS_TABLE = "search_fts"
AUTOMERGE_DEFAULT = 4  # FTS5's own: merges a level's segments a little at each write once 4 wait
# search_008's: a level's segments are merged once 8 wait, so each entry is rewritten fewer times (an import's
# index costs ~23 % fewer instructions than with 4, no fewer with 12); still below FTS5's crisis merge (16
# segments: a whole level merged in one write transaction, see _merge_as_fts5_does).
AUTOMERGE = 8

_MESSAGE_TEXT = "new.content"
_TOOL_TEXT = (
    "new.name || ' ' || coalesce(new.arguments_raw, '') || ' ' || coalesce(new.result, '') || ' ' || coalesce(new.error, '')"
)
_INDEXED_ROLE_NAMES = ("user", "assistant")  # tool output is indexed from tool_calls; system prompts repeat
_INDEXED_ROLES = "(" + ", ".join(f"'{role}'" for role in _INDEXED_ROLE_NAMES) + ")"
_TOKENIZE = "porter unicode61 remove_diacritics 2"


def _create_fts(db: sqlite_utils.Database) -> None:
    if FTS_TABLE in db.table_names():
        return  # already there (the steps may be run again by hand)
    db.execute(
        f"""create virtual table {FTS_TABLE} using fts5(
              text, session_id unindexed, kind unindexed, ref unindexed,
              tokenize = '{_TOKENIZE}')"""
    )
    index_message = f"""
        insert into {FTS_TABLE} (rowid, text, session_id, kind, ref)
        select new.id * 2, {_MESSAGE_TEXT}, new.session_id, new.role, new.id
        where new.role in {_INDEXED_ROLES} and coalesce(new.content, '') != '';"""
    index_tool = f"""
        insert into {FTS_TABLE} (rowid, text, session_id, kind, ref)
        values (new.rowid * 2 + 1, {_TOOL_TEXT}, new.session_id, 'tool', new.tool_call_id);"""
    statements = [
        f"create trigger {FTS_TABLE}_message_insert after insert on messages begin {index_message} end",
        f"""create trigger {FTS_TABLE}_message_update after update of content, role on messages begin
              delete from {FTS_TABLE} where rowid = old.id * 2; {index_message} end""",
        f"create trigger {FTS_TABLE}_message_delete after delete on messages begin delete from {FTS_TABLE} where rowid = old.id * 2; end",
        # ``insert or replace`` deletes the old row without firing delete triggers: drop its entry first.
        f"""create trigger {FTS_TABLE}_tool_before_insert before insert on tool_calls begin
              delete from {FTS_TABLE} where rowid in (
                select rowid * 2 + 1 from tool_calls where session_id = new.session_id and tool_call_id = new.tool_call_id);
            end""",
        f"create trigger {FTS_TABLE}_tool_insert after insert on tool_calls begin {index_tool} end",
        f"""create trigger {FTS_TABLE}_tool_update after update of name, arguments_raw, result, error on tool_calls begin
              delete from {FTS_TABLE} where rowid = old.rowid * 2 + 1; {index_tool} end""",
        f"create trigger {FTS_TABLE}_tool_delete after delete on tool_calls begin delete from {FTS_TABLE} where rowid = old.rowid * 2 + 1; end",
    ]
    for statement in statements:
        db.execute(statement)
    # Index what was stored before this migration.
    db.execute(
        f"""insert into {FTS_TABLE} (rowid, text, session_id, kind, ref)
            select id * 2, content, session_id, role, id from messages
            where role in {_INDEXED_ROLES} and coalesce(content, '') != ''"""
    )
    db.execute(
        f"""insert into {FTS_TABLE} (rowid, text, session_id, kind, ref)
            select rowid * 2 + 1, {_TOOL_TEXT.replace('new.', '')}, session_id, 'tool', tool_call_id from tool_calls"""
    )


# Indexing moved from these triggers to :func:`index_batch` (search_003).
_ROW_TRIGGERS = ("message_insert", "message_update", "tool_insert", "tool_update")


def _index_per_batch(db: sqlite_utils.Database) -> None:
    for name in _ROW_TRIGGERS:
        db.execute(f"drop trigger if exists {FTS_TABLE}_{name}")


_FORGET = f"insert into {FTS_TABLE} ({FTS_TABLE}, rowid, text) values ('delete', ?, ?)"
_ADD_INTO = f"insert into {FTS_TABLE} (rowid, text)"
_ADD = f"{_ADD_INTO} values (?, ?)"
_TOOL_TEXT_OF_ROW = _TOOL_TEXT.replace("new.", "")
_FORGET_TRIGGER = f"{FTS_TABLE}_forget_tool"  # search_008's; there, the store keeps the contentless index


def _contentless(db: sqlite_utils.Database) -> None:
    """The index without its own copy of the text (``content=''``), rebuilt from ``messages`` and ``tool_calls``:
    the same entries, so the same hits. Deleted rows leave it by triggers given their exact text."""
    for (name,) in db.execute("select name from sqlite_master where type = 'trigger' and name glob ?",
                              [f"{FTS_TABLE}_*"]).fetchall():
        db.execute(f"drop trigger [{name}]")
    db.execute(f"drop table if exists {FTS_TABLE}")
    db.execute(f"create virtual table {FTS_TABLE} using fts5(text, content = '', tokenize = '{_TOKENIZE}')")
    db.execute(f"insert into {FTS_TABLE} ({FTS_TABLE}, rank) values ('automerge', {AUTOMERGE})")
    db.execute(
        f"""create trigger {FTS_TABLE}_forget_message after delete on messages
              when old.role in {_INDEXED_ROLES} and coalesce(old.content, '') != '' begin
              {_FORGET.replace("?, ?", "old.id * 2, old.content")}; end"""
    )
    db.execute(
        f"""create trigger {_FORGET_TRIGGER} after delete on tool_calls begin
              {_FORGET.replace("?, ?", "old.rowid * 2 + 1, " + _TOOL_TEXT.replace("new.", "old."))}; end"""
    )
    db.execute(
        f"""{_ADD_INTO}
            select * from (
              select id * 2 as fts_rowid, content from messages where role in {_INDEXED_ROLES} and coalesce(content, '') != ''
              union all
              select rowid * 2 + 1, {_TOOL_TEXT_OF_ROW} from tool_calls
            ) order by fts_rowid"""
    )


def indexes_per_batch(conn: sqlite3.Connection) -> bool:
    """Whether this database expects a :class:`BatchIndex` (search_008 applied: the contentless index)."""
    names = {row[0] for row in conn.execute(
        "select name from sqlite_master where name in (?, ?)", [FTS_TABLE, _FORGET_TRIGGER]
    )}
    return len(names) == 2


ToolValues = tuple[Any, Any, Any, Any]  # a tool call's name, arguments_raw, result and error


class BatchIndex:
    """What one write batch adds to the index and takes out of it, from the values the store wrote.

    :meth:`write`, at the batch's end, first removes the entries of the tool calls the batch changed or replaced
    that an earlier batch indexed (with the text they were indexed with), then adds the batch's entries in
    rowid order. ``enabled``: whether the database has this index (:func:`indexes_per_batch`); if not, nothing.
    """

    def __init__(self, enabled: bool = False) -> None:
        self.enabled = enabled
        self._messages: dict[int, str] = {}  # index rowid → text
        self._tools: dict[int, ToolValues] = {}  # tool_calls.rowid → its indexed values
        self._forgotten: list[tuple[int, str]] = []  # (index rowid, the exact text it was indexed with)

    def message(self, message_id: int, role: Any, content: str | None) -> None:
        """A ``messages`` row the batch inserted (its content is text or None: projection_params.message)."""
        if content and role in _INDEXED_ROLE_NAMES:  # (a tuple: a role of any type compares, none is hashed)
            self._messages[message_id * 2] = content

    def tool(self, rowid: int, name: Any, arguments_raw: Any, result: Any = None, error: Any = None) -> None:
        """A ``tool_calls`` row the batch inserted, or finished (after :meth:`tool_changes`)."""
        self._tools[rowid] = (name, arguments_raw, result, error)

    def tool_changes(self, conn: sqlite3.Connection, rowid: int) -> tuple[Any, Any]:
        """A tool call's row is about to be updated: its entry from an earlier batch (if any) is forgotten.
        Its name and arguments_raw, as stored."""
        values = self._tools.pop(rowid, None)
        if values is not None:  # written by this batch: not indexed yet
            return values[0], values[1]
        if not self.enabled:
            return None, None
        name, arguments_raw, text = conn.execute(
            f"select name, arguments_raw, {_TOOL_TEXT_OF_ROW} from tool_calls where rowid = ?", [rowid]
        ).fetchone()
        self._forgotten.append((rowid * 2 + 1, text))
        return name, arguments_raw

    def tool_deleted(self, conn: sqlite3.Connection, rowid: int) -> None:
        """A tool call's row is about to be deleted (the trigger forgets its entry): one this batch wrote is
        indexed now, so the trigger finds it."""
        if self._tools.pop(rowid, None) is not None and self.enabled:
            conn.execute(f"{_ADD_INTO} select rowid * 2 + 1, {_TOOL_TEXT_OF_ROW} from tool_calls where rowid = ?", [rowid])

    def write(self, conn: sqlite3.Connection) -> None:
        if not self.enabled:
            return
        if self._forgotten:
            conn.executemany(_FORGET, self._forgotten)
        entries = self._messages
        read_back = []
        for rowid, (name, arguments_raw, result, error) in self._tools.items():
            if type(name) is str and all(type(v) is str or v is None for v in (arguments_raw, result, error)):
                entries[rowid * 2 + 1] = f"{name} {arguments_raw or ''} {result or ''} {error or ''}"
            else:  # a value SQLite stored in its own way (a number as text, bytes): its text as SQLite makes it
                read_back.append(rowid)
        if read_back:
            entries.update(conn.execute(
                f"select rowid * 2 + 1, {_TOOL_TEXT_OF_ROW} from tool_calls where rowid in (select value from json_each(?))",
                [json.dumps(read_back)],
            ).fetchall())
        conn.executemany(_ADD, sorted(entries.items()))


# --- views ---------------------------------------------------------------------

FAILED_TOOL = "status not in ('ok', 'requested', 'validated', 'running')"

TOOL_STATS = f"""
create view tool_stats as
with durations as (
  select name, duration_ms,
    row_number() over (partition by name order by duration_ms) as position,
    count(*) over (partition by name) as measured
  from tool_calls where duration_ms is not null
),
percentiles as (
  select name, min(duration_ms) filter (where position >= 0.95 * measured) as p95_ms, max(duration_ms) as max_ms
  from durations group by name
)
select t.name as tool,
  count(*) as calls,
  sum(t.status = 'ok') as ok,
  sum(t.{FAILED_TOOL}) as failed,
  sum(t.status = 'tool_error') as tool_error,
  sum(t.status = 'validation_error') as validation_error,
  sum(t.status = 'denied') as denied,
  sum(t.status = 'timeout') as timeout,
  sum(t.status = 'cancelled') as cancelled,
  round(1.0 * sum(t.{FAILED_TOOL}) / count(*), 3) as failure_rate,
  round(avg(t.duration_ms), 1) as avg_ms,
  round(p.p95_ms, 1) as p95_ms,
  round(p.max_ms, 1) as max_ms,
  count(distinct t.session_id) as sessions
from tool_calls t left join percentiles p on p.name = t.name
group by t.name
"""

MODEL_USAGE = """
create view model_usage as
select coalesce(model, '') as model,
  count(*) as calls,
  sum(status = 'error') as errors,
  sum(attempt > 1) as retries,
  count(distinct session_id) as sessions,
  coalesce(sum(prompt_tokens), 0) as tokens_in,
  coalesce(sum(completion_tokens), 0) as tokens_out,
  sum(cached_tokens) as tokens_cached,
  sum(cache_write_tokens) as tokens_cache_write,
  sum(usage_reported = 0) as calls_without_usage,
  round(sum(cost_usd), 6) as cost_usd,
  sum(status = 'ok' and cost_usd is null) as unpriced_calls,
  round(avg(latency_ms), 1) as avg_latency_ms
from model_calls
group by coalesce(model, '')
"""

_FEEDBACK_JOIN = """
left join (
  select session_id, sum(rating = 'up') as thumbs_up, sum(rating = 'down') as thumbs_down
  from feedback_answers group by session_id
) f on f.session_id = s.id"""

_NO_FEEDBACK_JOIN = """
left join (select null as session_id, null as thumbs_up, null as thumbs_down) f on 0"""


def session_summary_sql(with_feedback: bool) -> str:
    return f"""
create view session_summary as
select s.id as session_id, s.title, s.source, s.model, s.workspace, s.status, s.started_at, s.ended_at, s.parent_id,
  round((julianday(s.ended_at) - julianday(s.started_at)) * 86400.0, 3) as duration_s,
  coalesce(u.turns, 0) as turns,
  coalesce(m.steps, 0) as steps,
  coalesce(m.model_calls, 0) as model_calls,
  coalesce(m.retries, 0) as retries,
  coalesce(m.model_errors, 0) as model_errors,
  coalesce(t.tool_calls, 0) as tool_calls,
  coalesce(t.tool_errors, 0) as tool_errors,
  coalesce(m.model_errors, 0) + coalesce(t.tool_errors, 0) as errors,
  coalesce(m.tokens_in, 0) as tokens_in,
  coalesce(m.tokens_out, 0) as tokens_out,
  m.tokens_cached,
  case when m.cost_usd is null and m.unpriced_calls > 0 then null else round(coalesce(m.cost_usd, 0), 6) end as cost_usd,
  coalesce(m.unpriced_calls, 0) as unpriced_calls,
  round(coalesce(m.wasted_usd, 0), 6) as retry_tax_usd,
  f.thumbs_up, f.thumbs_down
from sessions s
left join (
  select session_id, count(*) as model_calls, count(distinct turn || ':' || step) as steps,
    sum(attempt > 1) as retries, sum(status = 'error') as model_errors,
    sum(prompt_tokens) as tokens_in, sum(completion_tokens) as tokens_out, sum(cached_tokens) as tokens_cached,
    sum(cost_usd) as cost_usd, sum(status = 'ok' and cost_usd is null) as unpriced_calls, sum(wasted_usd) as wasted_usd
  from model_calls group by session_id
) m on m.session_id = s.id
left join (
  select session_id, count(*) as tool_calls, sum({FAILED_TOOL}) as tool_errors from tool_calls group by session_id
) t on t.session_id = s.id
left join (
  select session_id, count(*) as turns from events where type = 'turn_started' group by session_id
) u on u.session_id = s.id
{_FEEDBACK_JOIN if with_feedback else _NO_FEEDBACK_JOIN}
"""


def create_views(db: sqlite_utils.Database) -> None:
    """(Re)create the views; feedback columns are filled when the feedback tables exist, else null."""
    with_feedback = "feedback_answers" in db.table_names()
    for name, sql in (
        ("session_summary", session_summary_sql(with_feedback)),
        ("tool_stats", TOOL_STATS),
        ("model_usage", MODEL_USAGE),
    ):
        db.execute(f"drop view if exists {name}")
        db.execute(sql)


def _merge_less_often(db: sqlite_utils.Database) -> None:
    """Superseded by search_006: it let 16 segments of a level wait (automerge 16)."""
    db.execute(f"insert into {FTS_TABLE} ({FTS_TABLE}, rank) values ('automerge', 16)")


def _merge_as_fts5_does(db: sqlite_utils.Database) -> None:
    """Back to FTS5's default automerge. With 16 (search_005) the crisis merge (also 16) came first and
    merged a whole level in one write transaction: it saved an import about 6 % of its time, but its
    longest batch grew from 44 to 77 ms over 60 MB, and such merges grow with the index."""
    db.execute(f"insert into {FTS_TABLE} ({FTS_TABLE}, rank) values ('automerge', {AUTOMERGE_DEFAULT})")


MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = [
    ("search_001_fts", _create_fts),
    ("search_002_views", create_views),
    ("search_003_index_per_batch", _index_per_batch),
    ("search_004_unpriced_views", create_views),  # cost_usd null when no call had a price; unpriced_calls
    ("search_005_automerge", _merge_less_often),
    ("search_006_automerge_default", _merge_as_fts5_does),
    ("search_007_unknown_cache_views", create_views),  # tokens_cached / tokens_cache_write null when no call sent them
    ("search_008_contentless", _contentless),
]
PROJECTIONS: dict[str, Callable[[sqlite_utils.Database, dict[str, Any]], None]] = {}


# --- searching -----------------------------------------------------------------


def fts_query(text: str) -> str | None:
    """The user's words as an FTS5 query that cannot fail to parse.

    Every word becomes a quoted phrase (all must match, in any order); a
    trailing ``*`` keeps its meaning as a prefix search. Punctuation is
    harmless inside quotes. ``None`` when there is nothing to search for.
    """
    phrases = []
    for word in text.split():
        prefix = word.endswith("*") and len(word.rstrip("*")) > 0
        word = word.rstrip("*") if prefix else word
        phrases.append('"' + word.replace('"', '""') + '"' + ("*" if prefix else ""))
    return " ".join(phrases) or None


_SEARCH_SQL = f"""
with hits as materialized (
  select rowid as fts_rowid, bm25({FTS_TABLE}) as score from {FTS_TABLE} where {FTS_TABLE} match ?
),
sourced as (
  select h.fts_rowid, h.score, m.session_id, m.role as kind, m.id as ref
  from hits h join messages m on m.id = h.fts_rowid / 2 where h.fts_rowid % 2 = 0
  union all
  select h.fts_rowid, h.score, t.session_id, 'tool', t.tool_call_id
  from hits h join tool_calls t on t.rowid = h.fts_rowid / 2 where h.fts_rowid % 2 = 1
),
best as (
  select h.session_id, s.title, s.source, s.status, s.started_at,
    count(*) as hits, min(h.score) as score, h.fts_rowid, h.kind, h.ref
  from sourced h join sessions s on s.id = h.session_id
  group by h.session_id
  order by score, s.started_at desc
  limit ?
)
select b.session_id, b.title, b.source, b.status, b.started_at, b.hits, b.score, null as snippet, b.kind, b.ref,
  b.fts_rowid, case when b.fts_rowid % 2 = 0 then (select content from messages where id = b.fts_rowid / 2)
  else (select {_TOOL_TEXT_OF_ROW} from tool_calls where rowid = b.fts_rowid / 2) end as text
from best b order by b.score, b.started_at desc
"""
_SNIPPETS = "search_snippets"  # a TEMP table of the best hits' texts: snippet() needs the text the index has not


def search_sessions(db: sqlite_utils.Database, query: str, limit: int = 20) -> list[dict[str, Any]]:
    """Sessions whose prompts, answers or tool calls contain every word of ``query``, best first.

    Each row: ``session_id``, ``title``, ``source``, ``status``, ``started_at``,
    ``hits`` (matching rows), ``score`` (bm25 of the best hit, lower is better),
    and the best hit's ``snippet`` (matches in ``[brackets]``), ``kind``
    (user, assistant or tool) and ``ref`` (message id or tool call id).
    """
    match = fts_query(query)
    if match is None:
        return []
    rows = list(db.query(_SEARCH_SQL, [match, limit]))
    snippets = _snippets(db.conn, match, [(row["fts_rowid"], row["text"]) for row in rows])
    for row in rows:
        row["snippet"] = snippets.get(row.pop("fts_rowid"))
        del row["text"]
    return rows


def _snippets(conn: sqlite3.Connection, match: str, texts: list[tuple[int, str]]) -> dict[int, str]:
    """FTS5's snippet of each text (by index rowid) for ``match``: the texts indexed again, with the same
    tokenizer, in a small TEMP table, and asked there, so each snippet is the one the index would give."""
    if not texts:
        return {}
    conn.execute(f"create virtual table if not exists temp.{_SNIPPETS} using fts5(text, tokenize = '{_TOKENIZE}')")
    try:
        conn.executemany(f"insert into temp.{_SNIPPETS} (rowid, text) values (?, ?)", texts)
        return dict(conn.execute(
            f"select rowid, snippet({_SNIPPETS}, 0, '[', ']', '…', 12) from temp.{_SNIPPETS} where {_SNIPPETS} match ?",
            [match],
        ).fetchall())
    finally:
        conn.execute(f"delete from temp.{_SNIPPETS}")
