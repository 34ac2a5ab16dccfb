"""Toolchains under home in the sandbox: pyenv's shims run; keys and Cockpit's data folder stay invisible.

Each test builds a fake home folder (``$HOME`` and ``$PATH`` point into it) and runs real commands
through bubblewrap; :func:`home_view` is also checked on its own, without bwrap.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from app.agent.tools.base import ToolContext
from app.agent.tools.sandbox import SandboxConfig
from app.agent.tools.sandbox_home import home_view
from tests.tools.test_sandbox import BWRAP, needs_bwrap, run


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user with pyenv on PATH, an SSH key, cargo with a registry token, and Cockpit's data under home."""
    home = tmp_path / "home"
    shims = home / ".pyenv" / "shims"
    shims.mkdir(parents=True)
    (shims / "tool").write_text('#!/bin/sh\necho "tool ran from $0"\n')
    (shims / "tool").chmod(0o755)
    (home / ".pyenv" / "version").write_text("3.12.0\n")
    (home / ".ssh").mkdir()
    (home / ".ssh" / "id_rsa").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    (home / ".cargo" / "bin").mkdir(parents=True)
    (home / ".cargo" / "credentials.toml").write_text('[registry]\ntoken = "cio-secret"\n')
    (home / ".gitconfig").write_text("[user]\n\tname = Fake User\n")
    (home / ".npmrc").write_text("//registry.npmjs.org/:_authToken=npm-secret\n")
    (home / ".local" / "bin").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PATH", f"{shims}:{home / '.local' / 'bin'}:/usr/bin:/bin")
    return home


@pytest.fixture
def data(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Cockpit's data folder, inside ~/.local (which is on PATH here, so shown)."""
    folder = home / ".local" / "share" / "cockpit"
    folder.mkdir(parents=True)
    (folder / "cockpit.db").write_text("sessions")
    monkeypatch.setenv("COCKPIT_HOME", str(folder))
    monkeypatch.setenv("PATH", f"{home / '.local'}:{os.environ['PATH']}")
    return folder


def _sandbox(ctx: ToolContext, data: Path, **config: bool) -> ToolContext:
    return dataclasses.replace(ctx, sandbox=dataclasses.replace(BWRAP, config=SandboxConfig(**config),
                                                                hidden=(str(data),)))


@needs_bwrap
async def test_a_pyenv_shim_on_path_runs_and_keys_and_data_stay_invisible(ctx: ToolContext, home: Path,
                                                                         data: Path) -> None:
    out = await run(_sandbox(ctx, data), "tool; cat ~/.pyenv/version ~/.gitconfig; "
                                          "ls -A ~/.ssh ~/.local/share/cockpit; cat ~/.npmrc ~/.cargo/credentials.toml")
    assert f"tool ran from {home}/.pyenv/shims/tool" in out.text and "3.12.0" in out.text and "Fake User" in out.text
    assert "id_rsa" not in out.text and "cockpit.db" not in out.text
    assert "npm-secret" not in out.text and "cio-secret" not in out.text
    assert "No such file or directory" in out.text  # ~/.ssh and ~/.npmrc are not there at all


@needs_bwrap
async def test_toolchains_are_read_only(ctx: ToolContext, home: Path, data: Path) -> None:
    out = await run(_sandbox(ctx, data), "echo x > ~/.pyenv/shims/tool")
    assert out.is_error and "Read-only file system" in out.text
    assert "tool ran" in (home / ".pyenv" / "shims" / "tool").read_text()


@needs_bwrap
async def test_toolchains_false_hides_them(ctx: ToolContext, home: Path, data: Path) -> None:
    out = await run(_sandbox(ctx, data, toolchains=False), 'tool; ls -A "$HOME" | wc -l')
    assert "tool ran" not in out.text and out.text.splitlines()[-1] == "0"


def test_keys_the_data_folder_and_home_itself_are_never_shown(home: Path, data: Path, tmp_path: Path) -> None:
    (home / "bin").symlink_to(home / ".ssh")  # a PATH entry that is a key folder under another name
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    path = os.pathsep.join([str(home), str(home / "bin"), str(data / "venv" / "bin"), str(outside),
                            str(home / ".local"), "relative/bin"])
    (data / "venv" / "bin").mkdir(parents=True)
    view = home_view(str(home), path, {}, hidden=(str(data),))
    shown = [target for _, target in view.binds]
    assert str(home) not in shown and str(home / "bin") not in shown  # all of home; the keys
    assert not any(t.startswith(str(data)) for t in shown) and str(outside) not in shown
    assert str(home / ".local") in shown and str(home / ".local" / "bin") not in shown  # inside one already shown
    assert str(data) in view.masked_dirs  # the data folder under ~/.local: an empty folder over it
    assert str(home / ".cargo" / "credentials.toml") in view.masked_files
    assert {str(home / ".pyenv"), str(home / ".cargo"), str(home / ".gitconfig")} <= set(shown)


def test_a_symlinked_home_binds_where_the_command_looks(tmp_path: Path, home: Path) -> None:
    link = tmp_path / "home-link"
    link.symlink_to(home)
    view = home_view(str(link), f"{link}/.pyenv/shims", {"CARGO_HOME": str(link / ".cargo")})
    assert (str(home / ".pyenv"), str(link / ".pyenv")) in view.binds
    assert (str(home / ".cargo"), str(link / ".cargo")) in view.binds


def test_no_home_shows_nothing() -> None:
    assert home_view("", "/usr/bin", {}).binds == () and home_view("/", "/usr/bin", {}).binds == ()


def test_toolchain_variables_reach_the_command_only_with_toolchains(monkeypatch: pytest.MonkeyPatch, ws: Path) -> None:
    env = {"PYENV_ROOT": "/x/.pyenv", "CARGO_HOME": "/x/.cargo", "AWS_SECRET_ACCESS_KEY": "s"}
    on = dataclasses.replace(BWRAP, config=SandboxConfig()).environment(env, ws)
    off = dataclasses.replace(BWRAP, config=SandboxConfig(toolchains=False)).environment(env, ws)
    assert on.keys() >= {"PYENV_ROOT", "CARGO_HOME"} and "AWS_SECRET_ACCESS_KEY" not in on
    assert not off.keys() & {"PYENV_ROOT", "CARGO_HOME"}


def test_a_session_hides_its_data_folder(workspace: Path, tmp_path: Path, write_script, cockpit_home: Path) -> None:
    from app.settings import Settings
    from tests.core.helpers import make_session

    session, _, _ = make_session(write_script([{"text": "hi"}]), workspace, tmp_path / "c.db", settings=Settings())
    assert session.agent.sandbox.hidden == (str(cockpit_home),)
