"""The usage report: stored model calls summed by day, week, month, model, project, source or role.

Every figure is a sum over ``model_calls`` rows (joined to their session for the
project and source), nothing estimated here:

* ``tokens_in`` / ``tokens_out`` / ``cached_tokens`` / ``cache_write_tokens``: the calls' stored counts
  (``prompt_tokens`` holds the whole prompt, cache reads and writes included); the cache counts sum
  the calls whose provider reported them (``usage_source = 'provider'``, the column not null: a
  provider that sends no cache field stores NULL, not 0) and are None when no call of the group did.
* ``cache_hit_rate``: cached ÷ prompt tokens over the calls whose provider reported cache reads;
  None when none did (an unknown rate, never 0%).
* ``cache_saved_usd`` / ``cache_write_usd`` / ``cache_misses`` / ``cache_miss_usd``: the prompt cache's
  figures per call (``storage/caching.py``: dollars saved against the uncached price, what the cache
  writes cost, the misses and what they cost); None where no call of the group has them (imports,
  unpriced models, calls before caching was measured).
* ``cost_usd``: the priced calls' sum; None when none had a price. The calls that succeeded without
  a price are counted apart (``unpriced_calls`` and their tokens), never as $0.
* ``wasted_*``: the whole retry tax stored per call (failed attempts, re-sent prompts, malformed
  and loop-killed output); ``retry_tax_*`` the part paid for failed attempts and their re-sent
  prompts (``resilience_retry_tax`` rows of those reasons). Dollars are None where no call of the
  group had a price (tokens only); ``*_unpriced_tokens`` are the tokens of them whose model had no
  price (not in the dollars: never $0).
* ``loop_hits`` / ``compactions``: the loop detector's hits and the compactions, by their own time.
  By model or role, each counts for the model (role) of the session's last call started before it (the
  session's model, ``main``, when none was), so the rows sum to the total.

Times are UTC: a day is a UTC date, a week starts on Monday (its key is that Monday's date), a month
is ``YYYY-MM``. A call without a start time (some imports) counts at its session's start.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

GROUPS = ("day", "week", "month", "model", "project", "source", "role")
RETRY_REASONS = ("failed_attempt", "dropped_stream", "resent_input")  # the retry tax proper (see the docstring)
TOTAL = "total"

_CALL_TIME = "coalesce(m.started_at, s.started_at)"
_EVENT_TIME = "datetime(x.ts, 'unixepoch')"

METRICS = (
    "sessions", "calls", "tokens_in", "tokens_out", "cached_tokens", "cache_write_tokens", "cache_hit_rate",
    "cache_saved_usd", "cache_write_usd", "cache_misses", "cache_miss_usd",
    "cost_usd", "priced_calls", "unpriced_calls", "unpriced_tokens_in", "unpriced_tokens_out",
    "retry_tax_tokens", "retry_tax_usd", "retry_tax_unpriced_tokens", "wasted_tokens", "wasted_usd",
    "wasted_unpriced_tokens", "loop_hits", "compactions",
)


def group_key(by: str, time: str = _CALL_TIME) -> str:
    """The SQL expression of a row's group (``time``: the expression of its timestamp)."""
    keys = {
        "day": f"date({time})",
        "week": f"date({time}, 'weekday 0', '-6 days')",
        "month": f"strftime('%Y-%m', {time})",
        "model": "coalesce(m.model, '')",
        "project": "coalesce(s.workspace, '')",
        "source": "s.source",
        "role": "m.role",
        TOTAL: f"'{TOTAL}'",
    }
    if by not in keys:
        raise ValueError(f"cannot group by {by!r}; one of {', '.join(GROUPS)}")
    return keys[by]


def _since(time: str, since: str | None) -> tuple[str, list[Any]]:
    return (f"julianday({time}) >= julianday(?)", [since]) if since else ("1", [])


_CALLS_SQL = """
select {key} as key,
  count(distinct m.session_id) as sessions,
  count(*) as calls,
  coalesce(sum(m.prompt_tokens), 0) as tokens_in,
  coalesce(sum(m.completion_tokens), 0) as tokens_out,
  sum(case when m.usage_source = 'provider' then m.cached_tokens end) as cached_tokens,
  sum(case when m.usage_source = 'provider' then m.cache_write_tokens end) as cache_write_tokens,
  sum(case when m.usage_source = 'provider' and m.cached_tokens is not null then m.prompt_tokens end)
    as cache_reported_prompt_tokens,
  sum(m.cost_usd) as cost_usd,
  count(m.cost_usd) as priced_calls,
  coalesce(sum(m.status = 'ok' and m.cost_usd is null), 0) as unpriced_calls,
  coalesce(sum(case when m.status = 'ok' and m.cost_usd is null then m.prompt_tokens end), 0) as unpriced_tokens_in,
  coalesce(sum(case when m.status = 'ok' and m.cost_usd is null then m.completion_tokens end), 0)
    as unpriced_tokens_out,
  coalesce(sum(m.wasted_tokens), 0) as wasted_tokens,
  coalesce(sum(m.wasted_usd), 0.0) as wasted_usd,
  sum(m.cache_saved_usd) as cache_saved_usd,
  sum(m.cache_write_usd) as cache_write_usd,
  count(m.cache_miss_cause) as cache_misses,
  count(m.cache_breakpoints) as cache_measured,
  sum(m.cache_miss_usd) as cache_miss_usd
from model_calls m join sessions s on s.id = m.session_id
where {since}
group by key order by key
"""

_TAX_SQL = """
select {key} as key,
  coalesce(sum(case when x.reason in ({reasons}) then x.tokens end), 0) as tokens,
  coalesce(sum(case when x.reason in ({reasons}) then x.usd end), 0.0) as usd,
  coalesce(sum(case when x.reason in ({reasons}) and x.usd is null then x.tokens end), 0) as unpriced,
  coalesce(sum(case when x.usd is null then x.tokens end), 0) as wasted_unpriced
from resilience_retry_tax x join model_calls m on m.id = x.call_id join sessions s on s.id = m.session_id
where {since}
group by key
"""

# The model (role) of a session event ``x``: that of the session's last call started before it, else the
# session's model (the conversation's role).
_EVENT_CALL = """coalesce((select coalesce(m.{column}, '') from model_calls m where m.session_id = x.session_id
    and julianday(m.started_at) <= julianday(x.ts, 'unixepoch') order by julianday(m.started_at) desc, m.rowid desc
    limit 1), {otherwise}, '')"""
_EVENT_KEYS = {"model": _EVENT_CALL.format(column="model", otherwise="s.model"),
               "role": _EVENT_CALL.format(column="role", otherwise="'main'")}

_SESSION_EVENTS_SQL = """
select {key} as key, count(*) as n
from {table} x join sessions s on s.id = x.session_id
where {since}
group by key
"""

_UNPRICED_SQL = """
select coalesce(m.model, '') as model, count(*) as calls, coalesce(sum(m.prompt_tokens), 0) as tokens_in,
  coalesce(sum(m.completion_tokens), 0) as tokens_out
from model_calls m join sessions s on s.id = m.session_id
where m.status = 'ok' and m.cost_usd is null and {since}
group by m.model order by m.model
"""


def _calls(db: sqlite_utils.Database, by: str, since: str | None) -> dict[str, dict[str, Any]]:
    where, params = _since(_CALL_TIME, since)
    rows = db.query(_CALLS_SQL.format(key=group_key(by), since=where), params)
    out = {}
    for row in rows:
        prompt = row.pop("cache_reported_prompt_tokens")  # None: no call of the group reported cache reads
        row["cache_hit_rate"] = round(row["cached_tokens"] / prompt, 4) if prompt else None
        if not row.pop("cache_measured"):
            row["cache_misses"] = None  # no call of the group was watched for misses (imports, older calls)
        if not row["priced_calls"]:
            row["cost_usd"] = row["wasted_usd"] = None  # nobody had a price: the waste is tokens only
        out[str(row["key"])] = row
    return out


_NO_TAX = {"tokens": 0, "usd": 0.0, "unpriced": 0, "wasted_unpriced": 0}


def _retry_tax(db: sqlite_utils.Database, by: str, since: str | None) -> dict[str, dict[str, Any]]:
    """Per group: the retry tax proper (tokens, usd, the tokens of it nobody had a price for) and the
    wasted tokens nobody had a price for (a retry-tax row's ``usd`` is null when its model is unpriced)."""
    if "resilience_retry_tax" not in db.table_names():
        return {}
    where, params = _since(_CALL_TIME, since)
    sql = _TAX_SQL.format(key=group_key(by), since=where, reasons=", ".join("?" * len(RETRY_REASONS)))
    return {str(r["key"]): r for r in db.query(sql, [*RETRY_REASONS * 3, *params])}


def _session_events(db: sqlite_utils.Database, table: str, by: str, since: str | None) -> dict[str, int] | None:
    """Rows of ``table`` (a session's events with a ``ts``) per group; None when they cannot be grouped so."""
    if by not in (*GROUPS, TOTAL):
        return None
    if table not in db.table_names():
        return {}
    where, params = _since(_EVENT_TIME, since)
    key = _EVENT_KEYS.get(by) or group_key(by, _EVENT_TIME)
    sql = _SESSION_EVENTS_SQL.format(key=key, table=table, since=where)
    return {str(r["key"]): int(r["n"]) for r in db.query(sql, params)}


def _grouped(db: sqlite_utils.Database, by: str, since: str | None) -> list[dict[str, Any]]:
    calls = _calls(db, by, since)
    tax = _retry_tax(db, by, since)
    loops = _session_events(db, "resilience_loop_hits", by, since)
    compactions = _session_events(db, "budget_compactions", by, since)
    keys = set(calls) | set(loops or {}) | set(compactions or {})
    rows = []
    for key in sorted(keys):
        row = calls.get(key) or _no_calls(key)
        taxed = tax.get(key, _NO_TAX)
        row["retry_tax_tokens"] = taxed["tokens"]
        row["retry_tax_usd"] = taxed["usd"] if row["priced_calls"] else None
        row["retry_tax_unpriced_tokens"] = taxed["unpriced"]
        row["wasted_unpriced_tokens"] = taxed["wasted_unpriced"]
        row["loop_hits"] = None if loops is None else loops.get(key, 0)
        row["compactions"] = None if compactions is None else compactions.get(key, 0)
        rows.append({"key": key, **{name: row[name] for name in METRICS}})
    return rows


def _no_calls(key: str) -> dict[str, Any]:
    """A group with loop hits or compactions but no model call in it (the calls fell before ``since``)."""
    row: dict[str, Any] = dict.fromkeys(METRICS, 0)
    row.update(key=key, cached_tokens=None, cache_write_tokens=None, cache_hit_rate=None, cost_usd=None, wasted_usd=None, cache_saved_usd=None,
               cache_write_usd=None, cache_misses=None, cache_miss_usd=None)
    return row


def usage_report(db: sqlite_utils.Database, *, by: str = "day", since: str | None = None) -> dict[str, Any]:
    """The report: ``rows`` (one per group, in key order), the ``total`` and the ``unpriced`` usage by model.

    ``since``: an ISO date or timestamp (UTC unless it says otherwise); calls before it are left out.
    """
    group_key(by)  # a bad group is a ValueError before any query
    totals = _grouped(db, TOTAL, since)
    total = totals[0] if totals else {"key": TOTAL, **_no_calls(TOTAL)}
    where, params = _since(_CALL_TIME, since)
    unpriced = list(db.query(_UNPRICED_SQL.format(since=where), params))
    return {"by": by, "since": since, "timezone": "UTC", "rows": _grouped(db, by, since), "total": total,
            "unpriced": unpriced}
