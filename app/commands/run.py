"""``cockpit run "TASK"``: the agent, headless."""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import sys
from typing import TYPE_CHECKING

from app.commands.common import EXIT_USAGE, clear_errors, run_options

if TYPE_CHECKING:
    from app.settings import Settings

EXIT_CODES = {"completed": 0, "failed": 1, "limit": 3, "unverified": 4, "interrupted": 130}
EXIT_FAILED = EXIT_CODES["failed"]
EXIT_CODES_HELP = """exit codes:
  0    completed
  1    failed (a model call, or the database or the output could not be written)
  2    usage or configuration error
  3    a limit was reached (steps, cost, time, retry budget, a loop, an answer still cut off)
  4    unverified: the answer stands but the verifier's last round failed ([roles.verifier])
  130  interrupted
  141  the reader of the output went away"""


def register(subparsers: argparse._SubParsersAction) -> None:
    from app.cli import add_db_option, add_model_options, add_shared, session_options

    parser = subparsers.add_parser("run", help="run one task headless", description="Run one task without the TUI.",
                                   epilog=EXIT_CODES_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("task", help='what the agent should do; "-" reads it from standard input '
                        "(git diff | cockpit run - --json)")
    add_model_options(parser)
    add_db_option(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON event per line on stdout")
    add_shared(parser, session_options("continue the latest session of this workspace"))
    parser.add_argument("--trust-project", action="store_true",
                        help="apply the allow rules of .cockpit/config.toml for this run, even if not trusted yet")
    parser.set_defaults(func=run)


def named_model(args: argparse.Namespace, settings: Settings) -> str | None:
    """The model this run will call as far as known before the database opens: ``--model``, or the configured
    one unless a stored session (whose model it continues) is resumed; None when unknown."""
    if args.model:
        return str(args.model)
    return None if (args.resume or args.continue_) else settings.model


@clear_errors
def run(args: argparse.Namespace) -> int:
    task = read_task(args.task)
    if task is None:
        return EXIT_USAGE
    from app import startup_gc
    from app.agent.warmup import warm_in_background
    from app.settings import load_settings

    settings = load_settings()
    warming = warm_in_background(named_model(args, settings))  # litellm loads while the database and the session are prepared
    from app.agent.approvals import HeadlessApprover
    from app.config_check import check_settings, tui_warnings
    from app.headless import JsonLinesPrinter, ProgressPrinter
    from app.permission_files import untrusted_summary
    from app.runtime import build_session, open_store, resolve_resume

    for warning in [*check_settings(settings), *tui_warnings(settings)]:
        print(f"cockpit: warning: {warning}", file=sys.stderr)
    options = run_options(args)
    options.trust_project = args.trust_project
    db, store = open_store(options)
    if args.continue_:
        resolve_resume(db, options, latest_in_workspace=True)
    session = build_session(settings, options, human=HeadlessApprover(args.yes), store=store)
    if not args.json:
        print(f"cockpit: model {session.agent.model.name} ({session.settings['model_reason']})", file=sys.stderr)
    untrusted = untrusted_summary(session.agent.approvals.rules)
    if untrusted:
        print(f"cockpit: {untrusted}; they are ignored (--trust-project applies them for this run)", file=sys.stderr)
    # The store (subscribed by build_session) and the printer must not fail silently.
    printer = JsonLinesPrinter() if args.json else ProgressPrinter()
    session.bus.subscribe(printer, required=True)
    if not args.yes and not args.json and session.agent.config.permission_mode.value == "ask":
        print("cockpit: writes and commands will be refused (headless, no --yes)", file=sys.stderr)
    session.start()
    startup_gc.release(after=warming)  # the collector back once litellm is in
    result = asyncio.run(_run_task(session, task)) if session.bus.failure is None else None
    session.finish()
    if session.bus.failure is not None:
        return _sink_failed(session.bus.failure)
    if session.resumed and isinstance(printer, ProgressPrinter):  # the line above counted this run only
        from storage.queries import session_summary

        printer.session_totals(session_summary(db, session.id))
    if session.parent_id and not args.json:
        _print_comparison(db, session.parent_id, session.id)
    return EXIT_CODES.get(result.outcome, EXIT_FAILED)


STDIN = "-"
BLANK_LINES_BEFORE = re.compile(r"\A(?:[ \t]*\r?\n)+")


def read_task(given: str) -> str | None:
    """The task: as given, or read from standard input for ``-``; None (said on stderr) when there is none."""
    if given == STDIN:
        if sys.stdin is None or sys.stdin.isatty():
            print("cockpit: 'run -' reads the task from standard input; pipe something into it, "
                  "e.g. git diff | cockpit run - --json", file=sys.stderr)
            return None
        given = sys.stdin.buffer.read().decode("utf-8", errors="replace")
        if not given.strip():
            print("cockpit: standard input was empty: no task to run", file=sys.stderr)
            return None
        # `echo "task" | cockpit run -`: no trailing newline, no blank lines around it; inner lines and
        # the first line's indentation (a pasted snippet) kept
        return BLANK_LINES_BEFORE.sub("", given.rstrip())
    elif not given.strip():
        print('cockpit: the task is empty; say what to do, e.g. cockpit run "fix the failing test"', file=sys.stderr)
        return None
    return given


def _sink_failed(failure) -> int:
    """The store or the output failed: the task was stopped; never exit 0 with events missing."""
    if isinstance(failure.error, BrokenPipeError):
        raise failure.error  # the reader went away: exit 141, as every command
    print(f"cockpit: the session stopped: {failure.message}", file=sys.stderr)
    return EXIT_FAILED


def _print_comparison(db, old_id: str, new_id: str) -> None:
    from app.providers.replay import compare_sessions

    print(f"\nreplay of {old_id} → {new_id}")
    for key, old, new in compare_sessions(db, old_id, new_id):
        mark = "" if old == new else "   ← changed"
        shown = ["—" if value is None else str(value) for value in (old, new)]  # None: not counted (no usage)
        print(f"  {key:<18} {shown[0]:>10} {shown[1]:>10}{mark}")


async def _run_task(session, task: str):
    """Run the task; Ctrl+C interrupts it cleanly (the process group of a running command included)."""
    loop = asyncio.get_running_loop()
    runner = asyncio.create_task(session.run_task(task))
    session.bus.on_failure(lambda _failure: loop.call_soon_threadsafe(runner.cancel))
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, runner.cancel)
        except (NotImplementedError, RuntimeError):
            pass
    return await runner
