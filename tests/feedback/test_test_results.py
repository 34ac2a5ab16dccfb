"""Test outcomes are read from the runners' own summaries: one real-looking output per case."""

from __future__ import annotations

import pytest

from app.agent.feedback.test_results import FAILED, NO_TESTS, PASSED, UNKNOWN, read_test_output

PYTEST_TAIL_5 = """\
FAILED tests/test_parser.py::test_empty - AssertionError: assert [] == ['']
=========================== short test summary info ============================
FAILED tests/test_parser.py::test_empty - AssertionError: assert [] == ['']
1 failed, 2 passed in 0.10s
"""

PYTEST_FULL = """\
============================= test session starts ==============================
platform linux -- Python 3.12.3, pytest-8.3.2, pluggy-1.5.0
rootdir: /home/dev/project
collected 3 items

tests/test_parser.py ...                                                 [100%]

============================== 3 passed in 0.04s ===============================
"""

PYTEST_COLOURED = "\x1b[32m\x1b[1m3 passed\x1b[0m, \x1b[33m1 warning\x1b[0m\x1b[32m in 0.21s\x1b[0m\n"

PYTEST_ERRORS = """\
==================================== ERRORS ====================================
____________________ ERROR collecting tests/test_parser.py _____________________
ImportError while importing test module '/home/dev/project/tests/test_parser.py'.
E   ModuleNotFoundError: No module named 'parser_lib'
=========================== short test summary info ============================
ERROR tests/test_parser.py
!!!!!!!!!!!!!!!!!!!! Interrupted: 1 error during collection !!!!!!!!!!!!!!!!!!!!
=============================== 1 error in 0.12s ===============================
"""

PYTEST_NONE = """\
============================= test session starts ==============================
collected 0 items

============================ no tests ran in 0.01s =============================
"""

PYTEST_MIXED = "=== 1 failed, 5 passed, 2 skipped, 1 xfailed, 3 warnings in 1.23s (0:00:01) ===\n"

UNITTEST_OK = """\
...
----------------------------------------------------------------------
Ran 3 tests in 0.001s

OK
"""

UNITTEST_FAILED = """\
.F.
======================================================================
FAIL: test_empty (test_parser.ParserTest.test_empty)
----------------------------------------------------------------------
Traceback (most recent call last):
  File "/home/dev/project/test_parser.py", line 9, in test_empty
    self.assertEqual(parse(""), [""])
AssertionError: Lists differ: [] != ['']

----------------------------------------------------------------------
Ran 3 tests in 0.002s

FAILED (failures=1)
"""

UNITTEST_SKIPPED = "Ran 4 tests in 0.010s\n\nOK (skipped=1)\n"

UNITTEST_NONE = "\n----------------------------------------------------------------------\nRan 0 tests in 0.000s\n\nNO TESTS RAN\n"

GO_OK = """\
ok  \texample.com/parser\t0.012s
ok  \texample.com/parser/lexer\t(cached)
?   \texample.com/parser/cmd\t[no test files]
"""

GO_FAIL = """\
--- FAIL: TestParseEmpty (0.00s)
    parser_test.go:12: got [], want [""]
FAIL
FAIL\texample.com/parser\t0.013s
ok  \texample.com/parser/lexer\t0.004s
FAIL
"""

GO_BUILD_FAILED = """\
# example.com/parser
./parser.go:10:2: undefined: lexer
FAIL\texample.com/parser [build failed]
FAIL
"""

GO_NO_FILES = "?   \texample.com/tools\t[no test files]\n"

CARGO_OK = """\
   Compiling parser v0.1.0 (/home/dev/parser)
    Finished `test` profile [unoptimized + debuginfo] target(s) in 0.52s
     Running unittests src/lib.rs (target/debug/deps/parser-1a2b3c)

running 3 tests
test tests::parses_words ... ok
test tests::parses_empty ... ok
test tests::parses_spaces ... ok

test result: ok. 3 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s

   Doc-tests parser

running 0 tests

test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
"""

CARGO_FAILED = """\
running 3 tests
test tests::parses_empty ... FAILED
test tests::parses_words ... ok
test tests::parses_spaces ... ok

failures:

---- tests::parses_empty stdout ----
thread 'tests::parses_empty' panicked at src/lib.rs:20:9:
assertion `left == right` failed

failures:
    tests::parses_empty

test result: FAILED. 2 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s

error: test failed, to rerun pass `--lib`
"""

CARGO_COMPILE_ERROR = """\
   Compiling parser v0.1.0 (/home/dev/parser)
error[E0425]: cannot find value `lexer` in this scope
error: could not compile `parser` (lib test) due to 1 previous error
"""

JEST_FAILED = """\
FAIL src/parser.test.js
  ● parse › handles empty input

    expect(received).toEqual(expected) // deep equality

PASS src/lexer.test.js

Test Suites: 1 failed, 1 passed, 2 total
Tests:       1 failed, 2 passed, 3 total
Snapshots:   0 total
Time:        0.812 s
Ran all test suites.
"""

JEST_OK = """\
PASS src/parser.test.js
Test Suites: 1 passed, 1 total
Tests:       1 skipped, 4 passed, 5 total
Snapshots:   0 total
Time:        0.5 s
"""

JEST_SUITE_CRASHED = """\
FAIL src/parser.test.js
  ● Test suite failed to run

    Cannot find module './lexer' from 'src/parser.test.js'

Test Suites: 1 failed, 1 total
Tests:       0 total
Snapshots:   0 total
Time:        0.3 s
"""

VITEST_FAILED = """\
 ❯ src/parser.test.ts (3 tests | 1 failed) 5ms
   × parse > handles empty input

 Test Files  1 failed (1)
      Tests  1 failed | 2 passed (3)
   Start at  10:12:01
   Duration  412ms (transform 40ms, setup 0ms, collect 30ms, tests 5ms)
"""

VITEST_OK = """\
 ✓ src/parser.test.ts (3 tests) 4ms

 Test Files  1 passed (1)
      Tests  3 passed (3)
   Start at  10:12:01
   Duration  390ms
"""

MOCHA_FAILED = """\
  parser
    ✓ parses words
    ✓ parses spaces
    1) parses empty input


  2 passing (15ms)
  1 failing

  1) parser
       parses empty input:
     AssertionError: expected [] to deeply equal [ '' ]
"""

MOCHA_OK = "\n  parser\n    ✓ parses words\n\n\n  1 passing (4ms)\n  1 pending\n"

NO_SUMMARY = """\
tests/test_parser.py::test_words PASSED
tests/test_parser.py::test_spaces PASSED
"""

PROSE = "The docs say the suite had 2 passed in 0.5s before; Tests 3 passed earlier today.\nOK\n"


@pytest.mark.parametrize(
    ("output", "outcome", "passed", "failed", "runner"),
    [
        pytest.param(PYTEST_TAIL_5, FAILED, 2, 1, "pytest", id="pytest -q | tail -5"),
        pytest.param(PYTEST_FULL, PASSED, 3, 0, "pytest", id="pytest full"),
        pytest.param(PYTEST_COLOURED, PASSED, 3, 0, "pytest", id="pytest coloured"),
        pytest.param(PYTEST_ERRORS, FAILED, 0, 1, "pytest", id="pytest collection error"),
        pytest.param(PYTEST_NONE, NO_TESTS, 0, 0, "pytest", id="pytest no tests ran"),
        pytest.param(PYTEST_MIXED, FAILED, 5, 1, "pytest", id="pytest mixed"),
        pytest.param(UNITTEST_OK, PASSED, 3, 0, "unittest", id="unittest ok"),
        pytest.param(UNITTEST_FAILED, FAILED, 2, 1, "unittest", id="unittest failed"),
        pytest.param(UNITTEST_SKIPPED, PASSED, 3, 0, "unittest", id="unittest skipped"),
        pytest.param(UNITTEST_NONE, NO_TESTS, 0, 0, "unittest", id="unittest no tests"),
        pytest.param(GO_OK, PASSED, 2, 0, "go test", id="go ok"),
        pytest.param(GO_FAIL, FAILED, 0, 1, "go test", id="go fail"),
        pytest.param(GO_BUILD_FAILED, FAILED, 0, 1, "go test", id="go build failed"),
        pytest.param(GO_NO_FILES, NO_TESTS, 0, 0, "go test", id="go no test files"),
        pytest.param(CARGO_OK, PASSED, 3, 0, "cargo test", id="cargo ok"),
        pytest.param(CARGO_FAILED, FAILED, 2, 1, "cargo test", id="cargo failed"),
        pytest.param(JEST_FAILED, FAILED, 2, 1, "jest", id="jest failed"),
        pytest.param(JEST_OK, PASSED, 4, 0, "jest", id="jest ok"),
        pytest.param(JEST_SUITE_CRASHED, FAILED, 0, 1, "jest", id="jest suite failed to run"),
        pytest.param(VITEST_FAILED, FAILED, 2, 1, "vitest", id="vitest failed"),
        pytest.param(VITEST_OK, PASSED, 3, 0, "vitest", id="vitest ok"),
        pytest.param(MOCHA_FAILED, FAILED, 2, 1, "mocha", id="mocha failed"),
        pytest.param(MOCHA_OK, PASSED, 1, 0, "mocha", id="mocha ok"),
    ],
)
def test_summaries_of_common_runners(output, outcome, passed, failed, runner):
    result = read_test_output(output)
    assert (result.outcome, result.passed, result.failed) == (outcome, passed, failed)
    assert result.runners == (runner,)
    assert result.summary


@pytest.mark.parametrize(
    "output",
    [
        pytest.param("", id="empty"),
        pytest.param(NO_SUMMARY, id="verbose lines cut off before the summary"),
        pytest.param(CARGO_COMPILE_ERROR, id="cargo compile error"),
        pytest.param(PROSE, id="numbers in prose"),
        pytest.param("0\n", id="pytest | grep -c"),
    ],
)
def test_no_summary_is_unknown(output):
    result = read_test_output(output)
    assert (result.outcome, result.passed, result.failed, result.runners) == (UNKNOWN, 0, 0, ())


def test_two_runs_in_one_command_add_up_and_any_failure_fails():
    result = read_test_output(PYTEST_FULL + UNITTEST_FAILED)
    assert (result.outcome, result.passed, result.failed) == (FAILED, 5, 1)
    assert result.runners == ("pytest", "unittest")
