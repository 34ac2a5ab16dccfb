"""The verifier: the project's tests, the verifier model, or both, on the files a turn changed.

``tests`` runs the project's test command (configured, else detected: ``test_command``) with
the bash tool in the session's sandbox: exit code 0 passes, anything else fails with the
output's tail as the finding, a run that ran no test could not verify. ``model`` asks the
verifier model (role ``verifier``, through the loop's one call path) for a JSON verdict
(``verdict``): the task, the answer, the changed files' content, the tests' result. ``both``
runs the tests first and asks the model only when they pass (a failing suite is finding enough).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from app.agent.errors import ModelFailed
from app.agent.events.core import ROLE_VERIFIER
from app.agent.events.roles import BY_MODEL, BY_TESTS, ERROR, FAIL, PASS, VerificationFinished
from app.agent.feedback.test_results import NO_TESTS, read_test_output
from app.agent.model import Model
from app.agent.model_call import ModelRequest
from app.agent.providers.script_file import approx_tokens
from app.agent.resilience.errors import ResilienceError
from app.agent.roles.base import RolesHost
from app.agent.roles.config import VerifierConfig
from app.agent.roles.test_command import detect_test_command
from app.agent.roles.verdict import VERIFIER_PROMPT, parse_verdict
from app.agent.tools.base import ToolContext
from app.agent.tools.bash import Bash

TAIL_CHARS = 2_000  # of a failed test run's output, sent back as its finding
FILE_CHARS = 8_000  # of each changed file, shown to the verifier model
FILES_CHARS = 40_000  # of all of them


class Verifier:
    def __init__(self, config: VerifierConfig, model: Model | None) -> None:
        self.config = config
        self.model = model  # None: tests only

    async def verify(self, host: RolesHost, task: str, answer: str, files: Sequence[str]) -> VerificationFinished:
        tests = await self._tests(host, files) if self.config.runs_tests else None
        if tests is not None and (tests.verdict != PASS or not self.config.asks_model):
            return tests
        return await self._ask_model(host, task, answer, files, tests)

    async def _tests(self, host: RolesHost, files: Sequence[str]) -> VerificationFinished:
        command = self.config.test_command or detect_test_command(host.workspace)
        base = VerificationFinished(turn=host.turn, decided_by=BY_TESTS, files=list(files))
        if command is None:
            return replace(base, verdict=ERROR, reason="no test command found (set [roles.verifier] test_command)")
        ctx = ToolContext(workspace=host.workspace, timeout_s=self.config.test_timeout_s,
                          output_cap_chars=host.config.output_cap_chars, scrubber=host.scrubber, sandbox=host.sandbox)
        output = await Bash().run({"command": command}, ctx)
        text = output.full_output or output.text
        ran = replace(base, test_command=command, test_exit_code=output.exit_code)
        read = read_test_output(text)
        if output.exit_code == 0 and not output.is_error:
            return replace(ran, verdict=PASS, reason=read.summary)
        if read.outcome == NO_TESTS:
            return replace(ran, verdict=ERROR, reason="the test command ran no test")
        if output.exit_code is None and not output.timed_out:  # it never ran (the sandbox refused it, say)
            return replace(ran, verdict=ERROR, reason=f"the test command did not run: {text[:TAIL_CHARS].strip()}")
        how = f"timed out after {self.config.test_timeout_s:g} s" if output.timed_out else f"exit code {output.exit_code}"
        return replace(ran, verdict=FAIL, findings=[f"`{command}` failed ({how}):\n{text[-TAIL_CHARS:].strip()}"])

    async def _ask_model(self, host: RolesHost, task: str, answer: str, files: Sequence[str],
                         tests: VerificationFinished | None) -> VerificationFinished:
        assert self.model is not None  # the config requires one for model and both
        prompt = [{"role": "system", "content": VERIFIER_PROMPT},
                  {"role": "user", "content": _evidence(host.workspace, task, answer, files, tests)}]
        request = ModelRequest(self.model, prompt, role=ROLE_VERIFIER, turn=host.turn, step=host.step,
                               estimate=approx_tokens(prompt))
        base = VerificationFinished(turn=host.turn, decided_by=BY_MODEL, files=list(files), called_model=True,
                                    test_command=tests.test_command if tests else "",
                                    test_exit_code=tests.test_exit_code if tests else None)
        try:
            reply = await host.ask(request)
        except (ResilienceError, ModelFailed) as exc:
            return replace(base, verdict=ERROR, reason=f"the verifier call failed: {exc}")
        verdict, problem = parse_verdict(reply.text)
        if verdict is None:
            return replace(base, verdict=ERROR, reason=problem, cost_usd=reply.cost_usd)
        return replace(base, verdict=PASS if verdict.passed else FAIL, findings=list(verdict.findings),
                       reason=verdict.summary, cost_usd=reply.cost_usd)


def _evidence(workspace: Path, task: str, answer: str, files: Sequence[str], tests: VerificationFinished | None) -> str:
    parts = [f"## Task\n{task}", f"## The agent's answer\n{answer or '(none)'}"]
    budget = FILES_CHARS
    for name in files:
        path = workspace / name
        try:
            text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else "(deleted)"
        except OSError as exc:
            text = f"(unreadable: {exc.strerror})"
        shown = text[: min(FILE_CHARS, budget)]
        budget -= len(shown)
        cut = f"\n… ({len(text) - len(shown)} more characters)" if len(shown) < len(text) else ""
        parts.append(f"## {name}\n{shown}{cut}")
    if tests is not None:
        parts.append(f"## Tests\n`{tests.test_command}` passed: {tests.reason or 'exit code 0'}")
    return "\n\n".join(parts)
