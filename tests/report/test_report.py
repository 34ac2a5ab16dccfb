"""``cockpit report``: its numbers are sums over the stored model calls, computed here again with plain
SQL over a database filled by real runs (loopback HTTP) and imports of real session files; unpriced
usage apart; the --json and --csv shapes; --since."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import defaultdict

import pytest

from app.commands.report_view import cells
from app.commands.since import parse_since
from storage.db import open_db
from storage.report import GROUPS, METRICS, RETRY_REASONS, usage_report
from tests.report import scenario
from tests.support.cli import run_cli

ADDITIVE = ("calls", "tokens_in", "tokens_out", "unpriced_calls",
            "unpriced_tokens_in", "unpriced_tokens_out", "wasted_tokens", "priced_calls")
CALLS = """select coalesce(m.started_at, s.started_at), m.model, s.workspace, s.source, m.role, m.session_id,
                  m.prompt_tokens, m.completion_tokens, m.cached_tokens, m.cache_write_tokens, m.usage_source,
                  m.cost_usd, m.status, m.wasted_tokens, m.wasted_usd, m.id,
                  m.cache_saved_usd, m.cache_write_usd, m.cache_miss_cause, m.cache_miss_usd, m.cache_breakpoints
           from model_calls m join sessions s on s.id = m.session_id"""


@pytest.fixture
async def db_path(openai_server, tmp_path):
    return await scenario.build(openai_server, tmp_path)


def _key(by: str, when: str, model: str, workspace: str, source: str, role: str) -> str:
    day = dt.date.fromisoformat(when[:10])  # stored times are UTC ISO timestamps
    return {"day": day.isoformat(), "week": (day - dt.timedelta(days=day.weekday())).isoformat(),
            "month": when[:7], "model": model or "", "project": workspace or "", "source": source,
            "role": role, "total": "total"}[by]


def expected(db, by: str, since: str | None = None) -> dict[str, dict]:
    """The report's figures per group, from the raw rows."""
    groups: dict[str, dict] = defaultdict(lambda: defaultdict(float))
    sessions: dict[str, set] = defaultdict(set)
    tax = {row[0]: row[1] for row in db.execute(
        f"select call_id, sum(tokens) from resilience_retry_tax where reason in ({', '.join('?' * len(RETRY_REASONS))}) "
        "group by call_id", RETRY_REASONS)}
    floor = dt.datetime.fromisoformat(since) if since else None
    for (when, model, ws, source, role, sid, prompt, completion, cached, written, usage_source, usd, status,
         wasted, wasted_usd, call_id, saved, write_usd, miss, miss_usd, breakpoints) in db.execute(CALLS):
        if floor and dt.datetime.fromisoformat(when) < floor:
            continue
        g = groups[_key(by, when, model, ws, source, role)]
        sessions[_key(by, when, model, ws, source, role)].add(sid)
        g["calls"] += 1
        g["tokens_in"] += prompt or 0
        g["tokens_out"] += completion or 0
        if usage_source == "provider":  # a cache count is summed where the provider sent one (NULL: unknown)
            for name, value in (("cached_tokens", cached), ("cache_write_tokens", written)):
                if value is not None:
                    g[name] = g.get(name, 0) + value
            if cached is not None:
                g["reported"] += prompt or 0
                g["reported_cached"] += cached
        if usd is not None:
            g["cost"] += usd
            g["priced_calls"] += 1
        elif status == "ok":
            g["unpriced_calls"] += 1
            g["unpriced_tokens_in"] += prompt or 0
            g["unpriced_tokens_out"] += completion or 0
        g["wasted_tokens"] += wasted
        for name, value in (("cache_saved_usd", saved), ("cache_write_usd", write_usd), ("cache_miss_usd", miss_usd)):
            if value is not None:
                g[name] = g.get(name, 0.0) + value
        if breakpoints is not None:  # the call was watched for cache misses
            g["cache_misses"] = g.get("cache_misses", 0) + (miss is not None)
        g["retry_tax_tokens"] += tax.get(call_id, 0)
    for key, g in groups.items():
        g["sessions"] = len(sessions[key])
    return groups


def session_events(db, table: str, by: str) -> dict[str, int]:
    """Per group, the rows of ``table``; by model (role), each counts for the session's last call started before
    it (the session's model, ``main``, when none was), found here in Python over the raw rows."""
    counts: dict[str, int] = defaultdict(int)
    calls: dict[str, list[tuple[dt.datetime, str, str]]] = defaultdict(list)
    for sid, started, model, role in db.execute("select session_id, started_at, model, role from model_calls order by rowid"):
        if started:
            calls[sid].append((dt.datetime.fromisoformat(started), model or "", role or ""))
    for sid, ts, ws, source, session_model in db.execute(
            f"select x.session_id, x.ts, s.workspace, s.source, s.model from {table} x join sessions s on s.id = x.session_id"):
        moment = dt.datetime.fromtimestamp(ts, dt.timezone.utc)
        before = [(model, role) for started, model, role in sorted(calls[sid], key=lambda c: c[0]) if started <= moment]
        model, role = before[-1] if before else (session_model or "", "main")
        counts[_key(by, moment.isoformat(), model, ws, source, role)] += 1
    return counts


async def test_every_grouping_equals_the_sums_over_the_stored_calls(db_path):
    db = open_db(db_path)
    sources = {r[0] for r in db.execute("select source from sessions")}
    assert {"cockpit", "claude-code", "codex-cli", "mini-swe-agent"} <= sources
    # The scenario holds what the report is about: cache reads, a retry, a compaction, a loop, unpriced calls.
    assert db.execute("select sum(cached_tokens) from model_calls").fetchone()[0] > 0
    assert all(n > 0 for n in db.execute("select count(cache_saved_usd), count(cache_breakpoints) from model_calls").fetchone())
    assert db.execute("select count(*) from resilience_retry_tax").fetchone()[0] >= 1
    assert db.execute("select count(*) from budget_compactions").fetchone()[0] >= 1
    assert db.execute("select count(*) from resilience_loop_hits").fetchone()[0] >= 1
    for by in (*GROUPS, "total"):
        report = usage_report(db, by=by if by != "total" else "day")
        rows = [report["total"]] if by == "total" else report["rows"]
        want = expected(db, by)
        assert [row["key"] for row in rows] == sorted(want), by
        loops, compactions = session_events(db, "resilience_loop_hits", by), session_events(db, "budget_compactions", by)
        for row in rows:
            g = want[row["key"]]
            for name in ADDITIVE:
                assert row[name] == g[name], (by, row["key"], name)
            assert row["sessions"] == g["sessions"]
            for name in ("cached_tokens", "cache_write_tokens"):  # unknown where no call reported them
                assert row[name] == g.get(name), (by, row["key"], name)
            assert row["retry_tax_tokens"] == g["retry_tax_tokens"]
            assert row["cache_misses"] == g.get("cache_misses")
            for name in ("cache_saved_usd", "cache_write_usd", "cache_miss_usd"):
                assert row[name] == (None if g.get(name) is None else pytest.approx(g[name])), (by, name)
            assert row["cache_hit_rate"] == (round(g["reported_cached"] / g["reported"], 4) if g["reported"] else None)
            if g["priced_calls"]:
                assert row["cost_usd"] == pytest.approx(g["cost"])
            else:
                assert row["cost_usd"] is None and row["wasted_usd"] is None  # never $0
            assert (row["loop_hits"], row["compactions"]) == (loops.get(row["key"], 0), compactions.get(row["key"], 0))
    # Straight SQL sums over every call and every charge, for the total.
    tin, tout, usd = db.execute("select sum(prompt_tokens), sum(completion_tokens), sum(cost_usd) from model_calls").fetchone()
    total = usage_report(db)["total"]
    assert (total["tokens_in"], total["tokens_out"]) == (tin, tout) and total["cost_usd"] == pytest.approx(usd)
    (retried,) = db.execute(f"select sum(tokens) from resilience_retry_tax where reason in "
                            f"({', '.join('?' * len(RETRY_REASONS))})", RETRY_REASONS).fetchone()
    assert total["retry_tax_tokens"] == retried > 0
    assert total["loop_hits"] == db.execute("select count(*) from resilience_loop_hits").fetchone()[0]
    for by in ("model", "role"):
        grouped = usage_report(db, by=by)["rows"]
        for name, table in (("loop_hits", "resilience_loop_hits"), ("compactions", "budget_compactions")):
            (count,) = db.execute(f"select count(*) from {table}").fetchone()
            assert sum(row[name] for row in grouped) == total[name] == count > 0  # every one counts for a model, a role
    # The hit rate over a mixed set (calls with cache reads, with a reported 0, with no cache field at all),
    # straight in SQL: the calls without a cache field count in neither sum.
    assert db.execute("select count(*) from model_calls where usage_source = 'provider' and cached_tokens is null"
                      ).fetchone()[0] > 0
    assert db.execute("select count(*) from model_calls where cached_tokens = 0").fetchone()[0] > 0
    (rate,) = db.execute("select round(1.0 * sum(cached_tokens) / sum(prompt_tokens), 4) from model_calls "
                         "where usage_source = 'provider' and cached_tokens is not null").fetchone()
    assert total["cache_hit_rate"] == rate > 0
    local = next(r for r in usage_report(db, by="model")["rows"] if r["key"] == scenario.UNPRICED)
    assert (local["cached_tokens"], local["cache_write_tokens"], local["cache_hit_rate"]) == (None, None, None)
    db.close()


async def test_unpriced_usage_is_listed_apart_and_never_as_zero_dollars(db_path, capsys):
    db = open_db(db_path)
    report = usage_report(db, by="model")
    by_model = {row["key"]: row for row in report["rows"]}
    local = by_model[scenario.UNPRICED]
    assert local["cost_usd"] is None and local["unpriced_calls"] == 2 and local["tokens_in"] > 0
    [unpriced] = [u for u in report["unpriced"] if u["model"] == scenario.UNPRICED]
    assert (unpriced["calls"], unpriced["tokens_in"], unpriced["tokens_out"]) == (
        2, local["unpriced_tokens_in"], local["unpriced_tokens_out"])
    assert by_model[scenario.PRICED]["cost_usd"] > 0
    db.close()
    code, out, _ = run_cli(capsys, "report", "--by", "model", "--db", str(db_path))
    assert code == 0
    line = next(ln for ln in out.splitlines() if ln.startswith(f" {scenario.UNPRICED} "))
    assert "unpriced" in line and "$" not in line
    assert f"  {scenario.UNPRICED}: 2 calls, {local['tokens_in']:,} in / {local['tokens_out']:,} out tokens" in out
    assert "Loop hits and compactions count for the model of the session's call before them" in " ".join(out.split())
    assert "no price in litellm's cost map or [pricing];" in out  # printed as text, not swallowed as markup


async def test_a_retry_tax_nobody_had_a_price_for_reads_unpriced_never_zero_dollars(db_path):
    db = open_db(db_path)
    total = usage_report(db, by="source")["total"]
    (unpriced,) = db.execute(f"select coalesce(sum(tokens), 0) from resilience_retry_tax where usd is null and reason "
                             f"in ({', '.join('?' * len(RETRY_REASONS))})", RETRY_REASONS).fetchone()
    (wasted_unpriced,) = db.execute("select coalesce(sum(tokens), 0) from resilience_retry_tax where usd is null"
                                    ).fetchone()
    assert (total["retry_tax_unpriced_tokens"], total["wasted_unpriced_tokens"]) == (unpriced, wasted_unpriced)
    db.close()
    row = {**total, "retry_tax_tokens": 423, "retry_tax_usd": 0.0, "retry_tax_unpriced_tokens": 423,
           "wasted_tokens": 900, "wasted_usd": 0.0012, "wasted_unpriced_tokens": 423}
    shown = cells(row)  # a group with a priced model whose waste came from an unpriced one (the trial's case)
    assert shown["retry_tax"] == "423 · unpriced"
    assert shown["wasted"] == "900 · $0.0012 + unpriced"
    assert cells({**row, "retry_tax_unpriced_tokens": 0, "retry_tax_usd": 0.0009})["retry_tax"] == "423 · $0.0009"
    assert cells({**row, "retry_tax_usd": None})["retry_tax"] == "423 · unpriced"


async def test_json_and_csv_shapes(db_path, capsys):
    code, out, _ = run_cli(capsys, "report", "--by", "source", "--json", "--db", str(db_path))
    data = json.loads(out)
    assert code == 0 and set(data) == {"by", "since", "timezone", "rows", "total", "unpriced"}
    assert (data["by"], data["since"], data["timezone"]) == ("source", None, "UTC")
    assert all(set(row) == {"key", *METRICS} for row in [*data["rows"], data["total"]])
    assert [row["key"] for row in data["rows"]] == sorted(["claude-code", "codex-cli", "cockpit", "mini-swe-agent"])
    code, out, _ = run_cli(capsys, "report", "--by", "source", "--csv", "--db", str(db_path))
    table = list(csv.reader(io.StringIO(out)))
    assert code == 0 and table[0] == ["source", *METRICS]
    assert [r[0] for r in table[1:]] == [row["key"] for row in data["rows"]]
    cockpit = dict(zip(table[0], next(r for r in table if r[0] == "cockpit")))
    json_cockpit = next(row for row in data["rows"] if row["key"] == "cockpit")
    assert int(cockpit["tokens_in"]) == json_cockpit["tokens_in"]
    assert float(cockpit["cost_usd"]) == pytest.approx(json_cockpit["cost_usd"])
    claude = dict(zip(table[0], next(r for r in table if r[0] == "claude-code")))
    assert claude["retry_tax_usd"] == "0.0"  # a known zero stays a zero; an unknown value is an empty cell
    with pytest.raises(SystemExit) as exit_:
        run_cli(capsys, "report", "--json", "--csv", "--db", str(db_path))
    assert exit_.value.code == 2 and "not allowed with argument" in capsys.readouterr().err


async def test_since_leaves_out_the_calls_before_it(db_path, capsys):
    db = open_db(db_path)
    live = db.execute("select min(m.started_at) from model_calls m join sessions s on s.id = m.session_id "
                      "where s.source = 'cockpit'").fetchone()[0]
    week = parse_since("7d")
    report = usage_report(db, by="source", since=week)
    want = expected(db, "total", since=week)["total"]
    assert report["total"]["tokens_in"] == want["tokens_in"] and report["total"]["calls"] == want["calls"]
    assert [row["key"] for row in report["rows"]] == ["cockpit", "mini-swe-agent"]  # the samples are older; the loop file is new
    # A date: its midnight, UTC; after every call nothing is left.
    assert usage_report(db, since=parse_since(live[:10]))["total"]["calls"] == want["calls"]
    assert usage_report(db, since=parse_since("2999-01-01"))["rows"] == []
    db.close()
    code, out, _ = run_cli(capsys, "report", "--since", "2999-01-01", "--db", str(db_path))
    assert code == 0 and "No model calls since 2999-01-01T00:00:00+00:00" in out
    code, _, err = run_cli(capsys, "report", "--since", "last tuesday", "--db", str(db_path))
    assert code == 2 and "give a date (2026-11-01)" in err


def test_the_command_and_the_screen_offer_the_groups_storage_knows():
    from app.commands import report_view

    assert report_view.GROUPS == GROUPS


def test_since_reads_dates_timestamps_and_times_ago():
    now = dt.datetime(2026, 12, 1, 14, 0, tzinfo=dt.timezone.utc)
    assert parse_since("7d", now=now) == "2026-11-24T14:00:00+00:00"
    assert parse_since("24h", now=now) == "2026-11-30T14:00:00+00:00"
    assert parse_since("2w", now=now) == "2026-11-17T14:00:00+00:00"
    assert parse_since("2026-11-01") == "2026-11-01T00:00:00+00:00"
    assert parse_since("2026-11-01T09:30+01:00") == "2026-11-01T08:30:00+00:00"
    with pytest.raises(ValueError):
        parse_since("soon")


async def test_cache_figures_of_a_group_without_the_providers_usage_are_unknown_not_zero(db_path, capsys):
    db = open_db(db_path)
    db.execute("insert into sessions (id, source, started_at) values ('imported-1', 'aider', '2026-11-02T10:00:00+00:00')")
    db.execute("insert into model_calls (id, session_id, turn, step, attempt, model, started_at, prompt_tokens, "
               "completion_tokens, cached_tokens, cache_write_tokens, usage_source, status) values ('imp-1.1', "
               "'imported-1', 1, 1, 1, 'lm_studio/qwen', '2026-11-02T10:00:01+00:00', 900, 80, 0, 0, 'estimated', 'ok')")
    db.conn.commit()
    aider = next(row for row in usage_report(db, by="source")["rows"] if row["key"] == "aider")
    assert (aider["tokens_in"], aider["cached_tokens"], aider["cache_write_tokens"], aider["cache_hit_rate"]) == (
        900, None, None, None)
    assert cells(aider)["cached_tokens"] == "—"
    db.close()
    code, out, _ = run_cli(capsys, "report", "--by", "source", "--json", "--db", str(db_path))
    assert next(r for r in json.loads(out)["rows"] if r["key"] == "aider")["cached_tokens"] is None


async def test_a_projects_long_path_is_shortened_from_the_left_keeping_its_tail(db_path, capsys):
    from app.commands.report_view import PATH_MOST

    code, out, _ = run_cli(capsys, "report", "--by", "project", "--db", str(db_path))
    projects = [row["key"] for row in usage_report(open_db(db_path), by="project")["rows"] if len(row["key"]) > PATH_MOST]
    assert code == 0 and projects  # the scenario's workspaces are temporary folders: long paths
    for path in projects:
        assert ("…" + path[-(PATH_MOST - 1):]) in out  # one line each, the tail whole
