"""Small things of the command line: a piped task's whitespace, an unknown option's usage line."""

from __future__ import annotations

import io
import sys

import pytest

from app.cli import main
from app.commands.run import read_task


class _Piped(io.TextIOWrapper):
    def isatty(self) -> bool:
        return False


def _stdin(text: str) -> _Piped:
    return _Piped(io.BytesIO(text.encode("utf-8")), encoding="utf-8")


def test_a_piped_task_loses_its_surrounding_whitespace_but_keeps_its_lines(monkeypatch):
    monkeypatch.setattr(sys, "stdin", _stdin("what is this repo\n"))
    assert read_task("-") == "what is this repo"
    monkeypatch.setattr(sys, "stdin", _stdin(" \n\n    indented(first)\n\n+x  \n\n"))
    assert read_task("-") == "    indented(first)\n\n+x"  # blank lines around go, the snippet's indentation stays


def test_a_task_given_as_an_argument_is_kept_as_given():
    assert read_task("  hi  ") == "  hi  "


@pytest.mark.parametrize("argv, usage", [
    (["run", "hi", "--bogus"], "usage: cockpit run "),
    (["sessions", "--bogus"], "usage: cockpit sessions "),
    (["--bogus"], "usage: cockpit [-h]"),
])
def test_an_unknown_option_prints_the_usage_of_its_subcommand(capsys, argv, usage):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert err.startswith(usage), err
    assert "error: unrecognized arguments: --bogus" in err.splitlines()[-1]
