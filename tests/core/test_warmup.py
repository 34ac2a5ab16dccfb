"""The background import of litellm that ``cockpit run`` starts before preparing its session."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True, timeout=300)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_the_module_loads_nothing_heavy():
    seen = _run("import sys, json, app.agent.warmup; print(json.dumps({'litellm': 'litellm' in sys.modules}))")
    assert seen == {"litellm": False}


def test_the_thread_loads_litellm_and_what_its_first_call_imports_and_is_waited_for_at_exit():
    code = (
        "import sys, json\n"
        "from app.agent import warmup, offline\n"
        "thread = warmup.warm_in_background()\n"
        "daemon = thread.daemon\n"
        "thread.join()\n"
        "loaded = [m for m in warmup.FIRST_CALL_MODULES if m in sys.modules]\n"
        "print(json.dumps({'daemon': daemon, 'litellm': offline._litellm is not None,"
        " 'first_call': len(loaded) == len(warmup.FIRST_CALL_MODULES)}))\n"
    )
    assert _run(code) == {"daemon": False, "litellm": True, "first_call": True}


def test_a_run_that_ends_while_the_thread_imports_exits_cleanly():
    """The process ends right after starting the thread: it waits for it and exits 0 (no hang, no error)."""
    done = subprocess.run(
        [sys.executable, "-c", "from app.agent.warmup import warm_in_background; warm_in_background(); print('bye')"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "bye", "")


def test_no_thread_for_a_model_answered_offline():
    code = (
        "import sys, json\n"
        "from app.agent import warmup\n"
        "threads = [warmup.warm_in_background(m) for m in ('scripted/turns.json', 'replay/abc123')]\n"
        "print(json.dumps({'threads': threads, 'litellm': 'litellm' in sys.modules}))\n"
    )
    assert _run(code) == {"threads": [None, None], "litellm": False}


def test_neither_the_warm_up_nor_a_call_with_tools_imports_the_mcp_sdk():
    """litellm's MCP gateway is skipped: its check would import the MCP SDK, which an MCP client starting on
    its own thread imports at the same time (then one of them sees a partially initialised module)."""
    code = (
        "import asyncio, sys, json\n"
        "from app.agent import warmup\n"
        "from app.agent.model import LiteLLMModel\n"
        "from tests.support.openai_server import OpenAIServer\n"
        "warmup.warm()\n"
        "after_warm = 'mcp' in sys.modules\n"
        "tool = {'type': 'function', 'function': {'name': 'f', 'description': 'f', 'parameters': {'type': 'object'}}}\n"
        "with OpenAIServer() as server:\n"
        "    model = LiteLLMModel('openai/test-model', api_base=server.url, api_key='sk-test')\n"
        "    reply = asyncio.run(model.stream([{'role': 'user', 'content': 'hi'}], [tool], lambda text: None))\n"
        "print(json.dumps({'text': reply.text, 'after_warm': after_warm, 'after_call': 'mcp' in sys.modules}))\n"
    )
    assert _run(code) == {"text": "done", "after_warm": False, "after_call": False}


def _warm_ups(monkeypatch) -> list[str]:
    from app.agent import warmup

    started: list[str] = []
    monkeypatch.setattr(warmup, "warm", lambda: started.append("warm"))
    return started


def test_cockpit_run_warms_up_for_a_provider_model_only(monkeypatch, workspace, write_script, openai_server, tmp_path):
    from app.cli import main

    started = _warm_ups(monkeypatch)
    common = ["--workspace", str(workspace), "--db", str(tmp_path / "w.db")]
    assert main(["run", "go", "--model", write_script([{"text": "Done."}]), *common]) == 0
    assert started == []  # a script answers: nothing of a provider's first call is needed
    assert main(["run", "go", "--model", "openai/test-model", "--api-base", openai_server.url, *common]) == 0
    assert started == ["warm"]
