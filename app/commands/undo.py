"""``cockpit undo [SESSION]``: undo the last turn of a stored session (files and conversation)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from app.commands.common import clear_errors, open_database


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "undo",
        help="undo the last turn of a session: its file changes and its place in the conversation",
        description="Put back the files the session's last turn changed and remove the turn from the "
        "conversation (the model is told when the session continues). Files changed outside Cockpit "
        "since are conflicts: nothing is changed unless --force.",
    )
    parser.add_argument("session", nargs="?", help="session id or a unique prefix (default: the newest of this folder)")
    finish_parser(parser, run)


def finish_parser(parser: argparse.ArgumentParser, run: Callable[[argparse.Namespace], int]) -> None:
    """``--force`` and ``--db``, as undo and rewind both take them."""
    from app.cli import add_db_option

    parser.add_argument("--force", action="store_true", help="overwrite files changed outside Cockpit since")
    add_db_option(parser)
    parser.set_defaults(func=run)


@clear_errors
def run(args: argparse.Namespace) -> int:
    from app.checkpoints import run_command

    return run_command(open_database(args), args.session, lambda checkpoints: checkpoints.undo(force=args.force))
