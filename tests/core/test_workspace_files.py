"""The workspace file index behind @mentions: what it lists, how it ranks, when it rebuilds."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from app.agent.workspace_files import SOURCE_GIT, SOURCE_WALK, FileIndex, WorkspaceFiles, list_workspace, score


def touch(root: Path, *paths: str) -> None:
    for path in paths:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text("x\n")


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t", "PATH": "/usr/bin:/bin"})


def test_a_git_repository_lists_tracked_and_untracked_files_and_respects_gitignore(tmp_path: Path) -> None:
    touch(tmp_path, "src/app.py", "src/gone.py", "notes.md", "build/out.bin", "debug.log", "src/cache/x.pyc")
    (tmp_path / ".gitignore").write_text("build/\n*.log\n*.pyc\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "src/app.py", "src/gone.py", ".gitignore")
    git(tmp_path, "commit", "-qm", "first")
    (tmp_path / "src/gone.py").unlink()  # deleted but still in the index: not listed

    files, source = list_workspace(tmp_path)

    assert source == SOURCE_GIT
    assert files == [".gitignore", "notes.md", "src/app.py"]


def test_a_folder_without_git_is_walked_honouring_every_gitignore(tmp_path: Path) -> None:
    touch(tmp_path, "a.py", "node_modules/pkg/index.js", ".venv/lib/site.py", "logs/today.log",
          "pkg/keep.py", "pkg/secret.key", "pkg/sub/deep.py", "pkg/sub/gen_out.py", ".git/config")
    (tmp_path / ".gitignore").write_text("logs/\n")
    (tmp_path / "pkg/.gitignore").write_text("*.key\nsub/gen_*\n")

    files, source = list_workspace(tmp_path)

    assert source == SOURCE_WALK
    assert files == [".gitignore", "a.py", "pkg/.gitignore", "pkg/keep.py", "pkg/sub/deep.py"]


def test_folders_are_entries_and_list_their_children(tmp_path: Path) -> None:
    index = FileIndex(root=tmp_path, files=("README.md", "app/agent/loop.py", "app/cli.py"))
    assert set(index.entries) == {"README.md", "app/", "app/agent/", "app/agent/loop.py", "app/cli.py"}
    assert [m.path for m in index.search("")] == ["app/", "README.md"]
    assert [m.path for m in index.search("app/")] == ["app/agent/", "app/cli.py"]
    assert index.search("app/")[0].is_dir


RANKED = (
    "app/agent/workspace_files.py", "app/widgets/some_file.py", "docs/workflow/stuff/final.md",
    "app/agent/loop.py", "tests/core/test_loop.py", "app/tui/layout_options.py", "benchmarks/bench_loop.py",
    "app/agent/mentions.py", "app/tui/mention_completion.py", "README.md",
)


@pytest.mark.parametrize(("query", "best"), [
    ("wsf", "app/agent/workspace_files.py"),  # segment and word starts
    ("loop", "app/agent/loop.py"),  # the whole name, the shortest path
    ("mention", "app/agent/mentions.py"),
    ("mencom", "app/tui/mention_completion.py"),
    ("tui/men", "app/tui/mention_completion.py"),  # a "/" searches the path
    ("readme", "README.md"),  # case does not matter
])
def test_fuzzy_ranking_puts_the_expected_path_first(query: str, best: str) -> None:
    index = FileIndex(root=Path("."), files=RANKED)
    assert index.search(query)[0].path == best


def test_a_name_match_ranks_above_a_match_spread_over_the_path() -> None:
    index = FileIndex(root=Path("."), files=("lo/o/p/readme.md", "tests/loop_test.py"))
    ranked = [m.path for m in index.search("loop")]
    assert ranked[0] == "tests/loop_test.py" and "lo/o/p/readme.md" in ranked[1:]


def test_contiguous_beats_scattered_and_no_match_is_none() -> None:
    contiguous, scattered = score("src/counter.py", "count"), score("src/cache_of_unit.py", "count")
    assert contiguous is not None and scattered is not None
    assert contiguous.score > scattered.score
    assert contiguous.positions == (4, 5, 6, 7, 8)
    assert score("src/app.py", "zq") is None


def test_a_query_matches_only_subsequences() -> None:
    index = FileIndex(root=Path("."), files=RANKED)
    for match in index.search("agl"):
        path = match.path.lower()
        assert [path[i] for i in match.positions] == list("agl")


def test_the_live_index_builds_in_the_background_and_rebuilds_when_stale(tmp_path: Path) -> None:
    touch(tmp_path, "one.py")
    now = [100.0]
    files = WorkspaceFiles(tmp_path, max_age_s=10, clock=lambda: now[0])
    assert files.current() is None  # the first build runs on a thread
    first = files.wait()
    assert first is not None and first.files == ("one.py",)
    touch(tmp_path, "two.py")
    assert files.current() is first  # still fresh: no rebuild
    now[0] += 11
    assert files.current() is first  # stale: answered from the old one while the new one builds
    rebuilt = files.wait()
    assert rebuilt is not None and rebuilt.files == ("one.py", "two.py")
