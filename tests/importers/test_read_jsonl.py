"""``read_jsonl`` reads each line with orjson where it reads what the standard library reads, and the standard library
reads the rest: the records and the errors are ``json.loads``'s, line for line.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.importers.claude_code import convert
from storage.importers.common import ImportFormatError, LongNumbers, may_hold_long_integer, read_jsonl

ACCEPTED = [
    b'{"a": 1, "b": [1.5, -0.0, true, null], "c": {"d": "\\u00e9\\ud83d\\ude00 \xc3\xa9"}}\n',
    b'{"nan": NaN, "inf": -Infinity}\n',  # the standard library's extensions: orjson refuses them
    b'{"lone": "\\ud800"}\n',
    b'{"big": 123456789012345678901234567890, "huge": 1e400, "small": -9223372036854775809}\n',  # beyond 64 bits
    b'{"edge": 18446744073709551615, "low": -9223372036854775808, "f": 1.7976931348623157e308, "e": 5e-324}\n',
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
    b'{"n": ' + b'9' * 5000 + b'}\n',  # more digits than Python converts: a clean error, not a ValueError
]


def _standard(raw: bytes):
    return json.loads(raw.decode("utf-8"))


def _lines(tmp_path: Path, lines: list[bytes]) -> Path:
    path = tmp_path / "t.jsonl"
    path.write_bytes(b"".join(lines))
    return path


def _same(a, b) -> bool:
    """Equal, with the same types all the way down (1.0 == 1, and NaN != NaN)."""
    return json.dumps(a) == json.dumps(b) and repr(a) == repr(b)


def test_every_line_reads_as_the_standard_library_reads_it(tmp_path):
    path = _lines(tmp_path, ACCEPTED)
    read = list(read_jsonl(path))
    assert [number for number, _ in read] == [1, 2, 3, 4, 5, 8, 9]
    expected = [_standard(line) for line in ACCEPTED if line.strip()]
    assert all(_same(record, want) for (_, record), want in zip(read, expected))


@pytest.mark.parametrize("line", REFUSED)
def test_a_bad_line_is_refused_with_the_standard_librarys_error(tmp_path, line):
    path = _lines(tmp_path, [b'{"ok": 1}\n', line])
    with pytest.raises(ImportFormatError) as refused:
        list(read_jsonl(path))
    assert refused.value.line == 2
    try:
        _standard(line)
    except json.JSONDecodeError as exc:
        assert refused.value.reason == f"not valid JSON ({exc.msg}); the file may be truncated"
    except (UnicodeDecodeError, RecursionError, ValueError):
        pass  # (said in the importer's own words: not UTF-8, nested too deeply)
    else:
        assert refused.value.reason == "expected a JSON object on every line"


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=5), _JSON, max_size=5))
def test_any_record_reads_back_exactly(tmp_path_factory, record):
    path = tmp_path_factory.mktemp("lines") / "t.jsonl"
    line = json.dumps(record, ensure_ascii=random.Random(len(str(record))).random() < 0.5)
    path.write_text(line + "\n", encoding="utf-8", errors="surrogatepass")
    (_, read), = read_jsonl(path)
    assert _same(read, _standard(line.encode("utf-8", "surrogatepass")))


def test_a_second_pass_reads_the_long_numbers_the_first_found_and_checks_lines_beyond(tmp_path):
    path = _lines(tmp_path, [b'{"a": 1}\n', b'{"big": 123456789012345678901234567890}\n'])
    found = LongNumbers()
    assert [record for _, record in read_jsonl(path, found)] == [{"a": 1}, {"big": 123456789012345678901234567890}]
    assert (found.checked, found.lines) == (2, {2})
    with path.open("ab") as more:  # the file grew between the passes
        more.write(b'{"more": -98765432109876543210}\n')
    assert [record for _, record in read_jsonl(path, found)][1:] == [
        {"big": 123456789012345678901234567890}, {"more": -98765432109876543210}]
    assert (found.checked, found.lines) == (3, {2, 3})


def test_a_claude_code_session_keeps_the_exact_numbers_of_its_records(tmp_path):
    record = {"type": "user", "sessionId": "abc", "cwd": "/w", "version": 123456789012345678901234567890,
              "timestamp": "2026-01-01T00:00:00Z", "message": {"role": "user", "content": "hi"}}
    answer = {"type": "assistant", "sessionId": "abc", "timestamp": "2026-01-01T00:00:01Z",
              "message": {"id": "m1", "model": "claude", "role": "assistant", "usage": {"output_tokens": 3},
                          "content": [{"type": "tool_use", "id": "t1", "name": "Bash",
                                       "input": {"n": 98765432109876543210987}}]}}
    path = _lines(tmp_path, [json.dumps(record).encode() + b"\n", json.dumps(answer).encode() + b"\n"])
    events = list(convert(path, "d" * 64))
    assert events[0]["settings"]["source_version"] == 123456789012345678901234567890
    requested = next(e for e in events if e["type"] == "tool_call_requested")
    assert requested["arguments_raw"] == '{"n": 98765432109876543210987}'


def _integers(value):
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _integers(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _integers(item)


_DIGITS_IN_TEXT = st.text(alphabet="0123456789_.-aZ \"", max_size=30)  # ids, versions, numbers written in text


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(_DIGITS_IN_TEXT, st.recursive(
    st.integers(min_value=-(2**80), max_value=2**80) | _DIGITS_IN_TEXT | st.floats(allow_nan=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_DIGITS_IN_TEXT, inner, max_size=3), max_leaves=8),
    max_size=4), st.sampled_from([(", ", ": "), (",", ":"), (" , ", " :  ")]))
def test_every_line_with_an_integer_beyond_64_bits_is_found(record, separators):
    """The quick test may take a line for the standard library that did not need it, never the other way round."""
    line = json.dumps(record, separators=separators).encode()
    if any(n < -(2**63) or n >= 2**64 for n in _integers(record)):
        assert may_hold_long_integer(line)


@pytest.mark.parametrize(("line", "found"), [
    (b'{"requestId": "req_000000000000000000000000"}', False),  # digits inside an id: orjson reads the line
    (b'{"sha": "a1234567890123456789012345678"}', False),
    (b'{"v": "1.2.12345678901234567890"}', False),
    (b'{"f": 0.12345678901234567890123}', False),  # a float's fraction: both parsers read it alike
    (b'{"n": 12345678901234567890123}', True),
    (b'{"n":[-12345678901234567890123]}', True),
    (b'{"t": "12345678901234567890123"}', True),  # a quote before it: taken as a number (only slower)
    (b'{"n": 123456789012345678}', False),  # 18 digits fit 64 bits
])
def test_digits_inside_an_id_do_not_send_a_line_the_slow_way(tmp_path, line, found):
    assert may_hold_long_integer(line) is found
    (_, record), = read_jsonl(_lines(tmp_path, [line + b"\n"]))
    assert _same(record, _standard(line))

