"""The architecture is a test: import-linter contracts and deferred imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--config", str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.lower() or "0 broken" in result.stdout


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sorted(sys.modules)))"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout
    return set(out.split())


def test_no_heavy_imports_at_import_time():
    loaded = _modules_after("import app.cli, app.agent.loop, app.runtime, storage.store, app.tui.main; app.cli.build_parser()")
    assert "litellm" not in loaded
    assert "tiktoken" not in loaded
    assert "textual" not in loaded


def test_the_core_never_imports_the_ui():
    loaded = _modules_after("import app.agent.loop, app.agent.session, app.agent.bus")
    assert not any(m == "textual" or m.startswith(("textual.", "widgets", "app.tui", "storage")) for m in loaded)


def test_a_real_run_never_reaches_for_the_network(tmp_path):
    """litellm must load with its local cost map: no fetch attempt, no warning about one."""
    import json
    import os

    script = tmp_path / "s.json"
    script.write_text(json.dumps([{"text": "hi"}]))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LITELLM", "TIKTOKEN"))}
    env["COCKPIT_HOME"] = str(tmp_path / "home")
    result = subprocess.run(
        [sys.executable, "-m", "app", "run", "hello", "--model", f"scripted/{script}", "--workspace", str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "cost map" not in result.stderr.lower() and "raw.githubusercontent" not in result.stderr
