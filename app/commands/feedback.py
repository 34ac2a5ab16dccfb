"""``cockpit feedback report`` and ``cockpit feedback export``.

    cockpit feedback report [--json] [--since DATE] [--model M]
    cockpit feedback export --format csv|json [--output FILE]

The database path comes from the global ``--db`` option (``args.db``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

EXPORT_COLUMNS = [
    "task_id", "session_id", "turn", "ts", "model", "category", "outcome",
    "pi", "u", "shown", "fatigued", "reasons",
    "response", "rating", "comment", "dismiss_reason", "volunteered_rating", "volunteered_comment",
    "approvals", "denials", "interrupted", "tool_calls", "tool_errors", "retries", "loop_hits", "limit_hit",
    "cost_usd", "tests_passed", "tests_failed", "tests_last", "rephrased", "corrected",
    "files_checked", "reverted", "modified", "abandoned", "signals",
]  # fmt: skip


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("feedback", help="the honest feedback report and export")
    commands = parser.add_subparsers(dest="feedback_command", metavar="{report,export}")
    commands.required = True

    report = commands.add_parser("report", help="estimated satisfaction, corrected for who was asked")
    report.add_argument("--json", action="store_true", help="print the report as JSON")
    report.add_argument("--since", metavar="DATE", help="only tasks from this date (YYYY-MM-DD, local time)")
    report.add_argument("--model", metavar="M", help="only tasks run with this model")
    report.set_defaults(func=run)

    export = commands.add_parser("export", help="every feedback row, for your own analysis")
    export.add_argument("--format", choices=("csv", "json"), default="csv", help="output format (default csv)")
    export.add_argument("--output", metavar="FILE", help="write here instead of standard output")
    export.set_defaults(func=run)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    db_path = getattr(args, "db", None)
    if not db_path:
        print("cockpit feedback: no database given (--db)", file=sys.stderr)
        return 2
    if not Path(db_path).exists():
        print(f"cockpit feedback: no database at {db_path}", file=sys.stderr)
        return 1
    db = _open(str(db_path))
    if args.feedback_command == "export":
        return _export(db, args)
    return _report(db, args)


def _open(path: str) -> Any:
    """The lead's ``storage.db.open_db`` when it exists; the feedback tables are ensured either way."""
    import sqlite_utils

    from storage.feedback import ensure_tables

    try:
        from storage.db import open_db
    except ImportError:
        db = sqlite_utils.Database(path)
    else:
        db = open_db(path)
    ensure_tables(db)
    return db


def _report(db: Any, args: argparse.Namespace) -> int:
    import json

    from app.feedback_report import build_report, parse_since, render_report

    since = None
    if args.since:
        try:
            since = parse_since(args.since)
        except ValueError as exc:
            print(f"cockpit feedback report: {exc}", file=sys.stderr)
            return 2
    report = build_report(db, since=since, model=args.model)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    from rich.console import Console

    Console().print(render_report(report))
    return 0


def _export(db: Any, args: argparse.Namespace) -> int:
    import csv
    import io
    import json

    from storage.feedback import task_rows

    rows = task_rows(db)
    if args.format == "json":
        text = json.dumps(rows, indent=2) + "\n"
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: json.dumps(v) if isinstance(v, (list, dict)) else v for k, v in row.items()})
        text = buffer.getvalue()
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {len(rows)} feedback rows to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
