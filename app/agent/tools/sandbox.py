"""The OS sandbox every process-running tool starts its commands in.

:func:`detect` finds the sandbox once per process (bubblewrap on Linux, probed
with a real run, since ``bwrap`` may be installed and still unusable in a
container; ``sandbox-exec`` on macOS). A :class:`Sandbox` wraps a command's argv
(:meth:`Sandbox.wrap`), gives it its environment (an allow-list: secrets stay
out), tells whether a failure was the sandbox's doing (:meth:`Sandbox.diagnose`)
and describes itself: to the status bar (:class:`SandboxState`), to the user
once when it is missing (a :class:`Notice`), and to the model (the system prompt).

What is confined under bubblewrap (``sandbox_bwrap``): the workspace is the only
writable place besides a private /tmp and an empty home; /usr, /bin, /lib*, /opt
and /etc (secrets masked) are read-only, and so are the toolchains under home
(``sandbox_home``: PATH entries, ~/.pyenv, ~/.cargo…, never keys or Cockpit's
data; ``[sandbox] toolchains = false`` hides them); everything else (other
projects, the rest of the home folder with its keys and configs) is not there;
/proc shows only the sandbox's processes, /dev only the basic devices; no
network unless configured.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from app.agent.events.core import Notice, SandboxState
from app.agent.tools.sandbox_home import TOOLCHAIN_ENV, HomeView, home_view

MODES = ("auto", "bwrap", "off")
ENV_ALLOWED = ("PATH", "HOME", "LANG", "LANGUAGE", "TERM", "COLORTERM", "USER", "LOGNAME", "SHELL", "TZ",
               "VIRTUAL_ENV", "NO_COLOR")
ENV_ALLOWED_PREFIXES = ("LC_",)
_WRITE_DENIED = ("read-only file system",)
_NETWORK_DENIED = ("network is unreachable", "temporary failure in name resolution", "could not resolve host")


@dataclass(frozen=True)
class SandboxConfig:
    """The ``[sandbox]`` table."""

    mode: str = "auto"  # auto: the platform's sandbox when it works; bwrap: only bubblewrap; off: none
    network: bool = False  # commands may reach the network
    require: bool = False  # refuse to run commands when there is no sandbox
    env: tuple[str, ...] = ()  # more environment variables passed through, by name
    read: tuple[str, ...] = ()  # more folders or files visible (read-only) in the sandbox
    toolchains: bool = True  # the toolchains under home (PATH entries, ~/.pyenv, ~/.cargo…) visible, read-only

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SandboxConfig:
        known = {"mode", "network", "require", "env", "read", "toolchains"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        mode = data.get("mode", cls.mode)
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)} (got {mode!r})")
        flags = {key: data.get(key, getattr(cls, key)) for key in ("network", "require", "toolchains")}
        for key, value in flags.items():
            if not isinstance(value, bool):
                raise ValueError(f"{key} must be true or false (got {value!r})")
        lists = {key: data.get(key, ()) for key in ("env", "read")}
        for key, value in lists.items():
            if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
                raise ValueError(f"{key} must be a list of names (got {value!r})")
        return cls(mode=mode, network=flags["network"], require=flags["require"],
                   env=tuple(lists["env"]), read=tuple(lists["read"]), toolchains=flags["toolchains"])


@dataclass(frozen=True)
class SandboxDenial:
    """A command failed because the sandbox refused something it tried."""

    kind: str  # write | network
    evidence: str  # the line of output that shows it

    def explanation(self) -> str:
        what = ("it tried to write outside the workspace, which is read-only in the sandbox" if self.kind == "write"
                else "it tried to reach the network, which is off in the sandbox")
        return f"{what} ({self.evidence.strip()[:200]})"


@dataclass(frozen=True)
class Sandbox:
    backend: str  # bwrap | sandbox-exec | "" (none)
    config: SandboxConfig = field(default_factory=SandboxConfig)
    reason: str = ""  # without a backend: why
    executable: str = ""  # the backend's program
    scrub_env: bool = True  # pass only allow-listed variables (off only with mode = "off")
    hidden: tuple[str, ...] = ()  # never visible, even under a toolchain folder: Cockpit's data folder

    @property
    def active(self) -> bool:
        return bool(self.backend)

    @property
    def network(self) -> bool:
        return self.config.network or not self.active

    def label(self) -> str:
        return self.state().label

    def state(self) -> SandboxState:
        return SandboxState(backend=self.backend, network=self.network, reason=self.reason,
                            required=self.config.require)

    def notice(self) -> Notice | None:
        """Said once at session start when the sandbox was wanted and is missing."""
        if self.active or self.config.mode == "off":
            return None
        refused = " Commands will be refused ([sandbox] require = true)." if self.config.require else ""
        return Notice(level="warning", message=f"Commands run unsandboxed: {self.reason}.{refused}",
                      detail="Install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap) to confine commands "
                             "to the workspace, or set [sandbox] mode = \"off\" to silence this.")

    def refusal(self) -> str | None:
        """Why a command must not run at all (``require`` without a sandbox), or None."""
        if self.active or not self.config.require:
            return None
        return f"the sandbox is required ([sandbox] require = true) but unavailable: {self.reason}; command not run"

    def lifted(self) -> Sandbox:
        """For one command the user allowed out of the sandbox: no confinement, the same environment rules."""
        return replace(self, backend="", reason="allowed out of the sandbox once by the user",
                       config=replace(self.config, require=False))

    def wrap(self, argv: list[str], workspace: Path) -> list[str]:
        """``argv`` as it runs in this sandbox (unchanged without one)."""
        if self.backend == "bwrap":
            from app.agent.tools.sandbox_bwrap import bwrap_argv

            return bwrap_argv(self.executable, argv, workspace, network=self.config.network,
                              home=os.environ.get("HOME", ""), read=self.config.read, view=self.home_view())
        if self.backend == "sandbox-exec":
            from app.agent.tools.sandbox_seatbelt import seatbelt_argv

            return seatbelt_argv(self.executable, argv, workspace, network=self.config.network)
        return list(argv)

    def home_view(self) -> HomeView:
        """What of the home folder commands see (the toolchains, read-only), as of now."""
        if not self.config.toolchains:
            return HomeView()
        return home_view(os.environ.get("HOME", ""), os.environ.get("PATH", ""), os.environ, self.hidden)

    def environment(self, parent: Mapping[str, str], workspace: Path) -> dict[str, str]:
        """The environment a command gets: the allow-list (and ``[sandbox] env``), or everything with mode off."""
        if not self.scrub_env:
            return dict(parent)
        named = set(ENV_ALLOWED) | set(self.config.env) | (set(TOOLCHAIN_ENV) if self.config.toolchains else set())
        env = {k: v for k, v in parent.items() if k in named or k.startswith(ENV_ALLOWED_PREFIXES)}
        env["PWD"] = str(workspace)
        return env

    def diagnose(self, output: str) -> SandboxDenial | None:
        """The sandbox's refusal that made a command fail, read from its output (None when it is not that)."""
        if not self.active:
            return None
        kinds = [("write", _WRITE_DENIED)] + ([] if self.config.network else [("network", _NETWORK_DENIED)])
        for line in output.splitlines():
            lowered = line.lower()
            for kind, markers in kinds:
                if any(marker in lowered for marker in markers):
                    return SandboxDenial(kind, line)
        return None

    def describe(self, workspace: Path) -> str:
        """What the model is told about where its commands run."""
        if not self.active:
            refused = " (and refused: the sandbox is required)" if self.config.require else ""
            return (f"Commands run unsandboxed{refused}: {self.reason}. bash can reach the whole machine and the "
                    "network; stay inside the workspace anyway.")
        net = "The network is reachable." if self.config.network else (
            "There is no network (DNS and connections fail), not even the host's loopback.")
        if self.backend == "sandbox-exec":
            where = f"Only {workspace} and the temporary folders are writable; the rest of the disk is read-only."
        else:
            toolchains = (" and so are the toolchains under the home folder (pyenv, cargo, nvm, ~/.local/bin…)"
                          if self.config.toolchains else "")
            where = (f"Only {workspace} is writable (plus a private, empty /tmp and home folder); /usr, /bin, /lib, "
                     f"/opt and /etc are read-only{toolchains}; other folders (other projects, the rest of the "
                     "user's home) are not there.")
        return (f"Commands (bash) run in an OS sandbox ({self.backend}). {where} {net} Only basic environment "
                "variables are set (no API keys). Background processes end with their command. If a command fails "
                "because of the sandbox, the user is asked whether it may run once outside it.")


class Escalation(Protocol):
    """Asks whether one command the sandbox blocked may run once outside it."""

    async def allow_unsandboxed(self, tool: str, arguments: dict[str, Any], denial: SandboxDenial) -> str | None:
        """None when allowed; else why not (for the model)."""
        ...


class NoEscalation:
    """Nobody to ask (tools run outside a session): a blocked command stays blocked."""

    async def allow_unsandboxed(self, tool: str, arguments: dict[str, Any], denial: SandboxDenial) -> str | None:
        return "there is nobody to ask for approval here"


NO_ESCALATION = NoEscalation()


def detect(config: SandboxConfig | None = None, platform: str = sys.platform) -> Sandbox:
    """The sandbox ``config`` asks for, as far as this machine can give it (probed once per process)."""
    config = config or SandboxConfig()
    if config.mode == "off":
        return Sandbox("", config, reason='[sandbox] mode = "off"', scrub_env=False)
    if platform == "darwin" and config.mode == "auto":
        exe = shutil.which("sandbox-exec")
        if exe:
            return Sandbox("sandbox-exec", config, executable=exe)
        return Sandbox("", config, reason="sandbox-exec was not found")
    if not platform.startswith("linux"):
        return Sandbox("", config, reason=f"no sandbox is supported on {platform}")
    exe = shutil.which("bwrap")
    if exe is None:
        return Sandbox("", config, reason="bubblewrap (bwrap) is not installed")
    problem = _bwrap_problem(exe)
    if problem:
        return Sandbox("", config, reason=f"bubblewrap is unusable here: {problem}")
    return Sandbox("bwrap", config, executable=exe)


@functools.cache
def default_sandbox() -> Sandbox:
    """The sandbox of the default configuration: what a tool gets when nobody chose one."""
    return detect()


@functools.cache
def _bwrap_problem(exe: str) -> str:
    from app.agent.tools.sandbox_bwrap import probe

    return probe(exe)
