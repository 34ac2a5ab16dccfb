from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Callable
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


# --- grep: what must never freeze or fill memory ----------------------------------


async def test_grep_catastrophic_backtracking_pattern_runs_in_linear_time(ws: Path, ctx: ToolContext) -> None:
    """``(a+)+b`` on 40 a's runs for hours in a backtracking engine, holding the GIL; RE2 is linear."""
    (ws / "redos.txt").write_text("a" * 40 + "\n" + "a" * 90_000 + "\n" + "aaab\n")
    out = await Grep().run({"pattern": "(a+)+b"}, ctx)
    assert out.text == "redos.txt:3:aaab"
    nested = await Grep().run({"pattern": "^(([a-z])+.)+[A-Z]([a-z])+$"}, ctx)
    assert not nested.is_error and nested.data["matches"] == 0


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"(a)\1", r"invalid escape sequence: \1"),
        (r"foo(?=bar)", "invalid perl operator: (?="),
        (r"(?<!x)y", "invalid perl operator: (?<!"),
        (r"(?>ab)c", "invalid perl operator: (?>"),
        (r"a++", "bad repetition operator: ++"),
        (r"x\Z", r"invalid escape sequence: \Z"),
    ],
)
async def test_grep_constructs_re2_lacks_get_a_clear_error_not_a_backtracking_fallback(
    tree: Path, ctx: ToolContext, pattern: str, reason: str
) -> None:
    out = await Grep().run({"pattern": pattern}, ctx)
    assert out.is_error
    assert f"grep cannot use {pattern!r} ({reason})" in out.text
    assert "linear-time engine" in out.text and "Rewrite the pattern without them" in out.text


async def test_grep_skips_fifos_and_sockets_and_refuses_them_as_path(tree: Path, ctx: ToolContext) -> None:
    os.mkfifo(tree / "src" / "pipe")  # opening it would block until a writer comes
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(tree / "src" / "sock"))
        out = await Grep().run({"pattern": "TODO"}, ctx)
        assert out.text.splitlines() == ["README.md:2:TODO: write docs", "src/app.py:2:    # TODO fix"]
        direct = await Grep().run({"pattern": "x", "path": "src/pipe"}, ctx)
        assert direct.is_error and "src/pipe is a FIFO (named pipe), not a regular file" in direct.text


async def test_grep_searches_the_first_characters_of_a_long_line_and_says_so(
    ws: Path, ctx: ToolContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.agent.tools.textfile.LINE_MAX_CHARS", 1000)
    monkeypatch.setattr("app.agent.tools.search.LINE_MAX_CHARS", 1000)
    (ws / "min.js").write_text("early" + "x" * 5000 + "late\nearly late\n")
    out = await Grep().run({"pattern": "late$"}, ctx)
    assert out.text.splitlines() == [
        "min.js:2:early late",
        "[1 of the lines searched had more than 1000 characters; only their first 1000 were searched]",
    ]
    early = await Grep().run({"pattern": "^early"}, ctx)
    assert [line.split(":")[:2] for line in early.text.splitlines()[:2]] == [["min.js", "1"], ["min.js", "2"]]
    assert "[... line cut, 5009 characters]" in early.text


async def test_grep_line_at_a_time_semantics_survive_the_many_lines_fast_path(ws: Path, ctx: ToolContext) -> None:
    (ws / "a.txt").write_text("a\nab\nfoo\nxfoo\nfoo bar\n\nend")
    cases = {
        r"a[^z]*b": ["a.txt:2:ab"],  # joined, 'a\nab' would match across the line break
        r"^foo$": ["a.txt:3:foo"],
        r"\Afoo": ["a.txt:3:foo", "a.txt:5:foo bar"],  # \A is the start of each line
        r"(?-i:foo)\s*$": ["a.txt:3:foo", "a.txt:4:xfoo"],
        r"^$": ["a.txt:6:"],
        r"d$": ["a.txt:7:end"],
    }
    for pattern, expected in cases.items():
        assert (await Grep().run({"pattern": pattern}, ctx)).text.splitlines() == expected, pattern


async def test_grep_times_out_at_the_tool_timeout_and_its_thread_stops(ws: Path, ctx: ToolContext) -> None:
    """The loop's ``wait_for`` gives up at the timeout; the thread stops instead of reading on."""
    big = ws / "big.txt"
    with big.open("w") as f:
        for _ in range(40):
            f.write("every line matches\n" * 100_000)  # 4M matching lines: a long grep on any machine
    task = asyncio.create_task(asyncio.wait_for(Grep().run({"pattern": "match"}, ctx), timeout=60))
    await _until(lambda: _open_in_this_process(big))  # the grep is reading it
    task.cancel()  # what the timeout does, without waiting for it
    with pytest.raises(asyncio.CancelledError):
        await task
    await _until(lambda: not _open_in_this_process(big), deadline_s=5.0)  # a full grep takes far longer
    timed_out = asyncio.wait_for(Grep().run({"pattern": "match"}, ctx), timeout=0.2)
    with pytest.raises(asyncio.TimeoutError):
        await timed_out
    await _until(lambda: not _open_in_this_process(big), deadline_s=5.0)


def _open_in_this_process(path: Path) -> bool:
    fds = Path("/proc/self/fd")
    targets = []
    for fd in fds.iterdir():
        try:
            targets.append(os.readlink(fd))
        except OSError:
            continue
    return str(path) in targets


async def _until(condition: Callable[[], bool], deadline_s: float = 30.0) -> None:
    end = time.monotonic() + deadline_s
    while not condition():
        assert time.monotonic() < end, "the condition never came true"
        await asyncio.sleep(0.005)
