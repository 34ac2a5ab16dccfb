"""The inotify watch finds what a command changed (and only that) without scanning the workspace."""

from __future__ import annotations

import sys

import pytest

from app.agent.checkpoints.watch import open_watch
from tests.checkpoints.support import git_workspace

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")


def test_changes_are_the_commands_own_and_ignored_files_are_left_out(workspace):
    git_workspace(workspace, {".gitignore": b"*.log\nbuild/\n", "a.txt": b"a\n", "src/b.py": b"b\n", "gone.txt": b"g\n"})
    (workspace / "build").mkdir()
    watch = open_watch(workspace)
    assert watch is not None
    try:
        (workspace / "a.txt").write_text("the user's edit, before the command\n")
        watch.refresh()
        assert watch.changes() == ({}, [])  # nothing since the refresh

        watch.refresh()
        (workspace / "src" / "b.py").write_text("changed\n")
        (workspace / "gone.txt").unlink()
        (workspace / "new" / "deep").mkdir(parents=True)
        (workspace / "new" / "deep" / "c.txt").write_text("made in a new folder\n")
        (workspace / "run.log").write_text("ignored\n")
        (workspace / "build" / "out.o").write_bytes(b"\0")  # an ignored folder is not watched
        before, paths = watch.changes()
        assert paths == ["gone.txt", "new/deep/c.txt", "src/b.py"]
        assert set(before) == {"gone.txt", "src/b.py"}  # the stat before of those that existed

        (workspace / "new" / "deep" / "c.txt").write_text("again, in the folder watched now\n")
        assert watch.changes()[1] == ["new/deep/c.txt"]
    finally:
        watch.close()


def test_no_watch_outside_a_git_work_tree(workspace):
    assert open_watch(workspace) is None
