"""``cockpit mcp list``: a definition count made by an approximate tokenizer is marked ≈ on its row."""

from __future__ import annotations

from app.cli import main
from tests.mcp.test_e2e import config_toml


def test_an_estimated_definition_count_is_marked_on_its_row(workspace, cockpit_home, capsys):
    config_toml(cockpit_home)  # no model: the characters / 4 estimate counts
    assert main(["mcp", "list", "--workspace", str(workspace)]) == 0
    lines = capsys.readouterr().out.splitlines()
    (row,) = [line for line in lines if line.startswith("t ")]
    assert "definition tokens counted with ≈ chars/4" in lines
    assert row.split()[-2].startswith("≈") and row.endswith(" tok")


def test_an_exact_definition_count_has_no_mark(workspace, cockpit_home, capsys):
    config_toml(cockpit_home)
    config = cockpit_home / "config.toml"
    config.write_text('model = "openai/gpt-4o"\n' + config.read_text(encoding="utf-8"), encoding="utf-8")  # tiktoken
    assert main(["mcp", "list", "--workspace", str(workspace)]) == 0
    lines = capsys.readouterr().out.splitlines()
    (row,) = [line for line in lines if line.startswith("t ")]
    assert not any("≈" in line for line in lines) and row.split()[-2][0].isdigit()
