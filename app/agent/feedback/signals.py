"""Implicit signals: what a task's events and the user's next move say about it.

:class:`TaskObserver` folds the events of one task (one user turn) into
:class:`TaskSignals`. Some signals are only known afterwards: the user's next
prompt (rephrasing or correcting, see :func:`correction_cue` and
:func:`similarity`) and the state of the files the agent wrote (reverted or
modified by the user, see :meth:`TaskObserver.check_files`).

Events from the resilience feature are matched by their ``type`` string so that
this module works before (and without) that package:

- ``"resilience_attempt_failed"`` with ``decision == "retry"``: one retry of a model call;
- ``"resilience_loop_detected"``: one hit of the loop detector.

A model call started with ``attempt > 1`` also counts as a retry; the task's
retry count is the larger of the two counts, so a retry announced both ways is
counted once.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from app.agent.events import core as ev
from app.agent.events.roles import VerificationFinished
from app.agent.feedback.test_results import FAILED, PASSED, read_test_output

RETRY_EVENT = "resilience_attempt_failed"  # counts when its decision is "retry"
LOOP_EVENT = "resilience_loop_detected"
WRITE_TOOLS = frozenset({"write_file", "edit_file"})
COMMAND_TOOLS = frozenset({"bash"})
PATH_KEYS = ("path", "file_path", "filename")
TOOL_ERRORS = frozenset({ev.ToolStatus.TOOL_ERROR, ev.ToolStatus.VALIDATION_ERROR, ev.ToolStatus.TIMEOUT})

Digest = Callable[[str], "str | None"]

# --- test commands ---------------------------------------------------------------

_TEST_COMMAND = re.compile(
    r"""(?:^|[\s;&|(`]|/)(?:
        py\.?test
      | python[\d.]*\s+-m\s+(?:pytest|unittest)
      | (?:uv|poetry|pdm|hatch)\s+run\s+(?:python\s+-m\s+)?pytest
      | tox | nox
      | (?:npm|pnpm|yarn|bun)\s+(?:run\s+)?test
      | npx\s+(?:jest|vitest|mocha|playwright\s+test)
      | jest | vitest | mocha
      | go\s+test
      | cargo\s+(?:test|nextest)
      | mvn\s+(?:\S+\s+)*test | (?:\./)?gradlew?\s+(?:\S+\s+)*test
      | make\s+(?:test|check)
      | (?:bundle\s+exec\s+)?rspec | rake\s+test
      | phpunit | dotnet\s+test | deno\s+test | ctest | mix\s+test
    )(?=$|[\s;&|)`])""",
    re.VERBOSE,
)


def is_test_command(command: str) -> bool:
    """True when a shell command runs a test suite (pytest, npm test, go test, cargo test, ...)."""
    return bool(_TEST_COMMAND.search(command.strip()))


# --- the user's next prompt --------------------------------------------------------

_CORRECTION_CUES = [
    (re.compile(p), name)
    for p, name in [
        (r"^(no|nope|nah)\b\s*[,.!:;-]", "no"),
        (r"^(no|nope)$", "no"),
        (r"\bthat'?s (wrong|not (it|right|what))|\bthat is (wrong|not (it|right|what))", "that's wrong"),
        (r"\b(wrong|incorrect)\b", "wrong"),
        (r"\bnot what i (asked|wanted|meant|said)", "not what I asked"),
        (r"\bi (said|meant|asked( for)?)\b", "I said"),
        (r"^actually\b|\bactually,", "actually"),
        (r"\binstead\b", "instead"),
        (r"\byou (didn'?t|did not|forgot|missed|broke)\b", "you didn't"),
        (r"\b(doesn'?t|does not|didn'?t|did not|still (doesn'?t|does not)) work", "doesn't work"),
        (r"\bstill (fail(s|ing)?|broken|wrong|the same)\b", "still failing"),
        (r"\b(undo|revert|roll ?back)\b", "undo"),
        (r"\btry again\b", "try again"),
        (r"\bnot quite\b", "not quite"),
    ]
]


def correction_cue(text: str) -> str | None:
    """The cue that makes a prompt read as a correction of the last answer, if any."""
    normal = _normal(text).replace("\u2019", "'")
    for pattern, name in _CORRECTION_CUES:
        if pattern.search(normal):
            return name
    return None


def similarity(a: str, b: str) -> float:
    """How alike two prompts are, 0..1 (difflib ratio on normalised text)."""
    a, b = _normal(a), _normal(b)
    if not a or not b:
        return 0.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


# --- files ---------------------------------------------------------------------------


def workspace_digest(workspace: str | Path) -> Digest:
    """A function hashing a path (relative to ``workspace`` or absolute); None when missing."""
    root = Path(workspace)

    def digest(path: str) -> str | None:
        target = Path(path)
        if not target.is_absolute():
            target = root / target
        try:
            with open(target, "rb") as handle:
                return hashlib.file_digest(handle, "sha256").hexdigest()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError):
            return None

    return digest


def _path_of(arguments: dict[str, Any] | None) -> str | None:
    for key in PATH_KEYS:
        value = (arguments or {}).get(key)
        if isinstance(value, str) and value:
            return value
    return None


# --- one task --------------------------------------------------------------------------


@dataclass
class TaskSignals:
    """Everything implicit we know about one task. Stored as a plain dict."""

    model: str = ""
    category: str = ""
    outcome: str = ""  # completed | interrupted | failed | limit | "" while running
    tool_calls: int = 0
    commands: int = 0
    approvals: int = 0  # tool calls a person allowed (automatic decisions excluded)
    denials: int = 0  # tool calls a person denied
    interrupted: bool = False
    tool_errors: int = 0
    retries: int = 0
    loop_hits: int = 0
    limit_hit: str = ""  # the kind of limit hit, if any
    cost_usd: float = 0.0
    # Test runs, read from the runner's summary in the output (never from a pipe's exit code):
    tests_passed: int = 0  # test commands whose summary says they passed
    tests_failed: int = 0  # test commands whose summary reports failures or errors
    tests_unknown: int = 0  # test commands with no summary to read, or that ran no test
    tests_last: str | None = None  # passed | failed | no_tests | unknown: the last test run of the task
    tests_last_summary: str = ""  # the summary line(s) ``tests_last`` was read from
    files_written: list[str] = field(default_factory=list)
    # The verifier's word on the task's changes (app.agent.roles), a label better than any guess:
    verified: str | None = None  # pass | fail | error (could not verify): its last round; None: not verified
    verify_rounds: int = 0  # verifications of the task (findings went back after each failed one but the last)
    # known after the task
    rephrased: bool = False  # the next prompt is very similar to this one
    corrected: bool = False  # the next prompt reads as a correction
    correction_cue: str = ""
    files_checked: bool = False  # whether reverted/modified were checked
    reverted_files: list[str] = field(default_factory=list)  # back to their state before the agent wrote
    modified_files: list[str] = field(default_factory=list)  # changed by someone else since
    abandoned: bool = False  # the session ended while the task ran

    @property
    def reverted(self) -> bool:
        return bool(self.reverted_files)

    @property
    def modified(self) -> bool:
        return bool(self.modified_files)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["reverted"] = self.reverted
        data["modified"] = self.modified
        return data


def category_of(signals: TaskSignals) -> str:
    """The task's category, the stratum of the estimator: what kind of work it was.

    - ``edit``: the agent changed files;
    - ``run``: it ran commands but wrote nothing;
    - ``explore``: it used other tools only (reading, searching);
    - ``chat``: it answered without tools.
    """
    if signals.files_written:
        return "edit"
    if signals.commands:
        return "run"
    if signals.tool_calls:
        return "explore"
    return "chat"


class TaskObserver:
    """Folds the events of one task into :class:`TaskSignals`.

    ``digest`` hashes a file path (see :func:`workspace_digest`); without one,
    reverts are not checked. The hash before the agent's first write and after
    its last successful write of each file are kept, so that later
    :meth:`check_files` can tell "reverted" (back to the hash before) from
    "modified" (anything else).
    """

    def __init__(self, *, model: str = "", digest: Digest | None = None) -> None:
        self.signals = TaskSignals(model=model)
        self._digest = digest
        self._before: dict[str, str | None] = {}
        self._after: dict[str, str | None] = {}
        self._retry_events = 0
        self._retry_attempts = 0

    def apply(self, event: ev.Event) -> None:
        s = self.signals
        if isinstance(event, ev.ModelCallStarted):
            s.model = event.model or s.model
            self._retry_attempts += event.attempt > 1
        elif isinstance(event, ev.ModelCallFinished):
            s.cost_usd += float(event.cost_usd or 0.0)
        elif isinstance(event, ev.ToolCallValidated):
            self._before_write(event.name, event.arguments)
        elif isinstance(event, ev.ApprovalResolved) and not event.automatic:
            if event.decision == "deny":
                s.denials += 1
            else:
                s.approvals += 1
        elif isinstance(event, ev.ToolCallFinished):
            self._tool_finished(event)
        elif isinstance(event, ev.Interrupted):
            s.interrupted = True
        elif isinstance(event, ev.LimitReached):
            s.limit_hit = event.kind
        elif event.type == RETRY_EVENT and getattr(event, "decision", "") == "retry":
            self._retry_events += 1
        elif event.type == LOOP_EVENT:
            s.loop_hits += 1
        elif isinstance(event, VerificationFinished):
            s.verified, s.verify_rounds = event.verdict, s.verify_rounds + 1
        s.retries = max(self._retry_events, self._retry_attempts)

    def finish(self, outcome: str) -> TaskSignals:
        self.signals.outcome = outcome
        self.signals.interrupted = self.signals.interrupted or outcome == "interrupted"
        self.signals.category = category_of(self.signals)
        return self.signals

    def abandon(self) -> TaskSignals:
        self.signals.abandoned = True
        self.signals.category = category_of(self.signals)
        return self.signals

    def note_next_prompt(self, previous_text: str, next_text: str, threshold: float) -> None:
        cue = correction_cue(next_text)
        self.signals.corrected = cue is not None
        self.signals.correction_cue = cue or ""
        self.signals.rephrased = similarity(previous_text, next_text) >= threshold

    def check_files(self) -> None:
        """Compare the files the agent wrote with what it left there."""
        if self._digest is None:
            return
        s = self.signals
        s.files_checked = True
        s.reverted_files, s.modified_files = [], []
        for path, after in self._after.items():
            now = self._digest(path)
            if now == after:
                continue
            if now == self._before.get(path):
                s.reverted_files.append(path)
            else:
                s.modified_files.append(path)

    # --- helpers ---------------------------------------------------------------------

    def _before_write(self, name: str, arguments: dict[str, Any]) -> None:
        path = _path_of(arguments) if name in WRITE_TOOLS else None
        if path is not None and self._digest is not None and path not in self._before:
            self._before[path] = self._digest(path)

    def _tool_finished(self, event: ev.ToolCallFinished) -> None:
        s = self.signals
        s.tool_calls += 1
        if event.status in TOOL_ERRORS:
            s.tool_errors += 1
        if event.name in COMMAND_TOOLS:
            s.commands += 1
            command = (event.arguments or {}).get("command")
            if isinstance(command, str) and is_test_command(command):
                self._test_ran(event)
        path = _path_of(event.arguments) if event.name in WRITE_TOOLS else None
        if path is not None and event.status == ev.ToolStatus.OK:
            if path not in s.files_written:
                s.files_written.append(path)
            if self._digest is not None:
                self._after[path] = self._digest(path)

    def _test_ran(self, event: ev.ToolCallFinished) -> None:
        """Read a test run's result from the runner's summary in its output (see ``test_results``).

        The exit code is not used: piped (``pytest | tail -5``) it is the last
        command's. A run whose output holds no summary (a timeout, a crash, a
        filter that cut the summary away) is ``unknown``: neither passed nor failed.
        """
        s = self.signals
        if event.status in (ev.ToolStatus.DENIED, ev.ToolStatus.VALIDATION_ERROR):
            return  # never ran
        result = read_test_output(event.full_output or event.result)
        if result.outcome == PASSED:
            s.tests_passed += 1
        elif result.outcome == FAILED:
            s.tests_failed += 1
        else:
            s.tests_unknown += 1
        s.tests_last = result.outcome
        s.tests_last_summary = result.summary
