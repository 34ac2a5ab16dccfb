"""``cockpit replay ID``: watch a recorded session again, step by step, with every pane as it was."""

from __future__ import annotations

import argparse

from app.commands.common import clear_errors, open_database


def register(subparsers: argparse._SubParsersAction) -> None:
    from app.cli import add_db_option

    parser = subparsers.add_parser(
        "replay",
        help="replay a recorded session step by step (read-only)",
        description="Open a recorded session in a read-only replay: one stop per stored event, "
        "with the transcript and the context budget, retries and feedback panes as they were.",
    )
    parser.add_argument("id", help="session id, a unique prefix of one, or 'latest'")
    add_db_option(parser)
    parser.set_defaults(func=run)


@clear_errors
def run(args: argparse.Namespace) -> int:
    from storage.queries import resolve_session_id

    db = open_database(args)
    session_id = resolve_session_id(db, args.id)  # unknown ids: exit 2 with a clear message

    from app.settings import load_settings
    from app.tui.replay_app import ReplayApp

    app = ReplayApp(db, session_id, theme=load_settings().theme)
    app.run()
    return app.return_code or 0
