"""Project instruction files: which are read, in what order, their imports and their caps."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.agent.instructions.environment import git_summary, status_summary
from app.agent.instructions.imports import import_paths
from app.agent.instructions.loader import MAX_IMPORT_DEPTH, load_instructions


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)  # discovery only looks for it
    return root


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def labels(workspace: Path, user_dir: Path | None = None, **limits: int) -> list[str]:
    return [f.label for f in load_instructions(workspace, user_dir, **limits).files]


def test_user_file_first_then_repository_root_down_to_the_workspace(repo: Path, tmp_path: Path) -> None:
    user = tmp_path / "config"
    write(user / "AGENTS.md", "mine")
    write(repo / "AGENTS.md", "root")
    write(repo / "a" / "AGENTS.md", "a")
    write(repo / "a" / "b" / "AGENTS.md", "b")
    write(repo / "a" / "b" / "c" / "AGENTS.md", "below the workspace: not read")
    write(tmp_path / "AGENTS.md", "above the repository: not read")
    loaded = load_instructions(repo / "a" / "b", user)
    assert [f.label for f in loaded.files][1:] == ["AGENTS.md", "a/AGENTS.md", "a/b/AGENTS.md"]
    assert [f.text for f in loaded.files] == ["mine", "root", "a", "b"]
    assert [f.scope for f in loaded.files] == ["user", "project", "project", "project"]
    assert loaded.notes == ()


def test_claude_md_where_a_folder_has_no_agents_md(repo: Path) -> None:
    write(repo / "AGENTS.md", "agents")
    write(repo / "CLAUDE.md", "claude, shadowed by AGENTS.md")
    write(repo / "sub" / "CLAUDE.md", "claude")
    assert labels(repo / "sub") == ["AGENTS.md", "sub/CLAUDE.md"]


def test_without_a_repository_only_the_workspace_is_read(tmp_path: Path) -> None:
    write(tmp_path / "AGENTS.md", "parent: not read")
    write(tmp_path / "ws" / "AGENTS.md", "ws")
    assert labels(tmp_path / "ws") == ["AGENTS.md"]


def test_a_worktree_git_file_marks_the_repository_root(tmp_path: Path) -> None:
    write(tmp_path / "wt" / ".git", "gitdir: /elsewhere")
    write(tmp_path / "wt" / "AGENTS.md", "root")
    write(tmp_path / "wt" / "pkg" / "AGENTS.md", "pkg")
    assert labels(tmp_path / "wt" / "pkg") == ["AGENTS.md", "pkg/AGENTS.md"]


def test_imports_are_files_of_their_own_after_the_file_that_imports_them(repo: Path, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    write(home / "notes.md", "from home")
    absolute = write(tmp_path / "abs.md", "absolute")
    write(repo / "docs" / "style.md", "style, then @deeper.md")
    write(repo / "docs" / "deeper.md", "deeper")
    write(repo / "AGENTS.md", f"See @docs/style.md, @~/notes.md and @{absolute}.\nThen @README")
    write(repo / "README", "readme")
    loaded = load_instructions(repo, None)
    assert [(f.label, f.imported_by) for f in loaded.files] == [
        ("AGENTS.md", ""),
        ("docs/style.md", "AGENTS.md"),
        ("docs/deeper.md", "docs/style.md"),
        ("~/notes.md", "AGENTS.md"),
        (str(absolute), "AGENTS.md"),  # its sentence's final "." is not part of the path
        ("README", "AGENTS.md"),
    ]
    assert loaded.files[1].scope == "import"
    assert "@docs/style.md" in loaded.files[0].text  # the importing text stays as written


def test_imports_in_code_spans_and_fences_are_not_read() -> None:
    text = (
        "Read @a.md and `@not-span.md` here.\n"
        "```bash\n@not-fenced.md\n```\n"
        "~~~\n@not-tilde.md\n~~~\n"
        "email me@example.com, @@twice, then @b\\ c.md#section\n"
    )
    assert import_paths(text) == ["a.md", "b c.md"]


def test_a_cycle_is_refused_and_a_file_is_loaded_once(repo: Path) -> None:
    write(repo / "AGENTS.md", "@one.md @two.md")
    write(repo / "one.md", "@two.md")
    write(repo / "two.md", "@one.md")
    loaded = load_instructions(repo, None)
    assert [f.label for f in loaded.files] == ["AGENTS.md", "one.md", "two.md"]
    assert loaded.notes == ("import cycle refused: one.md → two.md → one.md",)


def test_imports_stop_at_five_hops(repo: Path) -> None:
    write(repo / "AGENTS.md", "@d1.md")
    for depth in range(1, MAX_IMPORT_DEPTH + 2):
        write(repo / f"d{depth}.md", f"@d{depth + 1}.md")
    loaded = load_instructions(repo, None)
    assert [f.label for f in loaded.files] == ["AGENTS.md", *(f"d{d}.md" for d in range(1, MAX_IMPORT_DEPTH + 1))]
    assert loaded.notes == ("@d6.md in d5.md not imported: more than 5 imports deep",)


def test_a_missing_or_binary_import_is_noted_not_fatal(repo: Path) -> None:
    write(repo / "AGENTS.md", "@gone.md and @blob.bin and @folder")
    (repo / "blob.bin").write_bytes(b"\x00\x01\x02")
    (repo / "folder").mkdir()
    loaded = load_instructions(repo, None)
    assert [f.label for f in loaded.files] == ["AGENTS.md"]
    assert loaded.notes == (
        "@gone.md in AGENTS.md: no such file",
        "blob.bin left out: not a text file",
        "@folder in AGENTS.md: not a file",
    )


def test_a_project_imports_only_text_files_from_outside_it_but_the_user_file_anything(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    write(home / ".aws" / "credentials", "secret")
    write(home / "mine.md", "my notes")
    write(repo / "AGENTS.md", "@~/.aws/credentials @~/mine.md")
    loaded = load_instructions(repo, None)
    assert [f.label for f in loaded.files] == ["AGENTS.md", "~/mine.md"]
    assert loaded.notes == ("@~/.aws/credentials in AGENTS.md not imported: outside the project, "
                            "only .md, .markdown, .txt files are",)
    user = tmp_path / "config"
    write(user / "AGENTS.md", "@~/.aws/credentials")
    (repo / "AGENTS.md").unlink()
    mine = load_instructions(repo, user)
    assert [(f.label, f.text) for f in mine.files] == [(str(user.resolve() / "AGENTS.md"), "@~/.aws/credentials"),
                                                      ("~/.aws/credentials", "secret")]
    assert mine.notes == ()


def test_a_huge_file_is_cut_at_a_line_end_with_a_note(repo: Path) -> None:
    write(repo / "AGENTS.md", "".join(f"rule {i}: keep it short\n" for i in range(2000)))
    (agents,) = load_instructions(repo, None, max_file_chars=1000).files
    assert agents.truncated and agents.chars > 40_000
    body, note = agents.text.split("\n\n[Cockpit: ")
    assert len(body) <= 1000 and body.endswith("keep it short")
    assert note == f"AGENTS.md is {agents.chars:,} characters; only the first {len(body):,} are included.]"


def test_the_total_cap_leaves_later_files_out(repo: Path) -> None:
    write(repo / "AGENTS.md", "x" * 600)
    write(repo / "sub" / "AGENTS.md", "y" * 600)
    write(repo / "sub" / "ws" / "AGENTS.md", "z")
    loaded = load_instructions(repo / "sub" / "ws", None, max_file_chars=1000, max_total_chars=1000)
    assert [(f.label, f.truncated) for f in loaded.files] == [("AGENTS.md", False), ("sub/AGENTS.md", True)]
    assert loaded.notes[-1] == "sub/ws/AGENTS.md left out: the instructions already hold 1,000 characters"
    assert sum(len(f.text) for f in loaded.files) <= 1000 + 200  # the cut file's note rides on top


# --- git ---------------------------------------------------------------------------------------


def git(workspace: Path, *args: str) -> None:
    import subprocess

    subprocess.run(["git", "-C", str(workspace), "-c", "user.email=t@t", "-c", "user.name=t", *args],
                   check=True, capture_output=True)


def test_git_branch_and_status_summary(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    git(ws, "init", "-q", "-b", "trunk")
    assert git_summary(ws) == "branch trunk, clean"  # no commit yet
    for name in ("a.py", "b.py", "c.py"):
        write(ws / name, "1\n")
    git(ws, "add", ".")
    git(ws, "commit", "-qm", "one")
    assert git_summary(ws) == "branch trunk, clean"
    for name in ("a.py", "b.py"):
        write(ws / name, "2\n")
    git(ws, "mv", "c.py", "d.py")
    write(ws / "new.txt", "?")
    assert git_summary(ws) == "branch trunk, 3 modified, 1 untracked"


def test_git_says_briefly_when_there_is_no_repository_or_no_git(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    assert git_summary(tmp_path) == "not a git repository"
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert git_summary(tmp_path) == "git is not installed"


def test_a_git_that_hangs_is_given_up_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    write(bin_dir / "git", "#!/bin/sh\nexec sleep 30\n").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    assert git_summary(tmp_path, timeout_s=0.2) == "git did not answer within 0.2 s"


def test_status_summary_counts_a_rename_once() -> None:
    assert status_summary("R  new.py\0old.py\0 M a.py\0?? u.txt\0") == "2 modified, 1 untracked"
    assert status_summary("") == "clean"


def test_an_import_from_a_folder_we_may_not_enter_is_noted(repo: Path, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    write(locked / "x.md", "hidden")
    write(repo / "AGENTS.md", f"@{locked}/x.md")
    locked.chmod(0)
    try:
        if os.access(locked / "x.md", os.R_OK):  # root reads everything: nothing to test
            pytest.skip("running as root")
        loaded = load_instructions(repo, None)
    finally:
        locked.chmod(0o755)
    assert [f.label for f in loaded.files] == ["AGENTS.md"]
    assert len(loaded.notes) == 1 and loaded.notes[0].startswith(f"@{locked}/x.md in AGENTS.md")
