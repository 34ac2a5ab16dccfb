"""Each subcommand's parser is built when parsing meets its name (``app.cli._Subcommands``); the help and
the errors still know every one."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from app import cli

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("module", cli.COMMANDS)
def test_each_command_module_registers_the_name_the_parser_expects(module):
    subparsers = argparse.ArgumentParser().add_subparsers(dest="command")
    importlib.import_module(f"app.commands.{module}").register(subparsers)
    assert list(subparsers.choices) == [cli.command_name(module)]


def test_parsing_builds_only_the_subcommand_it_meets():
    parser = cli.build_parser()
    assert parser.parse_args(["--model", "run"]).command is None  # a value, not the subcommand
    assert parser.parse_args(["sessions"]).command == "sessions"
    built = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)][0]._name_parser_map
    assert list(dict.keys(built)) == ["sessions"]


def test_the_help_lists_every_subcommand_in_order(capsys):
    parser = cli.build_parser()
    parser.parse_args(["tools"])  # one built before the help: the order stays
    with pytest.raises(SystemExit):
        parser.parse_args(["--help"])
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines() if line.startswith("    ") and line.split()]
    assert [name for name in listed if name in map(cli.command_name, cli.COMMANDS)] == \
        [cli.command_name(m) for m in cli.COMMANDS]


def test_an_unknown_subcommand_names_every_one(capsys):
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["bogus"])
    said = capsys.readouterr().err
    assert "invalid choice: 'bogus' (choose from " + ", ".join(repr(cli.command_name(m)) for m in cli.COMMANDS) + ")" in said


def test_the_tui_parses_its_options_without_importing_a_subcommand():
    code = "import sys, app.cli; app.cli.build_parser().parse_args(['--model', 'x']); " \
           "print(sorted(m for m in sys.modules if m.startswith('app.commands.')))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() in ("[]", "['app.commands.common']")
