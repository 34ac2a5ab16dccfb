"""Benchmark: a trivial headless ``cockpit run`` against the peers, one process each.

Every command answers one prompt from the same local OpenAI-compatible server
(``tests/support/openai_server.py`` on loopback; it answers "done"). Measured
from spawning the process to its exit (wall) and its peak RSS (``wait4``), each
command run ``REPEATS`` times, interleaved, after one warm-up run each:

* ``python -c "import litellm"``, the floor Cockpit builds on, and the same import with the cyclic
  collector off, as Cockpit starts (``app/startup_gc.py``): what Cockpit's own start-up adds is
  measured against that one (printed, not a goal);
* ``cockpit run "say hello"``, as shipped (litellm and what its first call
  imports load on a background thread while Cockpit prepares its session);
* the same with the background import switched off, to show what it saves;
* ``aider --message hello`` and ``llm "hello"``: optional baselines, each in a
  throwaway virtualenv under ``$COCKPIT_BENCH_BASELINES`` (default
  ``~/.cache/cockpit-bench-baselines``), installed with pip when missing
  (``--no-install`` skips that); a baseline that cannot be had is said, and its
  goals are "not measured".

Every command runs with its byte code cached, as an installed program does (pip compiles
its packages when it installs them): ``PYTHONDONTWRITEBYTECODE`` is dropped and
``PYTHONPYCACHEPREFIX`` points at the run's temporary folder, so the warm-up run
writes the ``.pyc`` files of every command and the measured runs read them. (Cockpit's
own modules compiled from source at every start cost it ~0.3 s of CPU a run.)
CPU time (user + system, ``wait4``) is printed beside the wall time: on a shared
machine it is the steadier figure.

Goals: ``cockpit run`` faster than ``aider --message`` (ratio < 1.0); at most
``import litellm`` + 0.5 s (both in wall time and, beside it, in CPU time); peak RSS
at or below aider's.

Run: ``python benchmarks/bench_start.py [--no-install]`` (exit code 1 when a goal is missed).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.goals import report  # noqa: E402
from tests.support.openai_server import OpenAIServer  # noqa: E402

REPEATS = 5
ALLOWANCE_S = 0.5  # cockpit run may cost import litellm + this
BASELINES = Path(os.environ.get("COCKPIT_BENCH_BASELINES", Path.home() / ".cache" / "cockpit-bench-baselines"))
NO_BACKGROUND_IMPORT = (  # the program as shipped (main() with no argv), without its background import
    "import sys; import app.agent.warmup as w; w.warm_in_background = lambda model=None: None; "
    "from app.cli import main; sys.exit(main())"
)
# Cockpit holds the cyclic collector off while it starts (app/startup_gc.py), which makes litellm's own import
# cheaper: the same import with the collector off says what Cockpit's own start-up costs on top of it.
IMPORT_COLLECTOR_HELD = "import gc; gc.disable(); import litellm"


@dataclass
class Command:
    name: str
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)

    def once(self) -> tuple[float, float, float]:
        """Wall seconds, CPU seconds (user + system) and peak RSS in MB of one run."""
        started = time.perf_counter()
        with tempfile.TemporaryFile() as output:
            proc = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd, stdin=subprocess.DEVNULL,
                                    stdout=output, stderr=subprocess.STDOUT)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - started
            proc.returncode = os.waitstatus_to_exitcode(status)
            if proc.returncode:
                output.seek(0)
                said = output.read().decode(errors="replace")[-800:]
                raise RuntimeError(f"{self.name} exited with {proc.returncode}: {said}")
        return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # KiB on Linux

    def measure(self) -> None:
        wall, cpu, rss = self.once()
        self.walls.append(wall)
        self.cpus.append(cpu)
        self.rss_mb.append(rss)

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpus)

    @property
    def rss(self) -> float:
        return statistics.median(self.rss_mb)


def baseline_venv(name: str, package: str, executable: str, install: bool) -> Path | None:
    """The executable of a baseline in its own virtualenv (created and installed when missing and allowed)."""
    venv = BASELINES / name
    exe = venv / "bin" / executable
    if exe.exists():
        return exe
    if not install:
        print(f"{name}: not installed in {venv} (--no-install)")
        return None
    print(f"{name}: installing {package} into {venv} …", flush=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=300)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", package], check=True, capture_output=True,
                       timeout=900)
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"{name}: not available ({type(exc).__name__}: {str(exc)[-200:]})")
        return None
    return exe if exe.exists() else None


def commands(url: str, tmp: Path, install: bool) -> list[Command]:
    env = {**os.environ, "OPENAI_API_KEY": "sk-bench", "COCKPIT_HOME": str(tmp / "home"), "HOME": str(tmp / "home"),
           "LITELLM_LOCAL_MODEL_COST_MAP": "True", "NO_COLOR": "1", "PYTHONPYCACHEPREFIX": str(tmp / "pycache")}
    for unset in ("COCKPIT_CONFIG", "PYTHONDONTWRITEBYTECODE"):
        env.pop(unset, None)
    workspace = tmp / "ws"
    workspace.mkdir()
    run_args = ["run", "say hello", "--model", "openai/bench", "--api-base", url, "--workspace", str(workspace)]
    found = [
        Command("import litellm", [sys.executable, "-c", "import litellm"], env, ROOT),
        Command("import litellm, collector held", [sys.executable, "-c", IMPORT_COLLECTOR_HELD], env, ROOT),
        Command("cockpit run", [sys.executable, "-m", "app", *run_args], env, ROOT),
        Command("cockpit run, no background import", [sys.executable, "-c", NO_BACKGROUND_IMPORT, *run_args], env, ROOT),
    ]
    aider = baseline_venv("aider", "aider-chat", "aider", install)
    if aider is not None:
        found.append(Command("aider --message", [
            str(aider), "--message", "hello", "--model", "openai/bench", "--openai-api-base", url,
            "--openai-api-key", "sk-bench", "--no-git", "--yes-always", "--no-check-update", "--no-show-model-warnings",
            "--analytics-disable", "--no-show-release-notes", "--no-pretty", "--no-fancy-input"], env, workspace))
    llm = baseline_venv("llm", "llm", "llm", install)
    if llm is not None:
        user_path = tmp / "llm"
        user_path.mkdir()
        (user_path / "extra-openai-models.yaml").write_text(f"- model_id: bench\n  model_name: bench\n  api_base: {url}\n")
        found.append(Command("llm", [str(llm), "-m", "bench", "--no-log", "hello"],
                             {**env, "LLM_USER_PATH": str(user_path)}, workspace))
    return found


# Each start goal is judged on the median wall time (what a user waits) and on the median CPU time (user +
# system: on a loaded machine the wall time is mostly waiting for a core, the CPU time what the start costs).
CLOCKS: dict[str, Callable[[Command], float]] = {"wall": lambda c: c.wall, "CPU": lambda c: c.cpu}


def main() -> int:
    install = "--no-install" not in sys.argv
    with tempfile.TemporaryDirectory(prefix="cockpit-bench-start-") as name, OpenAIServer() as server:
        tmp = Path(name)
        cmds = commands(server.url, tmp, install)
        for cmd in cmds:  # warm-up: file cache, byte code, the database
            cmd.once()
        for _ in range(REPEATS):
            for cmd in cmds:
                cmd.measure()
    by_name = {c.name: c for c in cmds}
    print(f"\n{'command':<36} {'wall median':>11} {'min–max':>13} {'CPU':>7} {'peak RSS':>9}  (median of {REPEATS}, interleaved)")
    for c in cmds:
        print(f"{c.name:<36} {c.wall:>10.2f}s {min(c.walls):>6.2f}–{max(c.walls):<5.2f}s {c.cpu:>6.2f}s {c.rss:>7.0f}MB")
    for missing in ("aider --message", "llm"):
        if missing not in by_name:
            print(f"{missing:<36} not available")
    ours, floor = by_name["cockpit run"], by_name["import litellm"]
    off = by_name["cockpit run, no background import"]
    held = by_name["import litellm, collector held"]
    print(f"background import saves {off.wall - ours.wall:.2f} s (median); "
          f"cockpit costs import litellm + {ours.wall - floor.wall:.2f} s (CPU: + {ours.cpu - floor.cpu:.2f} s); "
          f"its own start-up over the import with the collector held as cockpit holds it: + {ours.wall - held.wall:.2f} s "
          f"(CPU: + {ours.cpu - held.cpu:.2f} s)")
    results = [report(f"headless start: cockpit − import litellm ({clock})", goal=f"<= {ALLOWANCE_S} s",
                      measured=f"{spent(ours) - spent(floor):.2f} s", ratio=spent(ours) / (spent(floor) + ALLOWANCE_S),
                      ok=spent(ours) <= spent(floor) + ALLOWANCE_S)
               for clock, spent in CLOCKS.items()]
    aider_cmd = by_name.get("aider --message")
    for clock, spent in CLOCKS.items():
        results.append(_versus(aider_cmd, f"headless start vs aider --message ({clock})", f"{spent(ours):.2f} s",
                               lambda a, spent=spent: spent(ours) / spent(a)))
    results.append(_versus(aider_cmd, "headless peak RSS vs aider --message", f"{ours.rss:.0f} MB", lambda a: ours.rss / a.rss, at_most=True))
    return 1 if any(r.ok is False for r in results) else 0


def _versus(baseline: Command | None, name: str, measured: str, ratio: Callable[[Command], float], at_most: bool = False):
    """A goal against an optional baseline: below it (or, ``at_most``, not above it); not measured without it."""
    goal = "<= 1.0x" if at_most else "< 1.0x"
    if baseline is None:
        return report(name, goal=goal, measured=measured, ok=None)
    value = ratio(baseline)
    return report(name, goal=goal, measured=measured, ratio=value, ok=value <= 1.0 if at_most else value < 1.0)


if __name__ == "__main__":
    sys.exit(main())
