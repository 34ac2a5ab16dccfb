"""Entry point of the TUI (``cockpit`` with no subcommand)."""

from __future__ import annotations

import argparse
import sys


def run_tui(args: argparse.Namespace) -> int:
    print("cockpit: the TUI is not built yet; use `cockpit run \"task\"` for now.", file=sys.stderr)
    return 2
