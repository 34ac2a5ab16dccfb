"""Team feedback: ``cockpit feedback export`` files from many people pooled into one report.

π is stored per task, so tasks from people sampled at different rates pool into one valid
estimate: the same post-stratified Hajek estimate as one person's report
(:func:`app.feedback_report.build_report_from_rows`), with a breakdown by person beside the
ones by category and model, and the volunteered-vs-sampled gap of each person and of the team.

People are known by a pseudonymous id: a stable hash of who exported the file (the ``person``
column), never a name or a path — unless the exporter's ``[feedback] names = true`` put their
name there. A file written before the column existed is known by a hash of its session ids.
"""

from __future__ import annotations

import csv
import getpass
import hashlib
import io
import json
import socket
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from app.agent.feedback.config import FeedbackConfig
from app.agent.feedback.estimator import raw_rate

PERSON = "person"
FLOATS = ("ts", "pi", "u", "cost_usd", "answered_ts")
INTS = ("turn",)
BOOLS = ("shown", "fatigued")
JSON_COLUMNS = ("reasons", "signals")


class MergeError(ValueError):
    """A file that is no feedback export; the message names it."""


def pseudonym(identity: str) -> str:
    """A stable id for ``identity`` that does not show it: ``p-`` and 10 hex digits of its SHA-256."""
    return "p-" + hashlib.sha256(identity.encode("utf-8")).hexdigest()[:10]


def who_exports(names: bool = False) -> str:
    """The ``person`` of this machine's exports: the login name with ``names``, else its pseudonym."""
    identity = f"{getpass.getuser()}@{socket.gethostname()}"
    return getpass.getuser() if names else pseudonym(identity)


def read_export(path: Path) -> list[dict[str, Any]]:
    """The task rows of one export file (JSON or CSV, told by its content), typed as ``task_rows`` gives them."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MergeError(f"{path}: cannot read it ({exc})") from None
    if text.lstrip().startswith("["):
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as exc:
            raise MergeError(f"{path}: not a feedback export ({exc})") from None
    else:
        reader = csv.DictReader(io.StringIO(text))
        if not {"task_id", "pi"} <= set(reader.fieldnames or ()):
            raise MergeError(f"{path}: not a feedback export (no task_id and pi columns)")
        rows = [_typed(row) for row in reader]
    if not isinstance(rows, list) or not all(isinstance(r, dict) and "task_id" in r and "pi" in r for r in rows):
        raise MergeError(f"{path}: not a feedback export (cockpit feedback export writes one)")
    fallback = pseudonym(",".join(sorted({str(r.get("session_id")) for r in rows})))
    for row in rows:
        row[PERSON] = row.get(PERSON) or fallback
        row.setdefault("signals", {})
    return rows


def _typed(row: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {key: (value if value != "" else None) for key, value in row.items()}
    for key in FLOATS:
        if out.get(key) is not None:
            out[key] = float(out[key])
    for key in INTS:
        if out.get(key) is not None:
            out[key] = int(out[key])
    for key in BOOLS:
        if out.get(key) is not None:
            out[key] = out[key] in ("True", "true", "1")
    for key in JSON_COLUMNS:
        out[key] = json.loads(out[key]) if out.get(key) else ([] if key == "reasons" else {})
    return out


def pooled(files: Iterable[Path]) -> list[dict[str, Any]]:
    """Every task of every file, once (a task exported twice counts once: the last file's row), oldest first."""
    tasks: dict[str, dict[str, Any]] = {}
    for path in files:
        for row in read_export(path):
            tasks[str(row["task_id"])] = row
    return sorted(tasks.values(), key=lambda r: (r.get("ts") or 0.0, str(r.get("session_id")), r.get("turn") or 0))


def merged_report(files: list[Path], config: FeedbackConfig | None = None) -> dict[str, Any]:
    from app.feedback_report import breakdown, build_report_from_rows

    config = config or FeedbackConfig()
    rows = pooled(files)
    report = build_report_from_rows(rows, config=config)
    people = breakdown([r for r in rows if r.get("pi") is not None], PERSON, config)
    for person in people:
        mine = [r for r in rows if r[PERSON] == person[PERSON]]
        rate, n = raw_rate(r.get("volunteered_rating") for r in mine)
        shown = rate if n >= config.min_n else None
        person["volunteered"] = {"n": n, "rate": shown,
                                 "gap": shown - person["rate"] if shown is not None and person["rate"] is not None else None}
    report["by_person"] = people
    report["merged"] = {"files": len(files), "people": len(people), "tasks": len(rows)}
    return report
