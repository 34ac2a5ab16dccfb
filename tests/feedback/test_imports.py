"""The feedback core stays headless and cheap to import."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sorted(sys.modules)))"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout
    return set(out.split())


def test_the_feedback_core_imports_neither_ui_nor_storage_nor_litellm():
    loaded = _modules_after(
        "import app.agent.feedback.collector, app.agent.feedback.estimator, app.agent.feedback.state, app.agent.events"
    )
    assert not any(m.startswith(("textual", "widgets", "storage", "litellm", "rich")) for m in loaded)


def test_the_command_and_report_modules_defer_their_heavy_imports():
    loaded = _modules_after("import app.commands.feedback, app.feedback_report")
    assert not any(m.startswith(("textual", "litellm", "rich", "sqlite_utils", "storage")) for m in loaded)
