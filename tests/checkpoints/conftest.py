"""The TUI harness of ``tests/tui`` (and its warmed imports) for the Pilot and snapshot tests."""

from tests.tui.conftest import harness, warm_imports  # noqa: F401  (fixtures)
