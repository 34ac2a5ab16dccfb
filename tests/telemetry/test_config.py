"""Export is off by default and on with the standard OTLP variables (or ``[telemetry]``)."""

from __future__ import annotations

import json

import pytest

from app.telemetry.config import TelemetryConfig
from tests.support.cli import run_cli
from tests.telemetry.receiver import Receiver


def test_off_without_an_endpoint():
    assert TelemetryConfig.from_settings({}, {}) is None


def test_the_variables_win_over_the_file_and_name_the_traces_path():
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/", "OTEL_EXPORTER_OTLP_HEADERS": "x-team=a%20b,Auth=k1"}
    config = TelemetryConfig.from_settings({"endpoint": "http://file:4318", "headers": {"x-file": "1"}}, env)
    assert config is not None and config.endpoint == "http://collector:4318/v1/traces"
    assert config.headers == {"x-file": "1", "x-team": "a b", "auth": "k1"}
    traces = TelemetryConfig.from_settings({}, {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/custom"})
    assert traces is not None and traces.endpoint == "http://c:4318/custom"  # used as it is, as the spec says


@pytest.mark.parametrize("table, message", [({"nope": 1}, "unknown key 'nope'"), ({"endpoint": "http://x", "content": "yes"},
                                            "content must be true or false"), ({"endpoint": "http://x", "max_queue": 0},
                                            "max_queue must be a whole number")])
def test_a_bad_table_says_what_is_wrong(table, message):
    with pytest.raises(ValueError, match=message):
        TelemetryConfig.from_settings(table, {})


def test_cockpit_run_exports_with_the_standard_variables(tmp_path, capsys, monkeypatch, workspace):
    script = tmp_path / "s.json"
    script.write_text(json.dumps([{"text": "hi"}]))
    with Receiver() as receiver:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-team-key=abc")
        monkeypatch.setenv("OTEL_SERVICE_NAME", "cockpit-ci")
        code, _, err = run_cli(capsys, "run", "hello", "--model", f"scripted/{script}", "--workspace", str(workspace))
        assert code == 0, err
        from app.telemetry.exporter import process_export

        config = TelemetryConfig.from_settings({})
        assert config is not None and process_export(config).flush(20)
        names = sorted(s.name for s in receiver.spans)
        assert names[-1] == "turn" and names[0].startswith("chat ") and "invoke_agent cockpit" in names
        assert {s.service for s in receiver.spans} == {"cockpit-ci"}
        assert all(r["x-team-key"] == "abc" and r[":path"] == "/v1/traces" for r in receiver.requests)
        assert all(r["content-type"] == "application/x-protobuf" for r in receiver.requests)


def test_a_bad_telemetry_table_is_a_config_error_naming_the_file(tmp_path, capsys, cockpit_home, workspace):
    cockpit_home.mkdir(parents=True, exist_ok=True)
    (cockpit_home / "config.toml").write_text('[telemetry]\nendpoint = "http://127.0.0.1:9"\nmax_queue = -1\n')
    script = tmp_path / "s.json"
    script.write_text(json.dumps([{"text": "hi"}]))
    code, _, err = run_cli(capsys, "run", "hello", "--model", f"scripted/{script}", "--workspace", str(workspace))
    assert code == 2 and "config.toml: [telemetry] max_queue must be a whole number" in err
