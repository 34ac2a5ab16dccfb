"""Where Cockpit keeps its data: ``$COCKPIT_HOME`` or the platform's user data dir."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    env = os.environ.get("COCKPIT_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("cockpit", appauthor=False))


def db_path() -> Path:
    return home() / "cockpit.db"


def config_path() -> Path:
    env = os.environ.get("COCKPIT_CONFIG")
    return Path(env).expanduser() if env else home() / "config.toml"


def exports_dir() -> Path:
    """Where the TUI writes exported sessions (not the workspace: no stray files in the user's repository)."""
    return home() / "exports"
