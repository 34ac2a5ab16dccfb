"""What a test run printed: the summary lines of common runners, read from the output.

A test command's exit code says little once it is piped (``pytest -q | tail -5``
exits with ``tail``'s 0), so the outcome is read from what the runner printed:

- pytest: ``1 failed, 2 passed in 0.10s``, ``=== 3 passed in 0.1s ===``,
  ``=== 2 errors in 0.3s ===``, ``no tests ran in 0.01s``;
- unittest: ``Ran 3 tests in 0.001s`` then ``OK`` / ``FAILED (failures=1)`` /
  ``NO TESTS RAN``;
- go test: ``ok  pkg  0.01s``, ``FAIL  pkg  0.01s``, ``FAIL``, ``--- FAIL: TestX``,
  ``?  pkg  [no test files]``;
- cargo test: ``test result: ok. 3 passed; 0 failed; …`` (one per test binary);
- jest: ``Tests:       1 failed, 2 passed, 3 total`` (and ``Test Suites: 1 failed``);
- vitest: ``Tests  1 failed | 2 passed (3)`` (and ``Test Files  1 failed``);
- mocha: ``2 passing (15ms)``, ``1 failing``.

:func:`read_test_output` returns a :class:`TestRunResult`: ``outcome`` is
``failed`` when any summary reports a failure or an error, ``passed`` when
summaries report passing tests and none failing, ``no_tests`` when they say no
test ran, and ``unknown`` when there is no summary to read (never a guess
from the exit code). Only whole summary lines count, so a test's own output
("expected 2 passed") is not read as a result.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

PASSED = "passed"
FAILED = "failed"
NO_TESTS = "no_tests"
UNKNOWN = "unknown"

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass(frozen=True)
class Tally:
    """One summary line, read: how many passed and failed (errors count as failed)."""

    runner: str
    passed: int
    failed: int
    line: str


@dataclass(frozen=True)
class TestRunResult:
    """What the output of one test command said, all its summaries together."""

    __test__ = False  # not a pytest test class, despite the name

    outcome: str  # passed | failed | no_tests | unknown
    passed: int = 0
    failed: int = 0
    runners: tuple[str, ...] = ()
    summary: str = ""  # the summary lines it was read from, joined with " / "


def _counts(text: str, pattern: re.Pattern[str]) -> dict[str, int]:
    """``{"failed": 1, "passed": 2}`` from ``1 failed, 2 passed``-like text."""
    counts: dict[str, int] = {}
    for number, word in pattern.findall(text):
        counts[word] = counts.get(word, 0) + int(number)
    return counts


# --- pytest --------------------------------------------------------------------------

_PYTEST_WORDS = r"failed|passed|errors?|skipped|xfailed|xpassed|warnings?|deselected|rerun"
_PYTEST_LINE = re.compile(
    rf"^=*\s*((?:\d+ (?:{_PYTEST_WORDS}),?\s*)+)in \d+(?:\.\d+)?\s*s(?:econds)?\b.*?=*$"
)
_PYTEST_NONE = re.compile(r"^=*\s*no tests ran\b.*?=*$")
_PYTEST_COUNT = re.compile(rf"(\d+) ({_PYTEST_WORDS})")


def _pytest(lines: list[str]) -> list[Tally]:
    out = []
    for line in lines:
        match = _PYTEST_LINE.match(line)
        if match:
            c = _counts(match.group(1), _PYTEST_COUNT)
            failed = c.get("failed", 0) + c.get("error", 0) + c.get("errors", 0)
            out.append(Tally("pytest", c.get("passed", 0) + c.get("xpassed", 0), failed, line))
        elif _PYTEST_NONE.match(line):
            out.append(Tally("pytest", 0, 0, line))
    return out


# --- unittest ----------------------------------------------------------------------------

_UNITTEST_RAN = re.compile(r"^Ran (\d+) tests? in \d+(?:\.\d+)?s$")
_UNITTEST_END = re.compile(r"^(OK|FAILED|NO TESTS RAN)(?: \((.*)\))?$")
_UNITTEST_COUNT = re.compile(r"(\w+)=(\d+)")


def _unittest(lines: list[str]) -> list[Tally]:
    out = []
    for index, line in enumerate(lines):
        ran = _UNITTEST_RAN.match(line)
        if not ran:
            continue
        verdict = next((m for m in map(_UNITTEST_END.match, lines[index + 1 : index + 4]) if m), None)
        if verdict is None:
            continue
        details = {key: int(n) for key, n in _UNITTEST_COUNT.findall(verdict.group(2) or "")}
        failed = details.get("failures", 0) + details.get("errors", 0) + details.get("unexpected_successes", 0)
        if verdict.group(1) == "FAILED" and not failed:
            failed = 1  # FAILED without details still failed
        skipped = details.get("skipped", 0) + details.get("expected_failures", 0)
        passed = max(0, int(ran.group(1)) - failed - skipped)
        out.append(Tally("unittest", passed, failed, f"{line} {verdict.group(0)}"))
    return out


# --- go test -------------------------------------------------------------------------------

_GO_OK = re.compile(r"^ok\s+\S+\s+(?:\d+(?:\.\d+)?s|\(cached\))")
_GO_FAIL_PKG = re.compile(r"^FAIL\s+\S+\s+(?:\d+(?:\.\d+)?s|\[[^\]]+\])$")
_GO_FAIL = re.compile(r"^FAIL$")
_GO_TEST = re.compile(r"^--- (PASS|FAIL): \S+")
_GO_NO_FILES = re.compile(r"^\?\s+\S+\s+\[no test files\]$")


def _go(lines: list[str]) -> list[Tally]:
    ok = [line for line in lines if _GO_OK.match(line)]
    failed_packages = [line for line in lines if _GO_FAIL_PKG.match(line)]
    packages = ok + failed_packages + [line for line in lines if _GO_NO_FILES.match(line)]
    any_fail = bool(failed_packages) or any(_GO_FAIL.match(line) for line in lines)
    if not packages and not any_fail:
        return []
    tests = [m.group(1) for m in map(_GO_TEST.match, lines) if m]
    if tests:  # per-test lines (with -v, or for the tests that failed)
        passed, failed = tests.count("PASS"), tests.count("FAIL")
    else:  # else a package line stands for its tests
        passed = sum(1 for line in ok if "[no tests to run]" not in line)
        failed = len(failed_packages)
    return [Tally("go test", passed, max(failed, int(any_fail)), " / ".join((packages or ["FAIL"])[-3:]))]


# --- cargo test ------------------------------------------------------------------------------

_CARGO = re.compile(r"^test result: (ok|FAILED)\. (\d+) passed; (\d+) failed;")


def _cargo(lines: list[str]) -> list[Tally]:
    out = []
    for match in filter(None, map(_CARGO.match, lines)):
        failed = int(match.group(3)) or (match.group(1) == "FAILED")
        out.append(Tally("cargo test", int(match.group(2)), int(failed), match.group(0)))
    return out


# --- jest and vitest -----------------------------------------------------------------------

_JEST_TESTS = re.compile(r"^Tests:\s+(.*\d+ total)$")
_JEST_SUITES = re.compile(r"^Test Suites:\s+(.*\d+ total)$")
_VITEST_COUNTS = r"((?:\d+ (?:failed|passed|skipped|todo)\s*\|?\s*)+|no tests)\s*(?:\(\d+\))?$"
_VITEST_TESTS = re.compile(r"^Tests\s+" + _VITEST_COUNTS)
_VITEST_FILES = re.compile(r"^Test Files\s+" + _VITEST_COUNTS)
_JS_COUNT = re.compile(r"(\d+) (failed|passed|skipped|todo|total)")


def _jest_vitest(lines: list[str]) -> list[Tally]:
    out = []
    suites_failed = 0
    for line in lines:
        suites = _JEST_SUITES.match(line) or _VITEST_FILES.match(line)
        if suites:
            suites_failed += _counts(suites.group(1), _JS_COUNT).get("failed", 0)
            continue
        jest = _JEST_TESTS.match(line)
        vitest = None if jest else _VITEST_TESTS.match(line)
        found = jest or vitest
        if found is None:
            continue
        c = _counts(found.group(1), _JS_COUNT)
        out.append(Tally("jest" if jest else "vitest", c.get("passed", 0), c.get("failed", 0), line))
    if suites_failed and not any(t.failed for t in out):
        # A suite that failed to run (a syntax error, a missing module) has no failed tests to count.
        runner = out[-1].runner if out else "jest"
        out.append(Tally(runner, 0, suites_failed, f"{suites_failed} test suite(s) failed"))
    return out


# --- mocha -------------------------------------------------------------------------------------

_MOCHA = re.compile(r"^(\d+) (passing|failing|pending)(?: \(\d+(?:\.\d+)?\s*m?s\))?$")


def _mocha(lines: list[str]) -> list[Tally]:
    counts: dict[str, int] = {}
    found = []
    for match in filter(None, map(_MOCHA.match, lines)):
        counts[match.group(2)] = counts.get(match.group(2), 0) + int(match.group(1))
        found.append(match.group(0))
    if not found:
        return []
    return [Tally("mocha", counts.get("passing", 0), counts.get("failing", 0), " / ".join(found))]


READERS: tuple[Callable[[list[str]], list[Tally]], ...] = (_pytest, _unittest, _go, _cargo, _jest_vitest, _mocha)


def read_test_output(output: str) -> TestRunResult:
    """The outcome of a test run from its output; ``unknown`` when no runner's summary is in it."""
    lines = [line.strip() for line in _ANSI.sub("", output).splitlines()]
    lines = [line for line in lines if line]
    tallies = [tally for read in READERS for tally in read(lines)]
    return combine(tallies)


def combine(tallies: Iterable[Tally]) -> TestRunResult:
    """All summaries of one command's output as one result."""
    found = list(tallies)
    if not found:
        return TestRunResult(outcome=UNKNOWN)
    passed = sum(t.passed for t in found)
    failed = sum(t.failed for t in found)
    outcome = FAILED if failed else (PASSED if passed else NO_TESTS)
    runners = tuple(dict.fromkeys(t.runner for t in found))
    return TestRunResult(outcome, passed, failed, runners, " / ".join(t.line for t in found)[:300])
