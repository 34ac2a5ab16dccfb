"""Entry point of the TUI (``cockpit`` with no subcommand): ``run_tui(args) -> int``.

Everything that can be wrong with the setup (no model, a broken config file, a
missing workspace, an unknown ``--resume`` id or an unusable database when
resuming) is printed as one clear message with exit code 2 *before* the app
starts. Nothing here imports litellm or textual at module level; litellm is
imported by the app in a worker after the first frame, and the database is
opened on the agent thread once the first frame is on screen.

``COCKPIT_BENCH_FIRST_FRAME=<file>``: at the first frame, write
``{"time": time.time(), "modules": [every module imported so far], "collector":
gc.isenabled(), "frozen": gc.get_freeze_count()}`` as JSON to the file and exit
(used by ``benchmarks/bench_tui.py`` and a test that checks what the first frame
waited for).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

EXIT_USAGE = 2
BENCH_ENV = "COCKPIT_BENCH_FIRST_FRAME"


def run_tui(args: argparse.Namespace) -> int:
    from app.commands.common import run_options
    from app.model_select import NoModelConfigured
    from app.runtime import pick_model, resolve_resume, resolve_workspace
    from app.settings import ConfigError, load_settings, save_setting

    stores = LazyStore()
    try:
        settings = load_settings()
        options = run_options(args)
        options.workspace = resolve_workspace(options.workspace)
        stores.options = options
        continue_ = bool(getattr(args, "continue_", False))
        if options.resume or continue_:  # resolve the id now: a wrong one is a setup error
            db, _ = stores.get()
            resolve_resume(db, options, latest_in_workspace=continue_)  # sets options.resume to the full id
        try:
            choice = pick_model(settings, options) if options.model or not options.resume else None
        except NoModelConfigured:  # the app opens anyway and says how to pick one
            choice = None
        if choice is not None:
            _check_script_exists(choice.model)
    except ConfigError as exc:
        print(f"cockpit: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:
        if not _storage_setup_error(exc):
            raise
        print(f"cockpit: {exc}", file=sys.stderr)
        return EXIT_USAGE

    from app.tui.keys import keymap_from_settings

    keymap, problems = keymap_from_settings(settings.keys, lambda key: settings.locate("keys", key))
    transcript_turns, ui_problems = _transcript_turns(settings.ui, lambda key: settings.locate("ui", key))
    problems += ui_problems
    make_session = SessionMaker(settings, options, choice, stores)

    from app.tui.app import CockpitApp
    from app.tui.first_start import FirstStart

    app = CockpitApp(
        make_session,
        database=lambda: stores.get()[0],
        keymap=keymap,
        theme=settings.theme,
        save_theme=lambda name: save_setting("theme", name),
        startup_notices=problems,
        transcript_turns=transcript_turns,
        on_first_frame=_bench_hook(),
        session_panes=live_panes,
        git_probe=workspace_git,
        first_start=FirstStart(workspace=options.workspace),
    )
    app.saved_theme.origin = settings.locate("", "theme")
    app.run()
    return app.return_code or 0


def workspace_git(workspace: str) -> Any:
    """The status bar's branch and dirty state (``app.agent.git_status``), read on a worker thread."""
    from app.agent.git_status import workspace_git as read

    return read(workspace)


def live_panes(app: Any, session: Any) -> Any:
    """The Context budget, Retries and Feedback panes of a session; imported when the first
    session opens, after the first frame."""
    from app.tui.live_panes import LivePanes

    return LivePanes(app, session)


class SessionMaker:
    """``make_session(approver, **overrides)`` for the app; runs on the agent thread.

    The first session honours --resume/--continue; later ones only what the palette
    asks (``resume=<id>``, ``model=<name>``). A resumed session keeps its recorded
    model unless another one is named. When no model was configured at all, the
    first one picked in the app is saved as the default (``model`` in the config).
    """

    def __init__(self, settings: Any, options: Any, choice: Any, stores: LazyStore) -> None:
        self.settings = settings
        self.options = options
        self.choice = choice
        self.stores = stores
        self.first_resume = options.resume
        self.unconfigured = choice is None and not options.resume
        self.warnings: list[str] | None = None  # the config file's unknown keys, said by the first session

    def __call__(self, approver: Any, **overrides: Any) -> Any:
        from app.config_check import check_settings
        from app.runtime import build_session
        from app.settings import save_setting

        if self.warnings is None:  # a bad value is a ConfigError naming file and line: the session fails, saying it
            self.warnings = check_settings(self.settings)
        if self.first_resume and not overrides:
            overrides, self.first_resume = {"resume": self.first_resume}, None
        model, resume = overrides.get("model"), overrides.get("resume")
        opts = replace(self.options, resume=resume, model=model or self.options.model)
        choice = self.choice if not (model or resume) else None
        _, store = self.stores.get()
        session = build_session(self.settings, opts, human=approver, store=store, choice=choice)
        if self.warnings:
            from app.agent.events.core import Notice

            session.notices = (*(Notice(level="warning", message=w) for w in self.warnings), *session.notices)
            self.warnings = []
        if model and self.unconfigured:
            save_setting("model", model)
            self.settings.model, self.unconfigured = model, False
        return session


class LazyStore:
    """The database and event store, opened on first use.

    Without --resume/--continue that is on the agent thread after the first
    frame, so opening SQLite (and importing sqlite-utils) never delays it; a
    database that cannot be used then shows as an error notice in the app.
    """

    def __init__(self) -> None:
        self.options: Any = None
        self._lock = threading.Lock()
        self._opened: tuple[Any, Any] | None = None

    def get(self) -> tuple[Any, Any]:
        with self._lock:
            if self._opened is None:
                from app.runtime import open_store

                self._opened = open_store(self.options)
            return self._opened


def _transcript_turns(ui: dict[str, Any], locate: Any = None) -> tuple[int, list[str]]:
    """``[ui] transcript_turns``: how many turns the transcript keeps on screen, and problems with the table
    (``locate(key)`` says where a key is: ``config.toml:9: [ui] colour``)."""
    from app.agent.config import Bound
    from widgets.transcript import TURNS_SHOWN

    where = locate or (lambda key: f"[ui] {key}")
    problems = [f"{where(key)} is not a setting (ignored); known: transcript_turns" for key in sorted(set(ui) - {"transcript_turns"})]
    value = ui.get("transcript_turns", TURNS_SHOWN)
    if reason := Bound(whole=True, low=1).reason(value):
        return TURNS_SHOWN, [*problems, f"{where('transcript_turns')} {reason}; using {TURNS_SHOWN}"]
    return value, problems


def _storage_setup_error(exc: Exception) -> bool:
    """Storage's errors (a database Cockpit cannot use, an unknown session) are setup errors.

    storage is imported only when the database was opened, so look the classes up then.
    """
    kinds = tuple(
        getattr(sys.modules.get(module), name, None) or ()
        for module, name in (("storage.db", "DatabaseError"), ("storage.queries", "SessionNotFound"))
    )
    return any(isinstance(exc, kind) for kind in kinds if kind)


def _check_script_exists(model: str) -> None:
    """A missing offline script is a setup error (checked without importing litellm)."""
    from app.settings import ConfigError

    if model.startswith("scripted/"):
        path = Path(model.split("/", 1)[1])
        if not path.is_file():
            raise ConfigError(f"scripted model: no script at {path}")


def _bench_hook():
    target = os.environ.get(BENCH_ENV)
    if not target:
        return None

    def first_frame(app: Any) -> None:
        import gc

        stamp = {"time": time.time(), "modules": sorted(sys.modules), "collector": gc.isenabled(),
                 "frozen": gc.get_freeze_count()}
        Path(target).write_text(json.dumps(stamp), encoding="utf-8")
        app.exit(0)

    return first_frame
