"""``cockpit feedback report --merge``: a team's exports pooled, on generated populations of
simulated users sampled with different π, checked against an independent computation."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from tests.support.cli import run_cli

CATEGORIES = {"edit": 0.6, "debug": 0.4}  # share of each person's tasks


def population(person: str, pi: float, satisfaction: dict[str, float], tasks: int, seed: int,
               volunteer_down: float = 0.0) -> tuple[list[dict], float]:
    """``tasks`` export rows of one simulated user asked with probability ``pi`` (risky debug tasks
    twice as often, as oversampling does), and the true share of tasks they would rate up."""
    rng = random.Random(seed)
    rows, truth = [], 0.0
    for turn in range(1, tasks + 1):
        category = "edit" if rng.random() < CATEGORIES["edit"] else "debug"
        p_up = satisfaction[category]
        truth += p_up
        task_pi = min(1.0, pi * (2 if category == "debug" else 1))
        u = rng.random()
        shown = u < task_pi
        response = rating = None
        if shown and rng.random() < 0.9:  # one in ten asked never answers
            response, rating = "answered", ("up" if rng.random() < p_up else "down")
        volunteered = "down" if rng.random() < volunteer_down else None
        rows.append({"person": person, "task_id": f"{person}-s:{turn}", "session_id": f"{person}-s", "turn": turn,
                     "ts": 1_700_000_000.0 + turn, "model": "m-a" if turn % 2 else "m-b", "category": category,
                     "outcome": "completed", "pi": task_pi, "u": u, "shown": shown, "fatigued": False, "reasons": [],
                     "response": response, "rating": rating, "comment": None, "dismiss_reason": None,
                     "volunteered_rating": volunteered, "volunteered_comment": None, "signals": {}})
    return rows, truth / tasks


def independent(rows: list[dict]) -> float:
    """Hajek within each category (weights 1/π over up/down answers), categories at their task shares."""
    by_category: dict[str, list[dict]] = {}
    for r in rows:
        by_category.setdefault(r["category"], []).append(r)
    total, rate = len(rows), 0.0
    for members in by_category.values():
        rated = [r for r in members if r["shown"] and r["response"] == "answered" and r["rating"] in ("up", "down")]
        weight = sum(1 / r["pi"] for r in rated)
        rate += len(members) / total * sum(1 / r["pi"] for r in rated if r["rating"] == "up") / weight
    return rate


def write(tmp_path: Path, name: str, rows: list[dict]) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(rows), encoding="utf-8")
    return path


def team(tmp_path):
    """Three people: a keen one (π 0.5, unhappy with debugging), two asked rarely (π 0.05, 0.1), happy."""
    specs = [("p-aaaaaaaaaa", 0.5, {"edit": 0.7, "debug": 0.3}, 0.0),
             ("p-bbbbbbbbbb", 0.05, {"edit": 0.9, "debug": 0.8}, 0.3),
             ("p-cccccccccc", 0.1, {"edit": 0.85, "debug": 0.75}, 0.3)]
    files, rows, truths = [], [], []
    for i, (person, pi, satisfaction, volunteer) in enumerate(specs):
        mine, truth = population(person, pi, satisfaction, 3000, seed=i, volunteer_down=volunteer)
        files.append(write(tmp_path, f"{person}.json", mine))
        rows += mine
        truths.append((person, mine, truth))
    return files, rows, truths


def merged(capsys, *files: Path) -> dict:
    code, out, err = run_cli(capsys, "feedback", "report", "--merge", *map(str, files), "--json")
    assert code == 0, err
    return json.loads(out)


def test_the_pooled_estimate_is_the_independent_one_and_near_the_truth(tmp_path, capsys):
    files, rows, truths = team(tmp_path)
    report = merged(capsys, *files)
    assert report["merged"] == {"files": 3, "people": 3, "tasks": 9000}
    pooled = independent(rows)
    assert abs(report["estimate"]["rate"] - pooled) < 1e-12
    truth = sum(t for _, _, t in truths) / 3  # every person ran as many tasks
    assert abs(pooled - truth) < 0.03
    rated = [r for r in rows if r["rating"] in ("up", "down")]
    naive = sum(r["rating"] == "up" for r in rated) / len(rated)
    assert truth - naive > 0.08  # the keen, unhappy person's many answers: what the weights undo
    # One row per person, each its own independent estimate.
    people = {p["person"]: p for p in report["by_person"]}
    for person, mine, _ in truths:
        assert abs(people[person]["rate"] - independent(mine)) < 1e-12
        assert people[person]["tasks"] == 3000
    assert {m["model"] for m in report["by_model"]} == {"m-a", "m-b"}


def test_the_volunteered_gap_of_the_team_and_of_each_person(tmp_path, capsys):
    files, rows, truths = team(tmp_path)
    report = merged(capsys, *files)
    volunteered = [r["volunteered_rating"] for r in rows if r["volunteered_rating"]]
    raw = sum(v == "up" for v in volunteered) / len(volunteered)  # only unhappy people volunteer here: 0
    assert report["volunteered"]["n"] == len(volunteered)
    assert abs(report["volunteered"]["gap"] - (raw - independent(rows))) < 1e-12
    people = {p["person"]: p for p in report["by_person"]}
    assert people["p-aaaaaaaaaa"]["volunteered"] == {"n": 0, "rate": None, "gap": None}  # none: unknown, not 0
    for person, mine, _ in truths[1:]:
        assert abs(people[person]["volunteered"]["gap"] - (0.0 - independent(mine))) < 1e-12


def test_a_task_exported_twice_counts_once(tmp_path, capsys):
    files, _, _ = team(tmp_path)
    again = write(tmp_path, "again.json", json.loads(files[0].read_text()))
    assert merged(capsys, *files, again)["merged"]["tasks"] == 9000


def test_a_real_export_merges_with_pseudonymous_ids_and_no_paths(tmp_path, capsys):
    from storage.db import open_db
    from tests.feedback.test_report import fill

    db_path = tmp_path / "mine.db"
    db = open_db(db_path)
    fill(db)
    db.close()
    csv_file = tmp_path / "mine.csv"
    code, _, err = run_cli(capsys, "feedback", "export", "--db", str(db_path), "--format", "csv", "--output", str(csv_file))
    assert code == 0, err
    other, _ = population("p-bbbbbbbbbb", 0.2, {"edit": 0.9, "debug": 0.8}, 200, seed=7)
    legacy = [{k: v for k, v in row.items() if k != "person"} for row in other[:50]]  # written before the column
    files = [csv_file, write(tmp_path, "b.json", other[50:]), write(tmp_path, "legacy.json", legacy)]
    code, out, err = run_cli(capsys, "feedback", "report", "--merge", *map(str, files), "--json")
    assert code == 0, err
    report = json.loads(out)
    ids = [p["person"] for p in report["by_person"]]
    assert len(ids) == 3 and all(re.fullmatch(r"p-[0-9a-f]{10}", i) for i in ids)
    import getpass
    assert str(tmp_path) not in out and getpass.getuser() not in ids
    mine = next(p for p in report["by_person"] if p["tasks"] == 22)
    assert mine["n"] == 16  # fill(): 12 + 4 rated, each asked with π = 1
    code, out, _ = run_cli(capsys, "feedback", "report", "--merge", *map(str, files))
    assert code == 0 and "By person" in out and "of 3 people, from 3 files" in out


def test_names_only_when_the_exporter_asks(tmp_path, capsys, cockpit_home):
    import getpass

    from storage.db import open_db
    from tests.feedback.test_report import fill

    db_path = tmp_path / "mine.db"
    db = open_db(db_path)
    fill(db)
    db.close()
    cockpit_home.mkdir(parents=True, exist_ok=True)
    (cockpit_home / "config.toml").write_text("[feedback]\nnames = true\n")
    code, out, _ = run_cli(capsys, "feedback", "export", "--db", str(db_path), "--format", "json")
    assert code == 0 and {r["person"] for r in json.loads(out)} == {getpass.getuser()}


def test_a_file_that_is_no_export_is_named(tmp_path, capsys):
    bad = tmp_path / "notes.json"
    bad.write_text('{"hello": 1}')
    code, _, err = run_cli(capsys, "feedback", "report", "--merge", str(bad))
    assert code == 2 and "notes.json: not a feedback export" in err
