from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from app.agent.resilience.idempotency import file_precondition
from app.agent.tools.base import ToolContext
from app.agent.tools.files import EditFile, ListDir, ReadFile, WriteFile


def _numbered(n: int) -> str:
    return "".join(f"line {i}\n" for i in range(1, n + 1))


# --- read_file -------------------------------------------------------------------


async def test_read_whole_file_with_line_numbers(ws: Path, ctx: ToolContext) -> None:
    (ws / "a.py").write_text("import os\n\nprint(os.sep)\n")
    out = await ReadFile().run({"path": "a.py"}, ctx)
    assert not out.is_error
    assert out.text == "     1\timport os\n     2\t\n     3\tprint(os.sep)"
    assert out.data == {"path": "a.py", "start_line": 1, "end_line": 3, "total_lines": 3}


async def test_read_range_is_inclusive_and_clamped(ws: Path, ctx: ToolContext) -> None:
    (ws / "f.txt").write_text(_numbered(20))
    out = await ReadFile().run({"path": "f.txt", "start_line": 12, "end_line": 14}, ctx)
    assert out.text.splitlines() == ["    12\tline 12", "    13\tline 13", "    14\tline 14"]
    tail = await ReadFile().run({"path": "f.txt", "start_line": 19, "end_line": 500}, ctx)
    assert tail.text.splitlines() == ["    19\tline 19", "    20\tline 20"]


async def test_read_range_errors(ws: Path, ctx: ToolContext) -> None:
    (ws / "f.txt").write_text(_numbered(5))
    past = await ReadFile().run({"path": "f.txt", "start_line": 9}, ctx)
    assert past.is_error and "past the end" in past.text and "5 lines" in past.text
    backwards = await ReadFile().run({"path": "f.txt", "start_line": 4, "end_line": 2}, ctx)
    assert backwards.is_error and "before start_line" in backwards.text
    zero = await ReadFile().run({"path": "f.txt", "start_line": 0}, ctx)
    assert zero.is_error and "at least 1" in zero.text


async def test_read_large_file_is_capped_and_says_how_to_continue(ws: Path, ctx: ToolContext) -> None:
    (ws / "big.txt").write_text(_numbered(2000))
    out = await ReadFile().run({"path": "big.txt"}, ctx)
    assert not out.is_error
    assert len(out.text) < ctx.output_cap_chars + 200
    last = out.data["end_line"]
    assert out.text.startswith("     1\tline 1\n")
    assert f"showing lines 1-{last} of 2000" in out.text
    assert f"start_line={last + 1}" in out.text
    more = await ReadFile().run({"path": "big.txt", "start_line": last + 1}, ctx)
    assert more.text.startswith(f"{last + 1:>6}\tline {last + 1}\n")


async def test_read_one_enormous_line_is_cut(ws: Path, ctx: ToolContext) -> None:
    (ws / "min.js").write_text("x" * 50_000 + "\nsecond\n")
    out = await ReadFile().run({"path": "min.js"}, ctx)
    assert "line cut at" in out.text
    assert "start_line=2" in out.text
    assert len(out.text) < ctx.output_cap_chars + 300


async def test_read_refuses_directories_binaries_missing_and_escapes(ws: Path, ctx: ToolContext) -> None:
    (ws / "pkg").mkdir()
    (ws / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    cases = {
        "pkg": "is a directory; use list_dir",
        "logo.png": "looks like a binary file",
        "nope.txt": "does not exist",
        "../outside/secret.txt": "escapes the workspace",
    }
    for path, expected in cases.items():
        out = await ReadFile().run({"path": path}, ctx)
        assert out.is_error, path
        assert expected in out.text, (path, out.text)
        assert "top secret" not in out.text


async def test_read_empty_file(ws: Path, ctx: ToolContext) -> None:
    (ws / "empty").write_text("")
    out = await ReadFile().run({"path": "empty"}, ctx)
    assert not out.is_error and "empty" in out.text


# --- write_file ------------------------------------------------------------------


async def test_write_creates_file_and_parents(ws: Path, ctx: ToolContext) -> None:
    out = await WriteFile().run({"path": "src/pkg/mod.py", "content": "x = 1\n"}, ctx)
    assert not out.is_error
    assert (ws / "src" / "pkg" / "mod.py").read_text() == "x = 1\n"
    assert out.data["created"] is True
    assert out.data["path"] == "src/pkg/mod.py"
    assert out.data["diff"].splitlines() == ["--- /dev/null", "+++ b/src/pkg/mod.py", "@@ -0,0 +1 @@", "+x = 1"]


async def test_write_replaces_file_and_reports_the_diff(ws: Path, ctx: ToolContext) -> None:
    (ws / "a.txt").write_text("one\ntwo\nthree\n")
    out = await WriteFile().run({"path": "a.txt", "content": "one\n2\nthree\n"}, ctx)
    assert (ws / "a.txt").read_text() == "one\n2\nthree\n"
    assert out.data["created"] is False
    diff = out.data["diff"].splitlines()
    assert diff[:2] == ["--- a/a.txt", "+++ b/a.txt"]
    assert "-two" in diff and "+2" in diff and " one" in diff
    assert "+1 -1" in out.text


async def test_write_preserves_content_exactly(ws: Path, ctx: ToolContext) -> None:
    content = "a\r\nb\r\nno newline at end"
    await WriteFile().run({"path": "crlf.txt", "content": content}, ctx)
    assert (ws / "crlf.txt").read_bytes() == content.encode()


async def test_write_preview_does_not_write(ws: Path, ctx: ToolContext) -> None:
    (ws / "a.txt").write_text("old\n")
    tool = WriteFile()
    preview = tool.preview({"path": "a.txt", "content": "new\n"}, ctx)
    assert "-old" in preview and "+new" in preview
    assert (ws / "a.txt").read_text() == "old\n"
    assert "+fresh" in tool.preview({"path": "n/new.txt", "content": "fresh\n"}, ctx)
    assert not (ws / "n").exists()
    assert tool.preview({"path": "../x", "content": ""}, ctx).startswith("error: ")
    assert tool.preview({"path": "a.txt"}, ctx).startswith("error: ")


async def test_write_refuses_escapes_and_directories(ws: Path, ctx: ToolContext) -> None:
    os.symlink(ws.parent / "outside", ws / "out")
    escape = await WriteFile().run({"path": "out/secret.txt", "content": "pwned"}, ctx)
    assert escape.is_error
    assert (ws.parent / "outside" / "secret.txt").read_text() == "top secret\n"
    (ws / "d").mkdir()
    assert (await WriteFile().run({"path": "d", "content": ""}, ctx)).is_error


# --- edit_file ---------------------------------------------------------------------


async def test_edit_replaces_a_unique_match(ws: Path, ctx: ToolContext) -> None:
    (ws / "m.py").write_text("def f():\n    return 1\n")
    out = await EditFile().run({"path": "m.py", "old_string": "return 1", "new_string": "return 2"}, ctx)
    assert not out.is_error, out.text
    assert (ws / "m.py").read_text() == "def f():\n    return 2\n"
    assert out.data["replacements"] == 1
    assert "-    return 1" in out.data["diff"] and "+    return 2" in out.data["diff"]


async def test_edit_refuses_ambiguous_match_and_says_how_many(ws: Path, ctx: ToolContext) -> None:
    (ws / "m.py").write_text("x = 1\ny = 1\nz = 1\n")
    out = await EditFile().run({"path": "m.py", "old_string": "= 1", "new_string": "= 2"}, ctx)
    assert out.is_error
    assert "occurs 3 times" in out.text and "replace_all" in out.text
    assert (ws / "m.py").read_text() == "x = 1\ny = 1\nz = 1\n"


async def test_edit_replace_all(ws: Path, ctx: ToolContext) -> None:
    (ws / "m.py").write_text("x = 1\ny = 1\nz = 1\n")
    out = await EditFile().run({"path": "m.py", "old_string": "= 1", "new_string": "= 2", "replace_all": True}, ctx)
    assert not out.is_error
    assert (ws / "m.py").read_text() == "x = 2\ny = 2\nz = 2\n"
    assert out.data["replacements"] == 3


async def test_edit_missing_or_empty_old_string(ws: Path, ctx: ToolContext) -> None:
    (ws / "m.py").write_text("def f():\n    return 1\n")
    missing = await EditFile().run({"path": "m.py", "old_string": "return 3", "new_string": "x"}, ctx)
    assert missing.is_error and "not found in m.py" in missing.text
    spaced = await EditFile().run({"path": "m.py", "old_string": "def f():\nreturn 1", "new_string": "x"}, ctx)
    assert spaced.is_error and "whitespace is ignored" in spaced.text
    empty = await EditFile().run({"path": "m.py", "old_string": "", "new_string": "x"}, ctx)
    assert empty.is_error and "old_string is empty" in empty.text
    same = await EditFile().run({"path": "m.py", "old_string": "f", "new_string": "f"}, ctx)
    assert same.is_error and "identical" in same.text
    nofile = await EditFile().run({"path": "no.py", "old_string": "a", "new_string": "b"}, ctx)
    assert nofile.is_error and "does not exist" in nofile.text
    assert (ws / "m.py").read_text() == "def f():\n    return 1\n"


async def test_edit_keeps_windows_line_endings(ws: Path, ctx: ToolContext) -> None:
    (ws / "w.txt").write_bytes(b"one\r\ntwo\r\nthree\r\n")
    out = await EditFile().run({"path": "w.txt", "old_string": "one\ntwo", "new_string": "1\n2"}, ctx)
    assert not out.is_error, out.text
    assert (ws / "w.txt").read_bytes() == b"1\r\n2\r\nthree\r\n"


async def test_edit_preview_does_not_write(ws: Path, ctx: ToolContext) -> None:
    (ws / "m.py").write_text("a = 1\n")
    tool = EditFile()
    preview = tool.preview({"path": "m.py", "old_string": "a = 1", "new_string": "a = 2"}, ctx)
    assert "-a = 1" in preview and "+a = 2" in preview
    assert (ws / "m.py").read_text() == "a = 1\n"
    assert "not found" in tool.preview({"path": "m.py", "old_string": "zzz", "new_string": "y"}, ctx)


# --- list_dir ----------------------------------------------------------------------


async def test_list_dir_sorted_with_dirs_marked_and_git_skipped(ws: Path, ctx: ToolContext) -> None:
    for d in ("src", ".git", "docs"):
        (ws / d).mkdir()
    for f in ("b.txt", "a.txt", "src/inner.py"):
        (ws / f).write_text("")
    out = await ListDir().run({}, ctx)
    assert out.text.splitlines() == ["a.txt", "b.txt", "docs/", "src/"]
    sub = await ListDir().run({"path": "src"}, ctx)
    assert sub.text == "inner.py"


async def test_list_dir_is_capped(ws: Path, ctx: ToolContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.agent.tools.files.LIST_MAX_ENTRIES", 5)
    for i in range(12):
        (ws / f"f{i:02d}").write_text("")
    out = await ListDir().run({"path": "."}, ctx)
    assert out.text.splitlines()[:5] == ["f00", "f01", "f02", "f03", "f04"]
    assert "7 more entries not shown" in out.text
    assert out.data["count"] == 12


async def test_list_dir_errors(ws: Path, ctx: ToolContext) -> None:
    (ws / "a.txt").write_text("")
    assert "is a file" in (await ListDir().run({"path": "a.txt"}, ctx)).text
    assert "escapes" in (await ListDir().run({"path": ".."}, ctx)).text
    assert "does not exist" in (await ListDir().run({"path": "nope"}, ctx)).text
    (ws / "e").mkdir()
    empty = await ListDir().run({"path": "e"}, ctx)
    assert not empty.is_error and empty.text == "(e is empty)"


# --- what must never hang, truncate or fill memory ----------------------------------


async def test_fifos_and_sockets_are_refused_before_they_are_opened(ws: Path, ctx: ToolContext) -> None:
    os.mkfifo(ws / "pipe")  # opening it would block until a writer comes
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(ws / "sock"))
        calls = [
            (ReadFile(), {"path": "pipe"}),
            (ReadFile(), {"path": "sock"}),
            (WriteFile(), {"path": "pipe", "content": "x"}),
            (EditFile(), {"path": "pipe", "old_string": "a", "new_string": "b"}),
        ]
        for tool, args in calls:
            out = await tool.run(args, ctx)
            assert out.is_error, (tool.name, args)
            kind = "a FIFO (named pipe)" if args["path"] == "pipe" else "a socket"
            assert f"{args['path']} is {kind}, not a regular file" in out.text
        assert "not a regular file" in WriteFile().preview({"path": "pipe", "content": "x"}, ctx)
    assert stat.S_ISFIFO(os.stat(ws / "pipe").st_mode)  # not replaced by a regular file


async def test_read_a_100_mb_single_line_file_in_bounded_memory(ws: Path, ctx: ToolContext) -> None:
    size = 100 * 1024 * 1024
    with (ws / "one-line.txt").open("w") as f:
        for _ in range(size // (1024 * 1024)):
            f.write("x" * (1024 * 1024))
    tracemalloc.start()
    try:
        out = await ReadFile().run({"path": "one-line.txt"}, ctx)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
    assert out.text.endswith(f" [line cut at {ctx.output_cap_chars - 7} of {size} characters]")
    assert out.data["total_lines"] == 1


async def test_write_and_edit_keep_the_mode_and_leave_no_temporary_file(ws: Path, ctx: ToolContext) -> None:
    script = ws / "run.sh"
    script.write_text("echo old\n")
    script.chmod(0o750)
    await WriteFile().run({"path": "run.sh", "content": "echo new\n"}, ctx)
    assert stat.S_IMODE(script.stat().st_mode) == 0o750
    await EditFile().run({"path": "run.sh", "old_string": "new", "new_string": "newer"}, ctx)
    assert script.read_text() == "echo newer\n" and stat.S_IMODE(script.stat().st_mode) == 0o750
    await WriteFile().run({"path": "fresh.txt", "content": "x"}, ctx)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((ws / "fresh.txt").stat().st_mode) == 0o666 & ~umask
    assert sorted(p.name for p in ws.iterdir()) == ["fresh.txt", "run.sh"]


async def test_writing_through_a_symlink_replaces_its_target_and_keeps_the_link(ws: Path, ctx: ToolContext) -> None:
    (ws / "real.txt").write_text("old\n")
    os.symlink("real.txt", ws / "link.txt")
    out = await WriteFile().run({"path": "link.txt", "content": "new\n"}, ctx)
    assert not out.is_error
    assert (ws / "link.txt").is_symlink() and os.readlink(ws / "link.txt") == "real.txt"
    assert (ws / "real.txt").read_text() == "new\n"


_WRITER = """
import asyncio, sys
from pathlib import Path
from app.agent.resilience.idempotency import file_precondition
from app.agent.tools.base import ToolContext
from app.agent.tools.files import WriteFile
ctx = ToolContext(workspace=Path(sys.argv[1]))
content = sys.argv[2] * int(sys.argv[3])
out = asyncio.run(WriteFile().run({"path": "data.txt", "content": content}, ctx))
print(out.text)
"""


@pytest.mark.parametrize("kill_at_bytes", [0, 1, 8 * 1024 * 1024, 48 * 1024 * 1024])
async def test_a_write_killed_at_any_moment_leaves_the_old_content_or_the_new(
    ws: Path, kill_at_bytes: int
) -> None:
    """SIGKILL while write_file writes 64 MB: the file is whole, old or new, never cut short."""
    target = ws / "data.txt"
    old = "the old content\n" * 1000
    target.write_text(old)
    line, count = "n" * 1023 + "\n", 64 * 1024  # 64 MB in 1 KB lines
    new_size = len(line) * count
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(ws), line, str(count)],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while proc.poll() is None:  # wait on the write's progress, not on time
            written = [_size(p) for p in ws.iterdir() if p.name.endswith(".tmp")]
            changed = target.stat().st_size != len(old)  # an in-place write would show here
            if max(written, default=-1) >= kill_at_bytes or changed:
                break
            assert time.monotonic() < deadline, "the write never started"
            time.sleep(0.001)  # a polling step, to leave the writer the CPU
    finally:
        proc.kill()
        proc.wait()
    data = target.read_bytes()
    assert data == old.encode() or (len(data) == new_size and data == (line * count).encode())


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:  # renamed meanwhile
        return -1


def test_the_idempotency_precondition_never_opens_a_fifo(ws: Path) -> None:
    """write_file and edit_file go through the ledger, which fingerprints the file in the event loop."""
    os.mkfifo(ws / "pipe")
    (ws / "d").mkdir()
    assert file_precondition(ws / "pipe") == "not-a-regular-file"
    assert file_precondition(ws / "d") == "not-a-regular-file"
    assert file_precondition(ws / "none") == "absent"
