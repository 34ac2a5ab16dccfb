"""Running ``cockpit`` in-process in tests: ``run_cli(capsys, *argv)`` → (exit code, stdout, stderr)."""

from __future__ import annotations

from typing import Any


def run_cli(capsys: Any, *argv: str) -> tuple[int, str, str]:
    from app.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err
