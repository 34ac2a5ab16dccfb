"""``cockpit rewind SESSION --to-turn N``: files, conversation or both back to before turn N."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from app.commands.common import EXIT_USAGE, clear_errors, open_database


def register(subparsers: argparse._SubParsersAction) -> None:
    from app.commands.undo import finish_parser

    parser = subparsers.add_parser(
        "rewind",
        help="put a session's files and/or conversation back to their state before a turn",
        description="Restore the files the session changed since turn N began, and remove turns N and later "
        "from the conversation (or only one of the two). Files changed outside Cockpit since are "
        "conflicts: nothing is changed unless --force.",
    )
    parser.add_argument("session", help="session id or a unique prefix")
    parser.add_argument("--to-turn", type=int, required=True, metavar="N", help="the state before this turn")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--files-only", action="store_true", help="restore the files, keep the conversation")
    only.add_argument("--conversation-only", action="store_true", help="rewind the conversation, keep the files")
    finish_parser(parser, run)


@clear_errors
def run(args: argparse.Namespace) -> int:
    from app.checkpoints import run_command

    return run_command(open_database(args), args.session, lambda checkpoints: _rewind(checkpoints, args))


def _rewind(checkpoints: Any, args: argparse.Namespace) -> Any:
    from app.agent.events.checkpoints import BOTH, CONVERSATION, FILES

    entry = checkpoints.history.by_turn(args.to_turn)
    if entry is None:
        turns = ", ".join(str(e.turn) for e in checkpoints.history.live()) or "none"
        print(f"cockpit: no turn {args.to_turn} in the session's conversation (turns: {turns})", file=sys.stderr)
        return EXIT_USAGE
    mode = FILES if args.files_only else CONVERSATION if args.conversation_only else BOTH
    return checkpoints.rewind(entry, mode, force=args.force)
