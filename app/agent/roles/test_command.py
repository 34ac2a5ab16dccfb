"""The project's test command, detected from the files that name it (or configured).

In order: a Makefile with a ``test`` target (``make test``), a Python project (``pyproject.toml``,
``setup.py``, ``setup.cfg``, ``pytest.ini`` or ``tox.ini``: pytest, with the project's
``.venv`` when it has one), ``package.json`` with a real ``test`` script (``npm test``),
``Cargo.toml`` (``cargo test``), ``go.mod`` (``go test ./...``). None: nothing to run.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

PYTHON_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", "pytest.ini", "tox.ini")
NPM_PLACEHOLDER = "no test specified"  # the test script ``npm init`` writes
_MAKE_TEST = re.compile(r"^test\s*:", re.MULTILINE)


def detect_test_command(workspace: Path) -> str | None:
    makefile = workspace / "Makefile"
    if makefile.is_file() and _MAKE_TEST.search(_read(makefile)):
        return "make test"
    if any((workspace / name).is_file() for name in PYTHON_MARKERS):
        venv = workspace / ".venv" / "bin" / "python"
        return f"{'.venv/bin/python' if venv.exists() else 'python3'} -m pytest -q"
    package = workspace / "package.json"
    if package.is_file() and _npm_test(_read(package)):
        return "npm test --silent"
    if (workspace / "Cargo.toml").is_file():
        return "cargo test"
    if (workspace / "go.mod").is_file():
        return "go test ./..."
    return None


def _npm_test(text: str) -> bool:
    try:
        scripts = json.loads(text).get("scripts") or {}
    except (ValueError, AttributeError):
        return False
    test = scripts.get("test") if isinstance(scripts, dict) else None
    return isinstance(test, str) and bool(test.strip()) and NPM_PLACEHOLDER not in test


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
