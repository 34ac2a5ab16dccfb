from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.agent.tools.base import ToolContext
from app.agent.tools.search import Glob, Grep, glob_regex


@pytest.fixture
def tree(ws: Path) -> Path:
    files = {
        "README.md": "# Demo\nTODO: write docs\n",
        "setup.py": "from setuptools import setup\n",
        "src/app.py": "def main():\n    # TODO fix\n    return 0\n",
        "src/util/helpers.py": "def helper():\n    return 'todo'\n",
        "src/util/data.json": '{"todo": true}\n',
        ".git/config": "TODO in git\n",
        ".venv/lib/site.py": "TODO in venv\n",
        "node_modules/pkg/index.js": "// TODO in node\n",
        "src/__pycache__/app.cpython-311.pyc": "TODO cached\n",
    }
    for name, content in files.items():
        (ws / name).parent.mkdir(parents=True, exist_ok=True)
        (ws / name).write_text(content)
    (ws / "src" / "blob.bin").write_bytes(b"TODO\x00\x01\x02 binary")
    return ws


# --- glob ------------------------------------------------------------------------


async def test_glob_recursive_sorted_and_skipping(tree: Path, ctx: ToolContext) -> None:
    out = await Glob().run({"pattern": "**/*.py"}, ctx)
    assert out.text.splitlines() == ["setup.py", "src/app.py", "src/util/helpers.py"]
    assert out.data == {"count": 3}


async def test_glob_star_stays_in_one_directory(tree: Path, ctx: ToolContext) -> None:
    assert (await Glob().run({"pattern": "*.py"}, ctx)).text == "setup.py"
    assert (await Glob().run({"pattern": "src/*"}, ctx)).text.splitlines() == [
        "src/app.py",
        "src/blob.bin",
        "src/util/",
    ]


async def test_glob_from_a_subdirectory_prints_workspace_paths(tree: Path, ctx: ToolContext) -> None:
    out = await Glob().run({"pattern": "*.{py,json}", "path": "src/util"}, ctx)
    assert out.text.splitlines() == ["src/util/data.json", "src/util/helpers.py"]


async def test_glob_no_match_and_confinement(tree: Path, ctx: ToolContext) -> None:
    none = await Glob().run({"pattern": "**/*.rs"}, ctx)
    assert not none.is_error and "no paths match" in none.text
    up = await Glob().run({"pattern": "*", "path": ".."}, ctx)
    assert up.is_error and "escapes" in up.text
    dotdot = await Glob().run({"pattern": "../outside/*"}, ctx)
    assert dotdot.is_error and "'..'" in dotdot.text


async def test_glob_ignores_symlinks_out_of_the_workspace(tree: Path, ctx: ToolContext) -> None:
    os.symlink(tree.parent / "outside", tree / "out")
    os.symlink(tree.parent / "outside" / "secret.txt", tree / "secret.txt")
    out = await Glob().run({"pattern": "**/*"}, ctx)
    assert "out/" not in out.text.splitlines()
    assert "secret.txt" not in out.text


async def test_glob_is_capped(tree: Path, ctx: ToolContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.agent.tools.search.GLOB_MAX_RESULTS", 2)
    out = await Glob().run({"pattern": "**/*.py"}, ctx)
    assert out.text.splitlines()[:2] == ["setup.py", "src/app.py"]
    assert "1 more paths not shown" in out.text


def test_glob_regex() -> None:
    assert glob_regex("**/*.py").match("a.py")
    assert glob_regex("**/*.py").match("a/b/c.py")
    assert not glob_regex("*.py").match("a/b.py")
    assert glob_regex("src/**").match("src/a/b")
    assert glob_regex("file[0-9].txt").match("file7.txt")
    assert not glob_regex("file[!0-9].txt").match("file7.txt")
    assert glob_regex("a?.md").match("ab.md")
    assert not glob_regex("a?.md").match("a/.md")
    assert glob_regex("weird(1).txt").match("weird(1).txt")


# --- grep ------------------------------------------------------------------------


async def test_grep_finds_lines_and_skips_binaries_and_tool_dirs(tree: Path, ctx: ToolContext) -> None:
    out = await Grep().run({"pattern": "TODO"}, ctx)
    assert out.text.splitlines() == ["README.md:2:TODO: write docs", "src/app.py:2:    # TODO fix"]
    assert out.data == {"matches": 2, "files": 2}


async def test_grep_case_insensitive_and_glob_filter(tree: Path, ctx: ToolContext) -> None:
    out = await Grep().run({"pattern": "todo", "case_insensitive": True, "glob": "*.py"}, ctx)
    assert out.text.splitlines() == ["src/app.py:2:    # TODO fix", "src/util/helpers.py:2:    return 'todo'"]
    by_path = await Grep().run({"pattern": "todo", "case_insensitive": True, "glob": "util/*", "path": "src"}, ctx)
    assert by_path.text.splitlines() == ['src/util/data.json:1:{"todo": true}', "src/util/helpers.py:2:    return 'todo'"]


async def test_grep_single_file_and_regex_syntax(tree: Path, ctx: ToolContext) -> None:
    out = await Grep().run({"pattern": r"^def \w+\(\):$", "path": "src/app.py"}, ctx)
    assert out.text == "src/app.py:1:def main():"


async def test_grep_no_match_is_not_an_error(tree: Path, ctx: ToolContext) -> None:
    out = await Grep().run({"pattern": "nothing-like-this"}, ctx)
    assert not out.is_error and "no matches" in out.text


async def test_grep_invalid_regex_is_a_clear_error(tree: Path, ctx: ToolContext) -> None:
    out = await Grep().run({"pattern": "foo(bar"}, ctx)
    assert out.is_error
    assert "invalid regular expression 'foo(bar'" in out.text
    assert "missing ), unterminated subpattern at position 3" in out.text


async def test_grep_does_not_follow_links_out_of_the_workspace(tree: Path, ctx: ToolContext) -> None:
    os.symlink(tree.parent / "outside", tree / "out")
    os.symlink(tree.parent / "outside" / "secret.txt", tree / "secret.txt")
    out = await Grep().run({"pattern": "secret"}, ctx)
    assert "top secret" not in out.text
    direct = await Grep().run({"pattern": "secret", "path": "secret.txt"}, ctx)
    assert direct.is_error and "leads outside" in direct.text


async def test_grep_caps_matches_with_a_count(ws: Path, ctx: ToolContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.agent.tools.search.GREP_MAX_MATCHES", 10)
    (ws / "a.txt").write_text("hit\n" * 15)
    (ws / "b.txt").write_text("hit\n" * 5)
    out = await Grep().run({"pattern": "hit"}, ctx)
    lines = out.text.splitlines()
    assert lines[:10] == [f"a.txt:{i}:hit" for i in range(1, 11)]
    assert "10 more matches omitted (20 in 2 files)" in lines[10]
    assert out.data == {"matches": 20, "files": 2}


async def test_grep_output_is_capped_to_the_budget(ws: Path, ctx: ToolContext) -> None:
    (ws / "long.txt").write_text("".join(f"match number {i} " + "x" * 60 + "\n" for i in range(200)))
    out = await Grep().run({"pattern": "match"}, ctx)
    assert out.truncated
    assert out.text.startswith("long.txt:1:match number 0 ")
    assert out.text.rstrip().endswith("x" * 60)
    assert "long.txt:200:match number 199" in out.text
    assert out.full_output is not None and out.full_output.count("\n") == 199


async def test_search_survives_a_symlink_loop(tree: Path, ctx: ToolContext) -> None:
    os.symlink(tree / "loop-a", tree / "loop-b")
    os.symlink(tree / "loop-b", tree / "loop-a")
    grep = await Grep().run({"pattern": "TODO"}, ctx)
    assert grep.text.splitlines() == ["README.md:2:TODO: write docs", "src/app.py:2:    # TODO fix"]
    glob = await Glob().run({"pattern": "*.md"}, ctx)
    assert glob.text == "README.md"
