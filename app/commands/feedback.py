"""``cockpit feedback report`` and ``cockpit feedback export``.

    cockpit feedback report [--json] [--since DATE] [--model M]
    cockpit feedback report --merge FILES... [--json]
    cockpit feedback export --format csv|json [--output FILE]

An export's rows name who exported them (``person``): a pseudonymous id, or the login name
with ``[feedback] names = true``. ``--merge`` pools the exports of a team (app/feedback_merge.py).

The database is the one of ``--db`` (``args.db``), else the default one, opened
through ``app.commands.common.open_database`` like every other subcommand.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from app.commands.common import EXIT_USAGE, clear_errors, open_database

EXPORT_COLUMNS = [
    "person", "task_id", "session_id", "turn", "ts", "model", "category", "outcome",
    "pi", "u", "shown", "fatigued", "reasons",
    "response", "rating", "comment", "dismiss_reason", "volunteered_rating", "volunteered_comment",
    "approvals", "denials", "interrupted", "tool_calls", "tool_errors", "retries", "loop_hits", "limit_hit",
    "cost_usd", "tests_passed", "tests_failed", "tests_last", "rephrased", "corrected",
    "files_checked", "reverted", "modified", "abandoned", "signals",
]  # fmt: skip


def register(subparsers: Any) -> None:
    from app.cli import add_db_option

    parser = subparsers.add_parser("feedback", help="the honest feedback report and export")
    commands = parser.add_subparsers(dest="feedback_command", metavar="{report,export}")
    commands.required = True

    report = commands.add_parser("report", help="estimated satisfaction, corrected for who was asked")
    report.add_argument("--json", action="store_true", help="print the report as JSON")
    report.add_argument("--since", metavar="DATE", help="only tasks from this date (YYYY-MM-DD, local time)")
    report.add_argument("--model", metavar="M", help="only tasks run with this model")
    report.add_argument("--merge", nargs="+", type=Path, metavar="FILE",
                        help="pool these 'cockpit feedback export' files (a team's) instead of reading the database")
    add_db_option(report)
    report.set_defaults(func=run)

    export = commands.add_parser("export", help="every feedback row, for your own analysis")
    export.add_argument("--format", choices=("csv", "json"), default="csv", help="output format (default csv)")
    export.add_argument("--output", metavar="FILE", help="write here instead of standard output")
    add_db_option(export)
    export.set_defaults(func=run)
    parser.set_defaults(func=run)


@clear_errors
def run(args: argparse.Namespace) -> int:
    from storage.feedback import ensure_tables

    if args.feedback_command == "report" and args.merge:
        return _merged(args)

    db = open_database(args)
    ensure_tables(db)  # idempotent; a no-op once storage.migrations has applied feedback_001_tables
    if args.feedback_command == "export":
        return _export(db, args)
    return _report(db, args)


def _report(db: Any, args: argparse.Namespace) -> int:
    from app.feedback_report import build_report, parse_since

    since = None
    if args.since:
        try:
            since = parse_since(args.since)
        except ValueError as exc:
            print(f"cockpit feedback report: {exc}", file=sys.stderr)
            return EXIT_USAGE
    return _print_report(build_report(db, since=since, model=args.model), args)


def _merged(args: argparse.Namespace) -> int:
    from app.feedback_merge import MergeError, merged_report

    if args.since or args.model:
        print("cockpit feedback report: --merge reports every task of its files (no --since, --model)", file=sys.stderr)
        return EXIT_USAGE
    try:
        report = merged_report(args.merge, _config())
    except MergeError as exc:
        print(f"cockpit feedback report: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return _print_report(report, args)


def _config() -> Any:
    from app.agent.feedback.config import FeedbackConfig
    from app.settings import ConfigError, load_settings

    try:
        return FeedbackConfig.from_dict(load_settings().feedback)
    except ValueError as exc:
        raise ConfigError(f"[feedback] {exc}") from None


def _print_report(report: dict[str, Any], args: argparse.Namespace) -> int:
    import json

    from app.feedback_report import render_report

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

    from app.feedback_merge import PERSON, who_exports
    from app.settings import load_settings
    from storage.feedback import task_rows

    person = who_exports(names=load_settings().feedback.get("names") is True)
    rows = [{PERSON: person, **row} for row in task_rows(db)]
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
