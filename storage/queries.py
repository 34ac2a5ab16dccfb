"""Reading sessions back: lists, summaries, events and the conversation."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import sqlite_utils

from app.agent.events.budget import ContextMeasured
from app.agent.events.core import ROLES, MessageAppended, MessagesReplaced


class SessionNotFound(LookupError):
    pass


# A Cockpit session that never got a task (the app opened and closed, or a process was
# killed before the first prompt) has nothing to show, resume or continue: lists,
# ``latest`` and ``--continue`` skip it, the one open now too (an app waiting for its first task).
NOT_EMPTY = "not (s.source = 'cockpit' and coalesce(s.title, '') = '')"


def resolve_session_id(db: sqlite_utils.Database, ref: str) -> str:
    """A full id, a unique prefix of one, or ``latest``."""
    if ref == "latest":
        row = db.execute(f"select id from sessions s where {NOT_EMPTY} order by started_at desc limit 1").fetchone()
        if row is None:
            raise SessionNotFound("there are no sessions yet")
        latest: str = row[0]
        return latest
    rows = db.execute("select id from sessions where id = ? or id like ? limit 3", [ref, ref + "%"]).fetchall()
    ids: list[str] = [r[0] for r in rows]
    if ref in ids:
        return ref
    if not ids:
        raise SessionNotFound(f"no session matches {ref!r} (see `cockpit sessions`)")
    if len(ids) > 1:
        raise SessionNotFound(f"{ref!r} matches several sessions; give more characters of the id")
    return ids[0]


# ``tokens_in`` / ``tokens_out`` are null when no call has token counts (the provider's or Cockpit's estimate: an import
# that recorded no usage, a first call that failed), never 0; ``tokens_cached`` sums what providers reported (null
# when none did). ``cost_usd`` is the sum of the priced calls; null when none had a price ("unpriced" or "—", never
# $0: a failed or cancelled call has no cost of its own), and so is ``wasted_usd`` (the retry tax in dollars). ``unpriced_calls`` counts the successful calls without a price,
# ``wasted_estimated_tokens``: the part of the retry tax that is an estimate (app.agent.events.resilience
# tax_source: a charge without a source written before sources existed is local for a re-sent prompt),
# ``cost_sources`` who priced the others (``litellm,model_name``: app.agent.events.core COST_*).
SUMMARY_SQL = """
select s.id, s.title, s.workspace, s.model, s.status, s.source, s.started_at, s.ended_at,
  (select count(*) from model_calls m where m.session_id = s.id) as model_calls,
  (select count(*) from model_calls m where m.session_id = s.id and m.status = 'error') as model_call_errors,
  (select count(*) from model_calls m where m.session_id = s.id and m.usage_source != 'none') as counted_calls,
  (select coalesce(max(m.step), 0) from model_calls m where m.session_id = s.id) as max_step,
  (select count(distinct m.turn || ':' || m.step) from model_calls m where m.session_id = s.id) as steps,
  (select count(*) from tool_calls t where t.session_id = s.id) as tool_calls,
  (select count(*) from tool_calls t where t.session_id = s.id and t.status = 'ok') as tool_calls_ok,
  (select count(*) from tool_calls t where t.session_id = s.id and t.status not in ('ok', 'requested', 'validated', 'running', 'unknown', 'denied')) as tool_calls_failed,
  (select count(*) from tool_calls t where t.session_id = s.id and t.status = 'denied') as tool_calls_denied,
  (select count(*) from tool_calls t where t.session_id = s.id and t.status = 'unknown') as tool_calls_unknown,
  (select case when count(*) filter (where m.usage_source != 'none') then coalesce(sum(m.prompt_tokens), 0) end
     from model_calls m where m.session_id = s.id) as tokens_in,
  (select case when count(*) filter (where m.usage_source != 'none') then coalesce(sum(m.completion_tokens), 0) end
     from model_calls m where m.session_id = s.id) as tokens_out,
  (select sum(m.cached_tokens) filter (where m.usage_source = 'provider') from model_calls m where m.session_id = s.id)
    as tokens_cached,
  (select sum(m.cost_usd) from model_calls m where m.session_id = s.id) as cost_usd,
  (select count(*) from model_calls m where m.session_id = s.id and m.status = 'ok' and m.cost_usd is null) as unpriced_calls,
  (select group_concat(distinct m.cost_source) from model_calls m where m.session_id = s.id) as cost_sources,
  (select coalesce(sum(m.wasted_tokens), 0) from model_calls m where m.session_id = s.id) as wasted_tokens,
  (select case when sum(m.cost_usd) is not null then sum(m.wasted_usd) end from model_calls m where m.session_id = s.id)
    as wasted_usd,
  (select coalesce(sum(json_extract(e.payload, '$.tokens')), 0) from events e
     where e.session_id = s.id and e.type = 'resilience_retry_tax'
       and coalesce(nullif(json_extract(e.payload, '$.source'), ''),
                    case json_extract(e.payload, '$.reason') when 'resent_input' then 'local' else 'provider' end)
           != 'provider') as wasted_estimated_tokens,
  (select count(*) from events e where e.session_id = s.id) as events
from sessions s
"""


def session_summary(db: sqlite_utils.Database, session_id: str) -> dict[str, Any]:
    rows = list(db.query(SUMMARY_SQL + " where s.id = ?", [session_id]))
    if not rows:
        raise SessionNotFound(f"no session {session_id!r}")
    return _with_duration(rows[0])


def list_sessions(
    db: sqlite_utils.Database,
    *,
    search: str | None = None,
    workspace: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    where, params = [NOT_EMPTY], []
    if workspace:
        where.append("s.workspace = ?")
        params.append(workspace)
    if search:
        from storage.search import search_sessions

        # Full-text hits (prompts, answers, tool calls) plus title and id matches.
        hits = [r["session_id"] for r in search_sessions(db, search, limit=max(limit, 200))]
        like = f"%{search}%"
        where.append(f"(s.title like ? or s.id like ? or s.id in ({', '.join('?' * len(hits)) or 'null'}))")
        params += [like, like, *hits]
    sql = SUMMARY_SQL + " where " + " and ".join(where) + " order by s.started_at desc limit ?"
    return [_with_duration(r) for r in db.query(sql, [*params, limit])]


def _with_duration(row: dict[str, Any]) -> dict[str, Any]:
    import datetime as dt

    row = dict(row)
    row["duration_s"] = None
    if row.get("started_at") and row.get("ended_at"):
        start = dt.datetime.fromisoformat(row["started_at"])
        end = dt.datetime.fromisoformat(row["ended_at"])
        row["duration_s"] = round((end - start).total_seconds(), 3)
    return row


def load_events(db: sqlite_utils.Database, session_id: str) -> list[dict[str, Any]]:
    """The session's events as dicts in ``Event.to_dict()`` shape, in order."""
    return [_event_dict(row) for row in db.execute(EVENTS_SQL + " order by seq", [session_id])]


EVENTS_SQL = "select session_id, seq, type, ts, payload from events where session_id = ?"


def load_shown_events(db: sqlite_utils.Database, session_id: str) -> Iterator[dict[str, Any]]:
    """The events a screen folds (transcript, panes, status bar), as :func:`load_events` gives them, but what
    no fold reads: the copies of the conversation (each ``message_appended``, a compaction's ``messages``:
    the conversation itself is :func:`conversation`) and the detail of every measurement but the last (its
    items, categories and tools: the Context pane shows the last one; the earlier ones give their totals).
    A long session's resume holds about half as much; the payloads' keys and short strings are shared
    between events (:class:`SharedStrings`), which halves it again. One at a time, as they are read: a resume
    decodes each into its event before the next is read, so the rows are never all held at once (a third of
    the resume's peak)."""
    params = {"sid": session_id, "appended": MessageAppended.type, "replaced": MessagesReplaced.type,
              "measured": ContextMeasured.type}
    shared = SharedStrings()
    return (_event_dict(row, shared.loads) for row in db.execute(SHOWN_EVENTS_SQL, params))


SHOWN_EVENTS_SQL = """select session_id, seq, type, ts,
       case when type = :replaced then json_remove(payload, '$.messages')
            when type = :measured and seq < (select max(seq) from events where session_id = :sid and type = :measured)
                then json_remove(payload, '$.items', '$.categories', '$.tools')
            else payload end
    from events where session_id = :sid and type != :appended order by seq"""


def _event_dict(row: Any, loads: Callable[[str], Any] = json.loads) -> dict[str, Any]:
    data: dict[str, Any] = loads(row[4])
    data.update(session_id=row[0], seq=row[1], type=row[2], ts=row[3])
    return data


class SharedStrings:
    """``json.loads`` where every key and every short string value is one object for all the payloads it
    decodes (``json`` shares keys within one document only): the same values, in a fraction of the memory
    when thousands of events repeat the same keys, models, roles and statuses."""

    SHORT = 64  # longer strings (texts, outputs, arguments) are rarely repeated

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}
        self._decoder = json.JSONDecoder(object_pairs_hook=self._object)

    def loads(self, text: str) -> Any:
        return self._decoder.decode(text)

    def _object(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen = self._seen.setdefault
        return {seen(key, key): seen(value, value) if type(value) is str and len(value) <= self.SHORT else value
                for key, value in pairs}


def count_events(db: sqlite_utils.Database, session_id: str) -> int:
    count: int = db.execute("select count(*) from events where session_id = ?", [session_id]).fetchone()[0]
    return count


def event_pages(db: sqlite_utils.Database, session_id: str, size: int = 1000) -> Iterator[list[dict[str, Any]]]:
    """The session's events as :func:`load_events` gives them, ``size`` at a time: each page is one short
    query (by ``seq``, on the unique index), so a reader can stop, or go on later from another thread."""
    after = -(2**63)  # before any seq
    while True:
        rows = db.execute(EVENTS_SQL + " and seq > ? order by seq limit ?", [session_id, after, size]).fetchall()
        if not rows:
            return
        yield [_event_dict(row) for row in rows]
        after = rows[-1][1]


def blob(db: sqlite_utils.Database, digest: str) -> str | None:
    row = db.execute("select content from blobs where hash = ?", [digest]).fetchone()
    return row[0] if row else None


def conversation(db: sqlite_utils.Database, session_id: str) -> list[dict[str, Any]]:
    """The conversation as last sent (the latest generation of the messages table; a tool message's content that
    is its tool call's result is read from there: the ``messages_full`` view)."""
    gen = db.execute("select max(generation) from messages where session_id = ?", [session_id]).fetchone()[0]
    messages = []
    for row in db.query(
        "select role, content, tool_calls, tool_call_id from messages_full where session_id = ? and generation = ?"
        " order by idx, id",
        [session_id, gen or 0],
    ):
        message: dict[str, Any] = {"role": row["role"], "content": row["content"]}
        if row["tool_calls"]:
            message["tool_calls"] = json.loads(row["tool_calls"])
        if row["tool_call_id"]:
            message["tool_call_id"] = row["tool_call_id"]
        messages.append(message)
    return messages


def latest_session_in(db: sqlite_utils.Database, workspace: str) -> str | None:
    """The id of the newest Cockpit session in ``workspace`` that got a task (``--continue``), or None."""
    row = db.execute(
        f"select id from sessions s where workspace = ? and source = 'cockpit' and {NOT_EMPTY} order by started_at desc limit 1",
        [workspace],
    ).fetchone()
    return row[0] if row else None


def session_header(db: sqlite_utils.Database, session_id: str) -> dict[str, Any]:
    """``title``, ``source``, ``model`` and ``status`` of one session; empty if there is no such session."""
    row = db.execute("select title, source, model, status from sessions where id = ?", [session_id]).fetchone()
    return dict(zip(("title", "source", "model", "status"), row)) if row else {}


def session_cost(db: sqlite_utils.Database, session_id: str) -> float:
    """What the session's priced model calls cost so far, in USD (0.0 for none; unpriced calls add nothing)."""
    row = db.execute("select coalesce(sum(cost_usd), 0) from model_calls where session_id = ?", [session_id]).fetchone()
    return float(row[0])


def last_turn(db: sqlite_utils.Database, session_id: str) -> int | None:
    """The number of the session's last started turn, or None when it recorded none (an import)."""
    row = db.execute("select max(json_extract(payload, '$.turn')) from events where session_id = ? "
                     "and type = 'turn_started'", [session_id]).fetchone()
    return int(row[0]) if row and row[0] is not None else None


def tool_output(db: sqlite_utils.Database, session_id: str, tool_call_id: str) -> str | None:
    """The complete output of a stored tool call (its blob when the output was large), or None."""
    row = db.execute(
        "select t.result, b.content from tool_calls t left join blobs b on b.hash = t.output_hash "
        "where t.session_id = ? and t.tool_call_id = ?",
        [session_id, tool_call_id],
    ).fetchone()
    if row is None:
        return None
    output: str | None = row[1] if row[1] is not None else row[0]
    return output


def recorded_model_calls(db: sqlite_utils.Database, session_id: str) -> list[dict[str, Any]]:
    """The session's successful model calls in the order they happened.

    Each row has ``text``, ``prompt_tokens``, ``completion_tokens`` and ``finished``: the payload of the
    call's ``model_call_finished`` event (tool calls with their raw arguments), ``{}`` if there is none.
    """
    rows = db.query(
        """select text, tool_calls_json, prompt_tokens, completion_tokens from (
               select m.text, (select payload from events e where e.session_id = m.session_id
                               and e.type = 'model_call_finished' and json_extract(e.payload, '$.call_id') = m.id) as tool_calls_json,
                      m.prompt_tokens, m.completion_tokens, m.turn, m.step, m.attempt, m.started_at
               from model_calls m where m.session_id = ? and m.status = 'ok')
           order by started_at, turn, step, attempt""",
        [session_id],
    )
    return [
        {
            "text": row["text"],
            "prompt_tokens": row["prompt_tokens"],
            "completion_tokens": row["completion_tokens"],
            "finished": json.loads(row["tool_calls_json"] or "{}"),
        }
        for row in rows
    ]


def feedback_counts(db: sqlite_utils.Database, session_ids: list[str]) -> dict[str, tuple[int, int]]:
    """session id → (thumbs up, thumbs down), from ``feedback_answers`` if the table exists."""
    if not session_ids or "feedback_answers" not in db.table_names():
        return {}
    marks = ", ".join("?" * len(session_ids))
    sql = (
        "select session_id, sum(rating = 'up'), sum(rating = 'down') from feedback_answers "
        f"where session_id in ({marks}) group by session_id"
    )
    return {row[0]: (int(row[1] or 0), int(row[2] or 0)) for row in db.execute(sql, session_ids)}


def loop_hits(db: sqlite_utils.Database, session_id: str) -> list[tuple[str, str | None, int, str]]:
    """The loop detector's hits as ``(pattern, tool, count, action)``, in order; none if the table is missing."""
    if "resilience_loop_hits" not in db.table_names():
        return []
    return db.execute(
        "select pattern, tool, count, action from resilience_loop_hits where session_id = ? order by seq", [session_id]
    ).fetchall()


def usage_provenance(db: sqlite_utils.Database, session_id: str) -> dict[str, Any]:
    """Where the session's successful calls got their token counts (``provider`` / ``estimated`` /
    ``none`` → calls, tokens in and out), and the retries a proxy made upstream (``upstream_retries``)."""
    rows = db.execute(
        """select usage_source, count(*), coalesce(sum(prompt_tokens), 0), coalesce(sum(completion_tokens), 0)
           from model_calls where session_id = ? and status = 'ok' group by usage_source""",
        [session_id],
    ).fetchall()
    upstream = db.execute(
        "select coalesce(sum(upstream_retries), 0) from model_calls where session_id = ?", [session_id]
    ).fetchone()[0]
    return {
        "sources": {source: {"calls": calls, "tokens_in": tin, "tokens_out": tout} for source, calls, tin, tout in rows},
        "upstream_retries": upstream,
    }


def usage_by_role(db: sqlite_utils.Database, session_id: str) -> dict[str, dict[str, Any]]:
    """The session's model calls by role (``main``, ``summary``, ``fallback``; the order of
    ``app.agent.events.core.ROLES``) → ``calls`` (attempts), ``tokens_in``, ``tokens_out`` (None when none of
    them has counts), ``cost_usd`` (None when none of them had a price) and ``wasted_usd`` (their retry tax in
    dollars; None without a price too)."""
    counted = "count(*) filter (where usage_source != 'none')"
    rows = db.execute(
        f"""select role, count(*), case when {counted} then coalesce(sum(prompt_tokens), 0) end,
                  case when {counted} then coalesce(sum(completion_tokens), 0) end,
                  sum(cost_usd), case when sum(cost_usd) is not null then coalesce(sum(wasted_usd), 0) end
           from model_calls where session_id = ? group by role""",
        [session_id],
    ).fetchall()
    found = {row[0]: dict(zip(("calls", "tokens_in", "tokens_out", "cost_usd", "wasted_usd"), row[1:])) for row in rows}
    return {role: found[role] for role in (*ROLES, *sorted(set(found) - set(ROLES))) if role in found}

def database_file(db: sqlite_utils.Database) -> str:
    """The path of the database's main file; ``""`` for an in-memory database."""
    name: str = db.execute("pragma database_list").fetchone()[2]
    return name


def events_of_types(db: sqlite_utils.Database, session_id: str, types: Iterable[str]) -> list[dict[str, Any]]:
    """The session's events of these ``type``\\ s only, in order, shaped like :func:`load_events`."""
    wanted = list(types)
    marks = ", ".join("?" * len(wanted)) or "null"
    rows = db.execute(
        f"select session_id, seq, type, ts, payload from events where session_id = ? and type in ({marks}) "
        "order by seq",
        [session_id, *wanted],
    )
    return [{**json.loads(row[4]), "session_id": row[0], "seq": row[1], "type": row[2], "ts": row[3]} for row in rows]
