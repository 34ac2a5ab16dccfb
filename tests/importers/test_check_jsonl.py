"""The quick first pass over a JSON Lines file (orjson) checks the same lines as the exact one (the standard library).

``check_jsonl`` lets a line through exactly when ``read_jsonl`` does and fails with the same error where it fails;
the Claude Code importer's header (its first pass) keeps the exact values of the records it takes numbers from.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storage.importers.claude_code import convert
from storage.importers.common import ImportFormatError, check_jsonl, exact_record, read_jsonl

ACCEPTED = [
    b'{"a": 1, "b": [1.5, -0.0, true, null], "c": {"d": "\\u00e9\\ud83d\\ude00 \xc3\xa9"}}\n',
    b'{"nan": NaN, "inf": -Infinity}\n',  # the standard library's extensions: orjson refuses them
    b'{"lone": "\\ud800"}\n',
    b'{"big": 123456789012345678901234567890, "huge": 1e400}\n',
    b'\n',
    b'   \r\n',
    b'{"dup": 1, "other": 2, "dup": 3}\r\n',
    b'{"deep": ' + b'[' * 900 + b']' * 900 + b'}\n',
]
REFUSED = [
    b'{"a": 1\n',
    b'[1, 2]\n',
    b'"text"\n',
    b'{"a": "\xff"}\n',
    b'\xef\xbb\xbf{}\n',
    b'{"a": 1} {"b": 2}\n',
    b'{"ctl": "\x01"}\n',
    b'{"deep": ' + b'[' * 5000 + b']' * 5000 + b'}\n',  # a clean error, not a RecursionError
]


def _lines(tmp_path: Path, lines: list[bytes]) -> Path:
    path = tmp_path / "t.jsonl"
    path.write_bytes(b"".join(lines))
    return path


def test_the_quick_pass_lets_through_the_lines_the_exact_one_does(tmp_path):
    path = _lines(tmp_path, ACCEPTED)
    exact = list(read_jsonl(path))
    quick = list(check_jsonl(path))
    assert [number for number, _, _ in quick] == [number for number, _ in exact] == [1, 2, 3, 4, 7, 8]
    for (_, raw, record), (_, expected) in zip(quick, exact):
        assert exact_record(raw).keys() == expected.keys()
        assert json.dumps(exact_record(raw)) == json.dumps(expected)
        if b"big" not in raw:  # (orjson reads an integer beyond 64 bits as a float)
            assert json.dumps(record) == json.dumps(expected)


@pytest.mark.parametrize("line", REFUSED)
def test_the_quick_pass_refuses_a_line_with_the_exact_ones_error(tmp_path, line):
    path = _lines(tmp_path, [b'{"ok": 1}\n', line])
    with pytest.raises(ImportFormatError) as exact:
        list(read_jsonl(path))
    with pytest.raises(ImportFormatError) as quick:
        list(check_jsonl(path))
    assert (quick.value.line, quick.value.reason) == (exact.value.line, exact.value.reason)
    assert exact.value.line == 2


def test_the_header_keeps_the_exact_numbers_of_its_records(tmp_path):
    record = {"type": "user", "sessionId": "abc", "cwd": "/w", "version": 123456789012345678901234567890,
              "timestamp": 12345678901234567890123, "message": {"role": "user", "content": "hi"}}
    path = _lines(tmp_path, [json.dumps(record).encode() + b"\n"])
    started = next(convert(path, "d" * 64))
    assert started["settings"]["source_version"] == 123456789012345678901234567890
    assert started["ts"] == float(12345678901234567890123)
