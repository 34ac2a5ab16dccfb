"""Project instructions: AGENTS.md / CLAUDE.md files, their ``@path`` imports, and the environment.

``discovery`` finds the files (user level, then repository root down to the
workspace), ``imports`` reads ``@path`` imports out of them, ``loader`` reads
them all with their size caps, ``environment`` asks git about the workspace,
and ``project`` keeps the system message built from them up to date between
turns. Nothing here runs at import time.
"""
