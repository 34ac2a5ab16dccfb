import argparse
import csv
import io
import json

import pytest
import sqlite_utils

from app.agent.events import core as ev
from app.agent.feedback.config import FeedbackConfig
from app.commands import feedback as command
from app.feedback_report import build_report, parse_since, render_report
from storage.feedback import ensure_tables

from .helpers import PYTEST_FAILED, Harness

DAY = 86_400.0
PROMPTS = [  # distinct requests, so that none reads as a rephrase of the one before
    "add a --verbose flag", "write the changelog", "why is CI red?", "rename utils.py to helpers.py",
    "explain the retry logic", "bump the version", "list the TODOs", "make the tests faster",
    "translate the README to French", "sort imports everywhere", "draw the architecture", "delete dead code",
]
START = 1_700_000_000.0  # 2023-11-14


def fill(db: sqlite_utils.Database, store=None) -> None:
    """Two sessions on two models, everything asked (π = 1) so the numbers are easy:

    - session a (model m-a): 12 tasks, 9 rated up and 3 down;
    - session b (model m-b), a day later: 10 tasks, 4 rated up, 6 left unanswered;
      11 volunteered ratings on its tasks, 10 of them down.
    """
    a = Harness(FeedbackConfig(rate=1.0), session_id="a", db=db, store=store, start=START)
    a.start_session(model="m-a")
    for i in range(12):
        a.begin(PROMPTS[i])
        a.model_call(model="m-a", cost=0.01)
        decision = a.end()
        a.answer(decision.task_id, "up" if i < 9 else "down", "wrong file" if i == 11 else "")
        a.now += 60
    a.finish_session()

    b = Harness(FeedbackConfig(rate=1.0), session_id="b", db=db, store=store, start=START + DAY)
    b.start_session(model="m-b")
    for i in range(10):
        b.begin(PROMPTS[i])
        b.model_call(model="m-b")
        if i == 0:
            b.tool("bash", {"command": "pytest"}, status=ev.ToolStatus.TOOL_ERROR, exit_code=1, result=PYTEST_FAILED)
        decision = b.end()
        if i < 4:
            b.answer(decision.task_id, "up")
        b.answer(decision.task_id, "up" if i == 9 else "down", source="volunteered")
        b.now += 60
    b.answer("b:1", "down", "really bad", source="volunteered")  # rated twice: the latest counts
    b.finish_session()


@pytest.fixture
def db():
    database = sqlite_utils.Database(memory=True)
    ensure_tables(database)
    fill(database)
    return database


def test_report_numbers(db):
    r = build_report(db)
    e = r["estimate"]
    assert (e["tasks"], e["asked"], e["answered"], e["n"]) == (22, 22, 16, 16)
    # post-stratified: "chat" (21 tasks, 12 of 15 up) and "run" (b:1, the test run, 1 of 1 up)
    expected = 21 / 22 * 12 / 15 + 1 / 22 * 1.0
    assert e["rate"] == pytest.approx(expected)
    assert e["low"] < expected < e["high"]
    assert e["response_rate"] == pytest.approx(16 / 22)
    # under 80% answered: worst-case bounds
    assert r["worst_case"] == {"low": pytest.approx(13 / 22), "high": pytest.approx(19 / 22)}
    assert r["volunteered"]["n"] == 10 and r["volunteered"]["rate"] == pytest.approx(1 / 10)
    assert r["volunteered"]["gap"] == pytest.approx(1 / 10 - expected)
    assert r["headline"].startswith("Satisfaction 81% (95% CI ")
    assert "worst case 59%–86%" in r["headline"]
    json.dumps(r)  # JSON-ready as it is


def test_breakdowns_say_not_enough_data_instead_of_a_number(db):
    r = build_report(db)
    by_model = {row["model"]: row for row in r["by_model"]}
    assert by_model["m-a"]["rate"] == pytest.approx(9 / 12) and by_model["m-a"]["n"] == 12
    assert by_model["m-b"]["rate"] is None and by_model["m-b"]["message"] == "not enough data (n = 4 < 10)"
    categories = {row["category"]: row for row in r["by_category"]}
    assert set(categories) == {"chat", "run"} and categories["run"]["tasks"] == 1
    assert [(d["tasks"], d["n"]) for d in r["by_day"]] == [(12, 12), (10, 4)]
    assert r["by_day"][1]["rate"] is None


def test_signals_and_worst_tasks(db):
    r = build_report(db)
    signals = r["signals"]
    assert signals["tasks"] == 22
    assert signals["rates"]["tests_failed"]["count"] == 1
    assert signals["rates"]["tool_error"]["count"] == 1
    assert signals["mean_cost_usd"] == pytest.approx(0.12 / 22)
    worst = r["worst_tasks"]
    assert len(worst) == 5
    assert worst[0]["session_id"] == "b" and worst[0]["task_id"] == "b:1"  # down + tests failing
    assert worst[0]["why"] == ["rated down", "tests failing"] and worst[0]["comment"] == "really bad"
    assert all(t["score"] >= 3 for t in worst)


def test_filters(db):
    later = build_report(db, since=START + DAY / 2)
    assert later["estimate"]["tasks"] == 10 and later["estimate"]["rate"] is None
    assert later["headline"] == "Not enough data (n = 4 < 10) · 4 rated of 10 asked, 10 tasks"
    assert later["filters"] == {"since": START + DAY / 2, "model": None}
    only_a = build_report(db, model="m-a")
    assert only_a["estimate"]["rate"] == pytest.approx(0.75) and only_a["worst_case"] is None


def test_empty_database_reports_not_enough_data():
    database = sqlite_utils.Database(memory=True)
    r = build_report(database)
    assert r["estimate"]["rate"] is None and r["worst_case"] is None
    assert r["headline"] == "Not enough data (n = 0 < 10) · 0 rated of 0 asked, 0 tasks"
    render_report(r)  # renders without numbers to show


def test_parse_since():
    assert parse_since("2023-11-15") < parse_since("2023-11-15T12:00:00")
    assert parse_since("2023-11-15T00:00:00+00:00") == 1_700_006_400.0
    with pytest.raises(ValueError, match="not a date"):
        parse_since("last tuesday")


# --- the CLI -----------------------------------------------------------------------------


def cli(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="cockpit")
    subparsers = parser.add_subparsers(dest="command")
    command.register(subparsers)
    return parser.parse_args(argv)


@pytest.fixture
def db_file(tmp_path):
    """A real database file, filled through the lead's event store (migrations, projections, redaction)."""
    from storage.db import open_db
    from storage.store import EventStore

    path = tmp_path / "cockpit.db"
    database = open_db(path)
    fill(database, store=EventStore(database))
    database.close()
    return str(path)


def test_cli_report_json(db_file, capsys):
    args = cli("feedback", "report", "--db", db_file, "--json", "--model", "m-a")
    assert args.func(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["estimate"]["rate"] == pytest.approx(0.75) and report["filters"]["model"] == "m-a"


def test_cli_report_text(db_file, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    args = cli("feedback", "report", "--db", db_file)
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "Satisfaction 81%" in out and "worst case" in out
    assert "not enough data (n = 4 < 10)" in out  # model m-b
    args = cli("feedback", "report", "--db", db_file, "--since", "2099-01-01")
    assert args.func(args) == 0
    assert "Not enough data" in capsys.readouterr().out


def test_cli_on_an_empty_database(tmp_path, capsys):
    args = cli("feedback", "report", "--json", "--db", str(tmp_path / "new.db"))
    assert args.func(args) == 0
    assert json.loads(capsys.readouterr().out)["estimate"]["message"] == "not enough data (n = 0 < 10)"
    with pytest.raises(SystemExit):
        cli("feedback")  # a subcommand is required


def test_cli_bad_date(db_file, capsys):
    args = cli("feedback", "report", "--db", db_file, "--since", "yesterday")
    assert args.func(args) == 2 and "not a date" in capsys.readouterr().err


def test_cli_export_csv_and_json(db_file, tmp_path, capsys):
    out = tmp_path / "feedback.csv"
    args = cli("feedback", "export", "--db", db_file, "--format", "csv", "--output", str(out))
    assert args.func(args) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == 22 and rows[0]["task_id"] == "a:1" and rows[0]["pi"] == "1.0"
    assert rows[0]["rating"] == "up" and rows[0]["shown"] == "True"
    assert json.loads(rows[12]["signals"])["tests_last"] == "failed"
    assert rows[12]["volunteered_rating"] == "down" and rows[12]["volunteered_comment"] == "really bad"

    args = cli("feedback", "export", "--db", db_file, "--format", "json")
    assert args.func(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data) == 22 and data[-1]["task_id"] == "b:10" and data[-1]["response"] == "dismissed"
