"""Helpers shared by the subcommands: options → RunOptions, errors → exit codes."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path

EXIT_USAGE = 2


def run_options(args: argparse.Namespace):
    from app.runtime import RunOptions

    return RunOptions(
        model=getattr(args, "model", None),
        api_base=getattr(args, "api_base", None),
        workspace=getattr(args, "workspace", None) or Path.cwd(),
        yes=getattr(args, "yes", False),
        max_steps=getattr(args, "max_steps", None),
        max_cost=getattr(args, "max_cost", None),
        max_time=getattr(args, "max_time", None),
        permission_mode=getattr(args, "permission_mode", None),
        db_path=getattr(args, "db", None),
        resume=getattr(args, "resume", None),
        feedback_rate=getattr(args, "feedback_rate", None),
        headless=getattr(args, "command", None) == "run",
    )


def open_database(args: argparse.Namespace):
    from app import paths
    from storage.db import open_db

    return open_db(getattr(args, "db", None) or paths.db_path())


def clear_errors(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Configuration, database and lookup problems become a message and exit code 2."""

    @wraps(fn)
    def wrapper(args: argparse.Namespace) -> int:
        from app.settings import ConfigError
        from storage.db import DatabaseError
        from storage.queries import SessionNotFound

        try:
            return fn(args)
        except (ConfigError, DatabaseError, SessionNotFound) as exc:
            print(f"cockpit: {exc}", file=sys.stderr)
            return EXIT_USAGE

    return wrapper
