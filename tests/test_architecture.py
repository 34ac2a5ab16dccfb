"""The architecture is a test: import-linter contracts, their completeness, and deferred imports."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--config", str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _children(package: str) -> set[str]:
    folder = ROOT.joinpath(*package.split("."))
    names = {p.stem for p in folder.glob("*.py") if p.stem not in ("__init__", "__main__")}
    names |= {p.name for p in folder.iterdir() if (p / "__init__.py").exists()}
    return {f"{package}.{name}" for name in names}


def _contract(name_start: str) -> dict:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    (contract,) = [c for c in config["tool"]["importlinter"]["contracts"] if c["name"].startswith(name_start)]
    return contract


EVERYTHING_BUT_THE_VOCABULARY = (_children("app") - {"app.agent"}) | (_children("app.agent") - {"app.agent.events"})


@pytest.mark.parametrize(
    "contract, key, expected",
    [
        ("The vocabulary", "forbidden_modules", EVERYTHING_BUT_THE_VOCABULARY),
        ("The agent core is headless", "source_modules", _children("app.agent") - {"app.agent.events"}),
        ("The agent core is headless", "forbidden_modules", _children("app") - {"app.agent"}),
        ("Storage knows nothing", "forbidden_modules", EVERYTHING_BUT_THE_VOCABULARY),
        ("Widgets import only the vocabulary", "forbidden_modules", EVERYTHING_BUT_THE_VOCABULARY),
    ],
)
def test_contracts_name_every_module(contract, key, expected):
    """import-linter has no "all but": a module added to app/ must be added to the lists."""
    listed = {m for m in _contract(contract)[key] if m.startswith("app.")}
    assert listed == expected


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sorted(sys.modules)))"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout
    return set(out.split())


UI = ("textual", "widgets", "app.tui")
HEAVY = ("litellm", "tiktoken", "openai", "tokenizers")
VOCABULARY = "app.agent.events.core, app.agent.events.budget, app.agent.events.resilience, app.agent.events.feedback, " \
    "app.agent.events.approvals, app.agent.events.budget_view, app.agent.events.retries_view, app.agent.events.feedback_view"

# (what is imported, what must still not be loaded afterwards). Importing a module does no work:
# heavy libraries load when a function needs them, so the first frame never waits for them.
DEFERRED = [
    ("import app.cli; app.cli.build_parser()", (*HEAVY, "textual", "sqlite_utils", "storage", "app.agent.loop")),
    ("import app.agent.loop, app.agent.session, app.agent.bus", (*HEAVY, *UI, "storage", "sqlite_utils")),
    ("import app.runtime, app.tui.main, app.tui.app", (*HEAVY, "sqlite_utils")),
    ("import storage.store, storage.queries, storage.importers", (*HEAVY, *UI, "app.agent.loop")),
    (f"import {VOCABULARY}", (*HEAVY, *UI, "rich", "storage", "sqlite_utils", "app.agent.loop", "app.agent.tools")),
    ("import app.agent.budget.budget, app.agent.budget.recall, storage.budget, widgets.context_budget", HEAVY),
    ("import app.agent.resilience, app.agent.resilience.idempotency", (*HEAVY, "httpx", *UI, "sqlite_utils")),
    ("import app.agent.feedback.collector, app.agent.feedback.estimator", (*HEAVY, *UI, "rich", "storage")),
    ("import app.commands.feedback, app.feedback_report", (*HEAVY, "textual", "rich", "sqlite_utils", "storage")),
    ("import app.runtime, app.mcp_servers, app.commands.mcp, app.agent.mcp.manager, app.agent.mcp.tool",
     (*HEAVY, "mcp", "mcp_types", "anyio", "httpx", *UI, "storage")),  # the MCP SDK: when a server starts
    # the OpenTelemetry SDK: only when an endpoint is set
    ("import app.cli, app.runtime, app.telemetry.live, app.telemetry.config, app.commands.export_otel",
     (*HEAVY, "opentelemetry", "google.protobuf", "requests")),
]


@pytest.mark.parametrize("code, forbidden", DEFERRED, ids=[code.split(";")[0][7:50] for code, _ in DEFERRED])
def test_deferred_imports_stay_deferred(code, forbidden):
    loaded = _modules_after(code)
    early = sorted(m for m in loaded if any(m == f or m.startswith(f + ".") for f in forbidden))
    assert early == []


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


# A string that reads as a statement: "select … from", "insert into", "update x set", "delete from",
# "create table", "pragma …" (prose such as "update the README" is not one).
SQL = re.compile(
    r"^\s*(select\s.+\sfrom\s|insert\s+(or\s+\w+\s+)?into\s|update\s+\w+\s+set\s|delete\s+from\s"
    r"|create\s+(table|index|view|virtual|trigger)\s|drop\s+(table|index|view)\s|alter\s+table\s|pragma\s)",
    re.IGNORECASE | re.DOTALL,
)


def _string_literals(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value
        elif isinstance(node, ast.JoinedStr):  # an f-string: its literal parts, with a blank per field
            yield node.lineno, " ".join(v.value if isinstance(v, ast.Constant) else "" for v in node.values)


def test_all_sql_lives_in_storage():
    found = [
        f"{path.relative_to(ROOT)}:{line}: {text.strip()[:60]}"
        for folder in ("app", "widgets")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for line, text in _string_literals(ast.parse(path.read_text(encoding="utf-8")))
        if SQL.match(text)
    ]
    assert found == [], "SQL outside storage/ (add a named function to storage/queries.py):\n" + "\n".join(found)


def test_the_sql_check_sees_statements_not_prose():
    assert SQL.match("select id from sessions where id = ?")
    assert SQL.match("\n  insert or replace into blobs values (?)")
    assert SQL.match("pragma database_list")
    assert not SQL.match("update the README with the new options")
    assert not SQL.match("Select a session, then press r to replay it")


def test_the_strict_set_type_checks():
    """mypy with every strict flag over the strict set named in [tool.mypy] (``make lint`` runs it too)."""
    from tests.support.typecheck import run

    result = run()
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Success")


def test_the_agent_loop_reads_in_one_sitting():
    """STYLE.md (mini-swe-agent): the loop stays short; a job of its own goes into a module beside it."""
    lines = (ROOT / "app" / "agent" / "loop.py").read_text().count("\n")
    assert lines <= 300, f"app/agent/loop.py has {lines} lines (at most 300)"
