"""app.agent.events.format: one rounding for tokens, money and durations."""

from __future__ import annotations

import pytest

from app.agent.events.format import UNKNOWN, duration, money, tokens


@pytest.mark.parametrize(
    "n, shown",
    [
        (0, "0"), (999, "999"), (1000, "1.0k"), (1049, "1.0k"), (1050, "1.1k"), (1500, "1.5k"), (41_234, "41.2k"),
        (99_949, "99.9k"), (99_950, "100k"), (128_000, "128k"), (999_499, "999k"), (999_500, "1.00M"),
        (1_048_576, "1.05M"), (9_994_999, "9.99M"), (9_999_999, "10.0M"), (12_345_678, "12.3M"),
        (99_950_000, "100M"), (1_234_567_890, "1235M"),
        (-950, "-950"), (-1050, "-1.1k"), (-2_300, "-2.3k"), (-9_999_999, "-10.0M"), (None, UNKNOWN),
    ],
)
def test_tokens(n, shown):
    assert tokens(n) == shown


@pytest.mark.parametrize(
    "usd, shown",
    [
        (0, "$0.0000"), (0.0123, "$0.0123"), (0.00005, "$0.0001"), (0.000049, "$0.0000"), (0.27034, "$0.2703"),
        (12.5, "$12.5000"), (999.99995, "$1000.0000"), (-0.01, "-$0.0100"), (-0.00001, "$0.0000"), (None, UNKNOWN),
    ],
)
def test_money(usd, shown):
    assert money(usd) == shown


@pytest.mark.parametrize(
    "seconds, shown",
    [
        (0, "0s"), (0.004, "0.00s"), (0.012, "0.01s"), (0.234, "0.23s"), (0.994, "0.99s"), (0.996, "1.0s"),
        (1.5, "1.5s"), (4.25, "4.3s"), (9.96, "10.0s"),
        (42.14, "42.1s"), (59.94, "59.9s"), (59.96, "1m00s"), (75, "1m15s"), (240, "4m00s"), (3599.4, "59m59s"),
        (3599.5, "1h00m"), (7_500, "2h05m"), (90_000, "25h00m"),
        (-1.5, "-1.5s"), (-0.25, "-0.25s"), (-75, "-1m15s"), (-0.001, "0.00s"), (None, UNKNOWN),
    ],
)
def test_duration(seconds, shown):
    assert duration(seconds) == shown


def test_the_module_imports_only_the_standard_library():
    import ast
    from pathlib import Path

    import app.agent.events.format as module

    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert imported <= {"__future__", "math", "dataclasses", "collections", "typing"}
