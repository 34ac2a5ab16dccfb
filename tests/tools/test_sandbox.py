"""The OS sandbox, through the real bubblewrap: escape attempts fail, the policy holds, kills still kill.

Tests that need bwrap skip only where it truly cannot run (the probe's reason is the skip reason);
``make test`` installs bubblewrap when it is missing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from pathlib import Path
from typing import Any

import pytest

from app.agent.approvals import HeadlessApprover
from app.agent.events import core as ev
from app.agent.tools.base import ToolContext
from app.agent.tools.bash import Bash
from app.agent.tools.sandbox import Sandbox, SandboxConfig, SandboxDenial, default_sandbox, detect
from app.agent.tools.sandbox_escalation import ApprovalEscalation
from app.settings import load_settings
from tests.support.processes import all_gone, running, unique_sleep

BWRAP = default_sandbox()
needs_bwrap = pytest.mark.skipif(BWRAP.backend != "bwrap", reason=f"bubblewrap cannot run here: {BWRAP.reason}")


@pytest.fixture
def sandboxed(ctx: ToolContext) -> ToolContext:
    return dataclasses.replace(ctx, sandbox=BWRAP)


async def run(ctx: ToolContext, command: str) -> Any:
    return await Bash().run({"command": command}, ctx)


class Allow:
    """An escalation that says yes and remembers what it was asked."""

    def __init__(self) -> None:
        self.asked: list[SandboxDenial] = []

    async def allow_unsandboxed(self, tool: str, arguments: dict[str, Any], denial: SandboxDenial) -> str | None:
        self.asked.append(denial)
        return None


# --- escape attempts --------------------------------------------------------------------------


@needs_bwrap
async def test_a_write_outside_the_workspace_fails_and_is_explained(ws: Path, sandboxed: ToolContext) -> None:
    out = await run(sandboxed, "echo x > /usr/cockpit-escape; echo x > /etc/cockpit-escape")
    assert out.is_error and "Read-only file system" in out.text
    assert "[sandbox: the command failed because it tried to write outside the workspace" in out.text
    assert "not run outside the sandbox: there is nobody to ask" in out.text
    assert out.data == {"sandbox_blocked": "write", "escalated": False}
    assert not Path("/usr/cockpit-escape").exists() and not Path("/etc/cockpit-escape").exists()


@needs_bwrap
async def test_other_folders_are_not_there_and_the_workspace_is_writable(ws: Path, sandboxed: ToolContext) -> None:
    out = await run(sandboxed, "echo made > made.txt && cat made.txt; cat ../outside/secret.txt; ls /work /root/.ssh")
    assert out.text.startswith("made\n")
    assert "top secret" not in out.text and "No such file or directory" in out.text
    assert (ws / "made.txt").read_text() == "made\n"


@needs_bwrap
async def test_tmp_and_home_are_private_and_empty(ws: Path, sandboxed: ToolContext, tmp_path: Path) -> None:
    """(With ``toolchains = false``: the toolchains under home are tests/tools/test_sandbox_home.py's.)"""
    bare = dataclasses.replace(BWRAP, config=SandboxConfig(toolchains=False))
    out = await run(dataclasses.replace(sandboxed, sandbox=bare), 'echo inside > /tmp/cockpit-private; ls -A /tmp | grep -v pytest-of; ls -A "$HOME" | wc -l')
    assert out.text.splitlines() == ["cockpit-private", "0"]  # (the workspace's own path is under /tmp here)
    assert not Path("/tmp/cockpit-private").exists()


@needs_bwrap
async def test_secret_environment_variables_stay_out(sandboxed: ToolContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-parent-secret")
    monkeypatch.setenv("MY_TOOL_TOKEN", "passed-on-purpose")
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    ctx = dataclasses.replace(sandboxed, sandbox=dataclasses.replace(BWRAP, config=SandboxConfig(env=("MY_TOOL_TOKEN",))))
    out = await run(ctx, 'echo "key=[$OPENAI_API_KEY] token=[$MY_TOOL_TOKEN] lc=[$LC_ALL] pwd=[$PWD]"; '
                         "cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | grep -c sk-test-parent-secret")
    assert out.text.splitlines()[0] == f"key=[] token=[passed-on-purpose] lc=[C.UTF-8] pwd=[{ctx.workspace}]"
    assert out.text.splitlines()[1] == "0"  # not even through another process's /proc/<pid>/environ


@needs_bwrap
async def test_proc_shows_only_the_sandbox(sandboxed: ToolContext) -> None:
    out = await run(sandboxed, "ls /proc | grep -c '^[0-9]'")
    assert int(out.text.splitlines()[0]) <= 4  # bwrap, the shell, ls, grep


@needs_bwrap
async def test_a_hard_link_out_fails_across_the_workspace_mount(ws: Path, sandboxed: ToolContext) -> None:
    out = await run(sandboxed, "ln /etc/hostname hl")
    assert out.is_error and "Invalid cross-device link" in out.text
    assert not (ws / "hl").exists()


@needs_bwrap
async def test_a_symlink_out_carries_no_write(ws: Path, sandboxed: ToolContext, tmp_path: Path) -> None:
    (ws / "to-outside").symlink_to(tmp_path / "outside" / "secret.txt")
    (ws / "to-etc").symlink_to("/etc/hostname")
    out = await run(sandboxed, "echo pwned > to-outside; echo pwned > to-etc; cat to-outside")
    assert out.is_error
    assert (tmp_path / "outside" / "secret.txt").read_text() == "top secret\n"
    assert "pwned" not in Path("/etc/hostname").read_text()
    assert "top secret" not in out.text


@needs_bwrap
async def test_system_files_are_readable_and_secrets_masked(sandboxed: ToolContext) -> None:
    """The policy: the OS's files are readable (a shell needs them), password hashes are not."""
    out = await run(sandboxed, "cat /etc/hostname >/dev/null && echo hostname-readable; cat /etc/shadow 2>&1 | grep -c root: || true")
    assert out.text.splitlines()[0] == "hostname-readable"
    assert out.text.splitlines()[-1] == "0"


@needs_bwrap
async def test_mounts_cannot_be_undone(sandboxed: ToolContext) -> None:
    out = await run(sandboxed, "mount -o remount,rw /usr && echo remounted; touch /usr/cockpit-escape")
    assert "remounted" not in out.text and not Path("/usr/cockpit-escape").exists()


@pytest.fixture
def loopback_server() -> Any:
    server = socket.create_server(("127.0.0.1", 0))
    server.setblocking(False)
    yield server
    server.close()


def _accepted(server: socket.socket) -> bool:
    try:
        conn, _ = server.accept()
    except BlockingIOError:
        return False
    conn.close()
    return True


def _connect(port: int) -> str:
    return f"python3 -c \"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=5); print('connected')\""


@needs_bwrap
async def test_no_network_not_even_the_host_loopback(sandboxed: ToolContext, loopback_server: socket.socket) -> None:
    out = await run(sandboxed, _connect(loopback_server.getsockname()[1]))
    assert out.is_error and "connected" not in out.text.splitlines()
    assert not _accepted(loopback_server)


@needs_bwrap
async def test_name_resolution_fails_and_is_explained(sandboxed: ToolContext) -> None:
    out = await run(sandboxed, "python3 -c \"import socket; socket.getaddrinfo('example.com', 80)\"")
    assert out.is_error and out.data["sandbox_blocked"] == "network"
    assert "it tried to reach the network, which is off in the sandbox" in out.text


@needs_bwrap
async def test_network_on_reaches_the_loopback_server(sandboxed: ToolContext, loopback_server: socket.socket) -> None:
    ctx = dataclasses.replace(sandboxed, sandbox=dataclasses.replace(BWRAP, config=SandboxConfig(network=True)))
    out = await run(ctx, _connect(loopback_server.getsockname()[1]))
    assert out.text == "connected" and _accepted(loopback_server)


# --- kills ------------------------------------------------------------------------------------


@needs_bwrap
async def test_timeout_kills_everything_in_the_sandbox(ws: Path) -> None:
    ctx = ToolContext(workspace=ws, timeout_s=1.0, sandbox=BWRAP)
    background, foreground = unique_sleep(), unique_sleep()
    out = await Bash().run({"command": f"{background} & {foreground}"}, ctx)
    assert out.timed_out
    assert await all_gone(background) and await all_gone(foreground)


@needs_bwrap
async def test_cancellation_kills_everything_in_the_sandbox(ws: Path, sandboxed: ToolContext) -> None:
    background, foreground = unique_sleep(), unique_sleep()
    task = asyncio.create_task(run(sandboxed, f"setsid {background} & {foreground}"))
    while not (running(background) and running(foreground)):
        await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await all_gone(background) and await all_gone(foreground)  # even one that left the session


@needs_bwrap
async def test_background_processes_end_with_their_command(sandboxed: ToolContext) -> None:
    background = unique_sleep()
    out = await run(sandboxed, f"{background} > /dev/null 2>&1 &")
    assert out.exit_code == 0
    assert await all_gone(background)


# --- escalation -------------------------------------------------------------------------------


def _reading(ctx: ToolContext, folder: Path) -> ToolContext:
    """``folder`` visible read-only (``[sandbox] read``): a write there fails with "Read-only file system".
    (A folder that is not there fails with "No such file or directory", which is not taken as the sandbox.)"""
    return dataclasses.replace(ctx, sandbox=dataclasses.replace(BWRAP, config=SandboxConfig(read=(str(folder),))))


@needs_bwrap
async def test_an_allowed_escalation_runs_the_command_once_outside(ws: Path, sandboxed: ToolContext, tmp_path: Path) -> None:
    allow = Allow()
    ctx = dataclasses.replace(_reading(sandboxed, tmp_path / "outside"), escalation=allow)
    out = await run(ctx, "echo done > ../outside/escalated.txt")
    assert [d.kind for d in allow.asked] == ["write"]
    assert (tmp_path / "outside" / "escalated.txt").read_text() == "done\n"
    assert out.text.startswith("[sandbox: the command failed because it tried to write outside the workspace")
    assert "the user allowed it to run once outside the sandbox" in out.text
    assert not out.is_error and out.data == {"sandbox_blocked": "write", "escalated": True}


@needs_bwrap
async def test_headless_without_yes_refuses_the_escalation_as_events(sandboxed: ToolContext) -> None:
    events: list[ev.Event] = []
    ctx = dataclasses.replace(sandboxed, escalation=ApprovalEscalation(HeadlessApprover(False), "call-1", events.append))
    out = await run(ctx, "touch /etc/cockpit-escape")
    assert out.is_error and "not approved:" in out.text and "a headless run never leaves it" in out.text
    requested, resolved = events
    assert isinstance(requested, ev.ApprovalRequested) and requested.kind == "sandbox_escalation"
    assert "The sandbox blocked this command" in requested.preview
    assert isinstance(resolved, ev.ApprovalResolved) and resolved.kind == "sandbox_escalation"
    assert resolved.decision == "deny" and resolved.automatic


@needs_bwrap
async def test_headless_with_yes_refuses_the_escalation(ws: Path, sandboxed: ToolContext, tmp_path: Path) -> None:
    events: list[ev.Event] = []
    escalation = ApprovalEscalation(HeadlessApprover(True), "call-1", events.append)
    ctx = dataclasses.replace(_reading(sandboxed, tmp_path / "outside"), escalation=escalation)
    out = await run(ctx, "echo yes > ../outside/yes.txt")
    assert not (tmp_path / "outside" / "yes.txt").exists() and not out.data["escalated"]
    assert "a headless run never leaves it" in out.text
    assert [type(e).__name__ for e in events] == ["ApprovalRequested", "ApprovalResolved"]


async def test_a_failure_that_is_not_the_sandbox_asks_nothing(sandboxed: ToolContext) -> None:
    allow = Allow()
    out = await run(dataclasses.replace(sandboxed, escalation=allow), "echo nope; exit 3")
    assert out.exit_code == 3 and not allow.asked and out.data == {}


# --- no sandbox -------------------------------------------------------------------------------


async def test_require_without_a_sandbox_refuses_the_command(ctx: ToolContext, ws: Path) -> None:
    missing = Sandbox("", SandboxConfig(require=True), reason="bubblewrap (bwrap) is not installed")
    out = await run(dataclasses.replace(ctx, sandbox=missing), "touch ran.txt")
    assert out.is_error and not (ws / "ran.txt").exists()
    assert out.text == ("the sandbox is required ([sandbox] require = true) but unavailable: "
                        "bubblewrap (bwrap) is not installed; command not run")


async def test_unavailable_still_scrubs_the_environment(ctx: ToolContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-parent-secret")
    missing = Sandbox("", SandboxConfig(), reason="bubblewrap (bwrap) is not installed")
    out = await run(dataclasses.replace(ctx, sandbox=missing), 'echo "[$OPENAI_API_KEY]"')
    assert out.text == "[]"


def test_detect_says_why_there_is_no_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    off = detect(SandboxConfig(mode="off"))
    assert not off.active and not off.scrub_env and off.notice() is None and off.label() == "unsandboxed"
    monkeypatch.setattr("app.agent.tools.sandbox.shutil.which", lambda name: None)
    missing = detect(SandboxConfig())
    assert missing.reason == "bubblewrap (bwrap) is not installed"
    notice = missing.notice()
    assert notice is not None and notice.level == "warning" and "unsandboxed" in notice.message
    state = missing.state()
    assert (state.backend, state.network, state.reason, state.label) == ("", True, missing.reason, "unsandboxed")
    assert "no sandbox is supported on win32" in detect(SandboxConfig(), platform="win32").reason


def test_a_bwrap_that_cannot_run_is_unavailable_with_its_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.agent.tools.sandbox.shutil.which", lambda name: "/bin/false")
    broken = detect(SandboxConfig())
    assert not broken.active and broken.reason == "bubblewrap is unusable here: exit code 1"


@needs_bwrap
def test_labels_and_the_prompt_say_what_is_confined(ws: Path) -> None:
    assert BWRAP.label() == "bwrap · net off"
    assert dataclasses.replace(BWRAP, config=SandboxConfig(network=True)).label() == "bwrap · net on"
    text = BWRAP.describe(ws)
    assert f"Only {ws} is writable" in text and "There is no network" in text and "no API keys" in text


# --- configuration ----------------------------------------------------------------------------


def test_the_sandbox_table_is_read_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[sandbox]\nmode = "bwrap"\nnetwork = true\nenv = ["GH_TOKEN"]\nread = ["~/.npmrc"]\n'
                    'toolchains = false\n')
    config = SandboxConfig.from_dict(load_settings(path).sandbox)
    assert config == SandboxConfig(mode="bwrap", network=True, env=("GH_TOKEN",), read=("~/.npmrc",), toolchains=False)
    assert SandboxConfig().toolchains
    for bad, message in [({"mode": "docker"}, "mode must be one of auto, bwrap, off"),
                         ({"network": "yes"}, "network must be true or false"),
                         ({"toolchains": 1}, "toolchains must be true or false"),
                         ({"env": "GH_TOKEN"}, "env must be a list of names"),
                         ({"nework": True}, "unknown key(s) nework")]:
        with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
            SandboxConfig.from_dict(bad)


# --- what the session says ---------------------------------------------------------------------


def test_the_session_announces_its_sandbox_and_tells_the_model(workspace: Path, tmp_path: Path, write_script,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from app.settings import Settings
    from tests.core.helpers import make_session

    monkeypatch.setattr("app.agent.tools.sandbox.shutil.which", lambda name: None)
    session, events, _ = make_session(write_script([{"text": "hi"}]), workspace, tmp_path / "c.db", settings=Settings())
    session.start()
    state, notice = events.of(ev.SandboxState), events.of(ev.Notice)
    assert [s.label for s in state] == ["unsandboxed"] and state[0].reason == "bubblewrap (bwrap) is not installed"
    assert [n.message for n in notice] == ["Commands run unsandboxed: bubblewrap (bwrap) is not installed."]
    prompt = session.agent.messages[0]["content"]
    assert "Commands run unsandboxed: bubblewrap (bwrap) is not installed." in prompt
    assert "you cannot reach outside it" not in prompt


@needs_bwrap
def test_a_sandboxed_session_says_so_once_and_quietly(workspace: Path, tmp_path: Path, write_script) -> None:
    from app.settings import Settings
    from tests.core.helpers import make_session

    session, events, _ = make_session(write_script([{"text": "hi"}]), workspace, tmp_path / "c.db", settings=Settings())
    session.start()
    assert [s.label for s in events.of(ev.SandboxState)] == ["bwrap · net off"] and not events.of(ev.Notice)
    assert f"Only {workspace} is writable" in session.agent.messages[0]["content"]


def test_the_status_bar_shows_the_sandbox_within_80_columns() -> None:
    from widgets.status_bar import StatusBar

    bar = StatusBar(clock=lambda: 0.0)
    bar.stats.model = "openai/gpt-4o-mini"
    assert "sandbox" not in bar.status_line().plain and "bwrap" not in bar.status_line().plain
    for state, label in [(ev.SandboxState(backend="bwrap", network=False), "bwrap · net off"),
                         (ev.SandboxState(backend="bwrap", network=True), "bwrap · net on"),
                         (ev.SandboxState(backend="", reason="none"), "unsandboxed")]:
        bar.apply(state)
        assert bar.status_line().plain[:80].startswith(f" ask   {label}  openai/gpt-4o-mini · ")
