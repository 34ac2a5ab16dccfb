"""No secret value anywhere Cockpit writes: a secret scan over real ``cockpit run`` sessions.

Secret-looking environment variables are set; scripted bash calls print them
(``env``, ``printenv``; and from a ``.env`` file in the workspace, for when the
command's sandbox does not pass them on: one straddling the output cap, a
cut-off prefix at the very end of an output). Then every table and column of the database (FTS shadow
tables included), every file under the data folder, the ``--json`` output and
every export format are scanned for any 12-character piece of a secret, in any
case (the full-text index lowercases what it stores).

Out of scope: a secret transformed before it is printed (``echo $GITHUB_TOKEN |
base64``, ``rev``) is not recognised by the redactor.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import string
from pathlib import Path

import pytest

from app.agent.tools.output import cap_output
from app.cli import main
from storage.redact import MIN_SECRET_LEN, Redactor

PIECE = 12  # characters of a secret that count as leaked
CAP = 1000  # output_cap_chars of these runs: the head of a capped output ends at 400 characters


def _random(n: int) -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(n))


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "OPENAI_API_KEY": "sk-proj-" + _random(48),
        "ANTHROPIC_API_KEY": "sk-ant-api03-" + _random(40),
        "GITHUB_TOKEN": "ghp_" + _random(36),
        "MY_SERVICE_SECRET": _random(24),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def _pieces(values: dict[str, str]) -> dict[str, str]:
    """Every PIECE-long window of every secret (lowercased) → the variable it comes from."""
    return {value[i : i + PIECE].lower(): name for name, value in values.items() for i in range(len(value) - PIECE + 1)}


def _leaks(text: str, pieces: dict[str, str]) -> set[str]:
    lowered = text.lower()
    return {name for piece, name in pieces.items() if piece in lowered}


def _scan_database(path: Path, pieces: dict[str, str]) -> dict[str, set[str]]:
    conn = sqlite3.connect(path)
    found: dict[str, set[str]] = {}
    try:
        tables = [r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")]
        for table in tables:
            columns = [r[1] for r in conn.execute(f"pragma table_info([{table}])")]
            for column in columns:
                for (value,) in conn.execute(f"select [{column}] from [{table}]"):
                    text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
                    if leaked := _leaks(text, pieces):
                        found.setdefault(f"{table}.{column}", set()).update(leaked)
    finally:
        conn.close()
    return found


def _scan_files(folder: Path, pieces: dict[str, str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if leaked := _leaks(path.read_bytes().decode("latin-1"), pieces):
            found[str(path.relative_to(folder))] = leaked
    return found


def _run(capsys, *argv: str) -> str:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def test_no_secret_reaches_the_database_the_data_folder_the_output_or_an_export(
    capsys, secret_env, cockpit_home, workspace, write_script, tmp_path
):
    cockpit_home.mkdir(parents=True, exist_ok=True)
    (cockpit_home / "config.toml").write_text(f"[agent]\noutput_cap_chars = {CAP}\n", encoding="utf-8")
    (workspace / ".env").write_text("".join(f"{k}={v}\n" for k, v in secret_env.items()), encoding="utf-8")
    bash = lambda command: {"tool_calls": [{"name": "bash", "arguments": {"command": command}}]}  # noqa: E731
    script = write_script([
        bash("env"),
        bash("printenv OPENAI_API_KEY; echo $ANTHROPIC_API_KEY; echo token=$GITHUB_TOKEN; cat .env"),
        # the key straddles the cut of the head (400 characters), and the output is capped
        bash("printf '%0390d' 0; printenv OPENAI_API_KEY || sed -n 's/^OPENAI_API_KEY=//p' .env; printf '%03000d' 0"),
        # a cut-off prefix at the very end of an output
        bash("sed -n 's/^MY_SERVICE_SECRET=//p' .env | head -c 16"),
        {"text": "Done."},
    ])
    outputs = []
    for task in ("show me the environment", "once more"):
        outputs.append(_run(capsys, "run", task, "--model", script, "--workspace", str(workspace), "--yes", "--json"))
    session_id = json.loads(outputs[0].splitlines()[0])["session_id"]
    for fmt in ("md", "json", "jsonl"):
        outputs.append(_run(capsys, "export", session_id, "--format", fmt))
        _run(capsys, "export", session_id, "--format", fmt, "--output", str(cockpit_home / f"export.{fmt}"))

    pieces = _pieces(secret_env)
    db_path = cockpit_home / "cockpit.db"
    assert db_path.exists()
    assert _scan_database(db_path, pieces) == {}
    assert _scan_files(cockpit_home, pieces) == {}
    assert {i: leaked for i, text in enumerate(outputs) if (leaked := _leaks(text, pieces))} == {}
    # what was there is still there, redacted
    events = [json.loads(line) for line in outputs[0].splitlines()]
    results = [e["result"] for e in events if e["type"] == "tool_call_finished"]
    assert "OPENAI_API_KEY=[redacted:OPENAI_API_KEY]" in results[1]
    assert "GITHUB_TOKEN=[redacted:GITHUB_TOKEN]" in results[1]
    assert "omitted from the middle" in results[2]
    assert results[3].startswith("[redacted:MY_SERVICE_SECRET…]")
    conn = sqlite3.connect(db_path)
    ledger = [json.loads(r[0]) for r in conn.execute("select result from resilience_idempotency")]
    conn.close()
    assert ledger and all("text" not in r and r["tool_call_id"] for r in ledger)  # a reference, not a copy


def test_a_secret_straddling_the_cap_is_scrubbed_before_the_cut():
    secret = "sk-" + _random(40)
    redactor = Redactor({"OPENAI_API_KEY": secret})
    text = "x" * 390 + secret + "y" * 3000
    capped, truncated = cap_output(redactor.scrub_text(text), CAP)
    assert truncated and secret[:8] not in capped and secret[-8:] not in capped
    # unscrubbed, the cut would leave the key's first characters behind
    assert secret[:8] in cap_output(text, CAP)[0]


@pytest.mark.parametrize("kept", [4, 10, 41])
def test_a_cut_off_piece_of_a_secret_at_either_end_of_a_text_goes_too(kept):
    secret = "ghp_" + _random(38)
    redactor = Redactor({"GITHUB_TOKEN": secret})
    assert redactor.scrub_text("out: " + secret[:kept]) == "out: [redacted:GITHUB_TOKEN…]"
    assert redactor.scrub_text(secret[-kept:] + " done") == "[…redacted:GITHUB_TOKEN] done"
    assert redactor.scrub_text("out: " + secret[:3]) == "out: " + secret[:3]  # too short to tell


def test_one_pass_replaces_the_longest_secret_first_and_json_escaped_forms():
    redactor = Redactor({"A_KEY": "abcdef", "B_KEY": "abcdefgh", "C_TOKEN": 'q"uo\\te1', "SHORT_KEY": "abc"})
    assert redactor.scrub_text("abcdefgh abcdef abc") == "[redacted:B_KEY] [redacted:A_KEY] abc"
    assert redactor.replace_secrets(json.dumps({"v": 'q"uo\\te1'})) == '{"v": "[redacted:C_TOKEN]"}'
    assert len("abc") < MIN_SECRET_LEN


def test_credential_keys_and_secret_names():
    redactor = Redactor.from_environment({"MY_SERVICE_SECRET": "s3cr3t-value", "HOME": "/root/home-dir", "PATH": "/usr/bin:/bin"})
    assert redactor.scrub({"api_key": "x", "max_tokens": 5, "note": "s3cr3t-value", "path": "/root/home-dir"}) == {
        "api_key": "[redacted]", "max_tokens": 5, "note": "[redacted:MY_SERVICE_SECRET]", "path": "/root/home-dir"}
    value, text = redactor.scrub_json({"arguments": {"password": "hunter22"}, "n": 1})
    assert value == {"arguments": {"password": "[redacted]"}, "n": 1} and json.loads(text) == value


def test_a_variable_that_names_a_location_is_not_a_secret():
    """TIKTOKEN_CACHE_DIR (litellm sets it at import) holds a path: it is shown as it is; a key is still a secret."""
    env = {"TIKTOKEN_CACHE_DIR": "/opt/venv/lib/tokenizers", "AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/token-file",
           "SSH_KEY_PATH": "/home/me/.ssh/id_ed25519", "OPENAI_API_KEY": "sk-live-123456", "GITHUB_TOKEN": "ghp_abcdef12"}
    redactor = Redactor.from_environment(env)
    assert {name for name, _ in redactor.secrets} == {"OPENAI_API_KEY", "GITHUB_TOKEN"}
    text = " ".join(env.values())
    assert redactor.scrub_text(text) == ("/opt/venv/lib/tokenizers /var/run/token-file /home/me/.ssh/id_ed25519 "
                                         "[redacted:OPENAI_API_KEY] [redacted:GITHUB_TOKEN]")
