"""``cockpit export ID --format md|json|jsonl``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.commands.common import clear_errors, open_database


def register(subparsers: argparse._SubParsersAction) -> None:
    from app.cli import add_db_option

    parser = subparsers.add_parser("export", help="export a session as Markdown, JSON or JSONL events")
    parser.add_argument("id", help="session id, a unique prefix of one, or 'latest'")
    parser.add_argument("--format", choices=("md", "json", "jsonl"), default="md")
    parser.add_argument("--output", "-o", type=Path, help="write to this file (default: standard output)")
    add_db_option(parser)
    parser.set_defaults(func=run)


@clear_errors
def run(args: argparse.Namespace) -> int:
    from storage.export import export_session
    from storage.queries import resolve_session_id

    db = open_database(args)
    text = export_session(db, resolve_session_id(db, args.id), args.format)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
