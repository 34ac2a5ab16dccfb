"""The TUI harness of ``tests/tui`` for the Pilot tests of /undo and /rewind."""

from tests.tui.conftest import harness  # noqa: F401  (a fixture)
