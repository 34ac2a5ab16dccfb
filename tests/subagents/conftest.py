from tests.tui.conftest import harness, warm_imports  # noqa: F401  (the TUI's fixtures, for the screens here)
