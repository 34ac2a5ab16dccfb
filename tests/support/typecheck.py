"""mypy over the strict set: the modules of the strict override of ``[tool.mypy]`` in pyproject.toml.

``make lint`` runs it (``python -m tests.support.typecheck``), and so does
tests/test_architecture.py, so the check cannot rot. The strict set is named in
one place: a pattern ``pkg.*`` is checked as the package ``pkg``, a plain name as
one module. The cache lives in the virtualenv, so a repeated run is fast.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(sys.prefix) / "mypy_cache"


def strict_set() -> list[str]:
    """The module patterns of the override that turns the strict flags on."""
    overrides = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]["overrides"]
    (strict,) = [o for o in overrides if o.get("disallow_untyped_defs")]
    return list(strict["module"])


def targets(patterns: list[str]) -> list[str]:
    args: list[str] = []
    for pattern in patterns:
        args += ["-p", pattern.removesuffix(".*")] if pattern.endswith(".*") else ["-m", pattern]
    return args


def run() -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "mypy", "--cache-dir", str(CACHE), *targets(strict_set())]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True)


if __name__ == "__main__":
    result = run()
    print(result.stdout + result.stderr, end="")
    sys.exit(result.returncode)
