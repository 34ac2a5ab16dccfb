"""The ``cockpit`` command: argument parsing and dispatch, nothing else.

``cockpit`` opens the TUI; ``cockpit run "task"`` runs headless; the other
subcommands live in ``app/commands/<name>.py`` (each with ``register`` and
``run``). Heavy imports happen inside the commands, never here.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

COMMANDS = ("run", "sessions", "show", "export", "import_", "replay", "feedback")

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LIMIT, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as shells report a reader that closed the pipe


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by the TUI and ``cockpit run``."""
    g = parser.add_argument_group("model and limits")
    g.add_argument("--model", help="any litellm model string (anthropic/…, openai/…, ollama_chat/…, scripted/<file.json>)")
    g.add_argument("--api-base", help="base URL of an OpenAI-compatible server (with --model openai/<name>)")
    g.add_argument("--workspace", type=Path, default=Path.cwd(), help="project folder the agent works in (default: .)")
    g.add_argument("--yes", action="store_true", help="approve every write and command without asking")
    g.add_argument("--permission-mode", choices=("ask", "accept_edits", "plan", "yolo"),
                   help="ask (default), accept_edits, plan (read-only) or yolo")
    g.add_argument("--max-steps", type=int, help="model calls per task (default 50)")
    g.add_argument("--max-cost", type=float, help="USD per session (default 5.0)")
    g.add_argument("--max-time", type=float, help="seconds per task (default 1800)")
    g.add_argument("--feedback-rate", type=float, help="probability of asking for feedback after a task (0 to 1)")


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, help="database file (default: $COCKPIT_HOME/cockpit.db)")


class _Version(argparse.Action):
    """``--version``: the installed distribution's version, looked up only when asked."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs: object) -> None:
        super().__init__(option_strings, dest=dest, default=argparse.SUPPRESS, nargs=0, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, namespace: object, values: object, option_string: str | None = None) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("agent-cockpit")
        except PackageNotFoundError:
            number = "unknown (not installed)"
        print(f"cockpit {number}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cockpit",
        description="A coding agent whose harness you can see: context budget, retries, honest feedback.",
    )
    parser.add_argument("--version", action=_Version)
    add_model_options(parser)
    add_db_option(parser)
    parser.add_argument("--resume", metavar="ID", help="continue a stored session")
    parser.add_argument("--continue", dest="continue_", action="store_true", help="continue the latest session in this workspace")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"app.commands.{name}")
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        from app.tui.main import run_tui

        return run_tui(args)
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # `cockpit sessions | head`: the reader left, which is not an error
        _silence_stdout()
        return EXIT_BROKEN_PIPE


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())
