"""The ``cockpit`` command: argument parsing and dispatch, nothing else.

``cockpit`` opens the TUI; ``cockpit run "task"`` runs headless; the other
subcommands live in ``app/commands/<name>.py`` (each with ``register`` and
``run``). Heavy imports happen inside the commands, never here.

The options of ``cockpit`` itself (model, limits, workspace, database, resume)
mean the same before and after a subcommand that takes them: ``cockpit
--workspace W run hi`` is ``cockpit run hi --workspace W`` (given both ways, the
one after the subcommand wins). Before a subcommand that does not take one, the
option is a usage error, never silently dropped.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from typing import Any

COMMANDS = ("run", "sessions", "show", "export", "import_", "replay", "feedback", "undo", "rewind", "report", "tools", "mcp",
            "export_otel")

ENDS_PROCESS = ("run",)  # commands after which the process ends at once (app.process_end), whatever threads remain
HOLDS_COLLECTOR = (None, "run")  # start-ups that run without the cyclic collector (app.startup_gc); None: the TUI

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LIMIT, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as shells report a reader that closed the pipe

BEFORE = "before_"  # the namespace key of an option given before the subcommand
TAKES = "takes_"  # set (as a parser default) by each subcommand that takes a shared option


def _bounded(bound: Any) -> Any:
    """An argparse type that checks the setting's range (``--max-steps -3`` → "must be ≥ 1")."""

    def parse(text: str) -> Any:
        try:
            return bound.check(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def _limits() -> dict[str, Any]:
    from app.agent.config import BOUNDS, PROBABILITY

    return {"max_steps": BOUNDS["max_steps"], "max_cost": BOUNDS["max_cost_usd"],
            "max_time": BOUNDS["max_wall_s"], "feedback_rate": PROBABILITY}


def model_options() -> list[tuple[tuple[str, ...], dict[str, Any]]]:
    """The options shared by the TUI and ``cockpit run``: (flags, add_argument keywords)."""
    limits = _limits()
    return [
        (("--model",), {"help": "any litellm model string (anthropic/…, openai/…, ollama_chat/…, scripted/<file.json>)"}),
        (("--api-base",), {"help": "base URL of an OpenAI-compatible server (with --model openai/<name>)"}),
        (("--workspace",), {"type": Path, "default": Path.cwd(), "help": "project folder the agent works in (default: .)"}),
        (("--yes",), {"action": "store_true", "default": False, "help": "approve every write and command without asking"}),
        (("--permission-mode",), {"choices": ("ask", "accept_edits", "plan", "yolo"),
                                  "help": "ask (default), accept_edits, plan (read-only) or yolo"}),
        (("--max-steps",), {"type": _bounded(limits["max_steps"]), "metavar": "N",
                            "help": "model calls per task, 1 or more (default 50)"}),
        (("--max-cost",), {"type": _bounded(limits["max_cost"]), "metavar": "USD",
                           "help": "USD per session, above 0 (default 5.0)"}),
        (("--max-time",), {"type": _bounded(limits["max_time"]), "metavar": "S",
                           "help": "seconds per task, above 0 (default 1800)"}),
        (("--feedback-rate",), {"type": _bounded(limits["feedback_rate"]), "metavar": "P",
                                "help": "probability of asking for feedback after a task (0 to 1)"}),
    ]


def session_options(continue_help: str) -> list[tuple[tuple[str, ...], dict[str, Any]]]:
    return [
        (("--resume",), {"metavar": "ID", "help": "continue a stored session"}),
        (("--continue",), {"dest": "continue_", "action": "store_true", "default": False, "help": continue_help}),
    ]


DB_OPTION = (("--db",), {"type": Path, "help": "database file (default: $COCKPIT_HOME/cockpit.db)"})


def _dest(flags: tuple[str, ...], options: dict[str, Any]) -> str:
    return options.get("dest") or flags[0].lstrip("-").replace("-", "_")


def add_shared(parser: argparse.ArgumentParser, specs: list[tuple[tuple[str, ...], dict[str, Any]]],
               group: Any = None) -> None:
    """Add shared options to a subcommand: unset unless given, so they never hide one given before it."""
    for flags, options in specs:
        (group or parser).add_argument(*flags, **{**options, "default": argparse.SUPPRESS})
    parser.set_defaults(**{TAKES + _dest(flags, options): True for flags, options in specs})


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by the TUI and ``cockpit run``."""
    add_shared(parser, model_options(), parser.add_argument_group("model and limits"))


def add_db_option(parser: argparse.ArgumentParser) -> None:
    add_shared(parser, [DB_OPTION])


def _global_specs() -> list[tuple[tuple[str, ...], dict[str, Any]]]:
    return [*model_options(), DB_OPTION, *session_options("continue the latest session in this workspace")]


def _add_globals(parser: argparse.ArgumentParser) -> None:
    """The options of ``cockpit`` itself, kept apart (``before_<dest>``) until the subcommand is known."""
    group = parser.add_argument_group("model and limits (before or after run)")
    for flags, options in _global_specs():
        dest = _dest(flags, options)
        named = {} if options.get("action") or options.get("choices") else {"metavar": options.get("metavar", dest.upper())}
        group.add_argument(*flags, **{**options, **named, "dest": BEFORE + dest, "default": argparse.SUPPRESS})


def merge_globals(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.Namespace:
    """Give each option given before the subcommand to it, or refuse it; then the defaults."""
    command = getattr(args, "command", None)
    for flags, options in _global_specs():
        dest = _dest(flags, options)
        given = vars(args).pop(BEFORE + dest, argparse.SUPPRESS)
        if given is not argparse.SUPPRESS:
            if command is not None and not getattr(args, TAKES + dest, False):
                parser.error(f"{flags[0]} is not an option of 'cockpit {command}'; "
                             f"it goes with cockpit (the TUI) or cockpit run")
            if not hasattr(args, dest):  # given both ways: the one after the subcommand wins
                setattr(args, dest, given)
        if not hasattr(args, dest):
            setattr(args, dest, options.get("default"))
    for key in [key for key in vars(args) if key.startswith(TAKES)]:
        delattr(args, key)
    return args


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


class CockpitParser(argparse.ArgumentParser):
    """``cockpit``'s parser: what it parses has the options given before the subcommand merged in."""

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        return merge_globals(self, parsed), extras

    def parse_args(self, args: Any = None, namespace: Any = None) -> Any:
        """Like argparse's, but an unknown argument after a subcommand gets that subcommand's usage line."""
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            command = getattr(parsed, "command", None)
            (self.subcommand(command) or self).error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed

    def subcommand(self, name: str | None) -> argparse.ArgumentParser | None:
        parsers = [action._name_parser_map for action in self._actions if isinstance(action, argparse._SubParsersAction)]
        return parsers[0].get(name) if parsers and name else None

    def format_help(self) -> str:
        """The help lists every subcommand: each is built for it (parsing builds only the one it meets)."""
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction) and isinstance(action._name_parser_map, _Subcommands):
                action._name_parser_map.build_all()
        return super().format_help()


def command_name(module: str) -> str:
    """The subcommand ``app.commands.<module>`` registers: ``import_`` is ``import``, ``export_otel`` ``export-otel``."""
    return module.rstrip("_").replace("_", "-")


class _Subcommands(dict[str, argparse.ArgumentParser]):
    """The subcommands' parsers by name, each built (its module imported, its ``register`` run) when
    parsing first meets its name: ``cockpit`` (the TUI) and ``cockpit run`` build one or none of them."""

    def __init__(self, subparsers: Any, modules: tuple[str, ...]) -> None:
        super().__init__()
        self.subparsers = subparsers
        self.modules = {command_name(module): module for module in modules}

    def __missing__(self, name: str) -> argparse.ArgumentParser:
        if name not in self.modules:
            raise KeyError(name)
        importlib.import_module(f"app.commands.{self.modules[name]}").register(self.subparsers)
        return super().__getitem__(name)

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return self[name] if name in self.modules else default

    def build_all(self) -> None:
        for name in self.modules:
            self.get(name)
        order = list(self.modules)  # the help lists them in COMMANDS' order, whichever was built first
        self.subparsers._choices_actions.sort(key=lambda choice: order.index(choice.dest))


def build_parser() -> argparse.ArgumentParser:
    parser = CockpitParser(
        prog="cockpit",
        description="A coding agent whose harness you can see: context budget, retries, honest feedback.",
    )
    parser.add_argument("--version", action=_Version)
    _add_globals(parser)
    # The subcommands' parsers are plain ones: only the top level merges. Each is built when needed
    # (_Subcommands); the choices a command name is checked against are all of them.
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=argparse.ArgumentParser)
    subparsers._name_parser_map = commands = _Subcommands(subparsers, COMMANDS)
    subparsers.choices = tuple(commands.modules)
    return parser


def main(argv: list[str] | None = None) -> int:
    from app import startup_gc

    if argv is None:  # the program itself: the TUI and cockpit run release the collector once litellm is imported
        startup_gc.hold()
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command not in HOLDS_COLLECTOR:
        startup_gc.release()
    if args.command is None:
        from app.tui.main import run_tui

        return run_tui(args)
    try:
        code = int(args.func(args) or 0)
    except BrokenPipeError:  # `cockpit sessions | head`: the reader left, which is not an error
        _silence_stdout()
        code = EXIT_BROKEN_PIPE
    if argv is None and args.command in ENDS_PROCESS:  # the program itself, not a caller of main()
        from app.process_end import end_process

        end_process(code)  # no library thread keeps the process alive once the session is stored
    return code


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())
