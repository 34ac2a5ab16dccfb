"""The config file's problems name the file, table, key and line; models are checked before use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from app.settings import key_lines, load_settings

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def config(cockpit_home):
    def write(text: str) -> Path:
        cockpit_home.mkdir(parents=True, exist_ok=True)
        path = cockpit_home / "config.toml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def answer(write_script):
    return write_script([{"text": "done"}])


def test_key_lines_finds_each_key_in_its_table():
    text = (
        'model = "m"\n'            # 1
        "# max_steps = 1\n"        # 2: a comment is no key
        "\n"
        "[agent]\n"                # 4
        "max_stepz = 3\n"          # 5
        '  "max_cost_usd" = 2\n'   # 6: quoted, indented
        '[pricing."openai/x"]\n'   # 7
        "input_per_mtok = 1\n"     # 8
        "[keys]\n"                 # 9
        '"prompt.send" = "x"\n'    # 10: a dotted name in quotes is one key
        "[budget]\n"               # 11
        "warn_at = 0.7\n"          # 12
    )
    lines = key_lines(text)
    assert lines[("", "model")] == 1 and ("", "max_steps") not in lines
    assert lines[("agent", "")] == 4 and lines[("agent", "max_stepz")] == 5 and lines[("agent", "max_cost_usd")] == 6
    assert lines[("pricing", "openai/x")] == 7
    assert lines[("keys", "prompt.send")] == 10
    assert lines[("budget", "warn_at")] == 12


def test_a_dotted_key_at_the_top_is_found_in_its_table():
    assert key_lines("agent.max_steps = 3\n")[("agent", "max_steps")] == 1


@pytest.mark.parametrize("text, where", [
    ("[agent]\nmax_steps = -3\n", ":2: [agent] max_steps must be ≥ 1 (got -3)"),
    ("[agent]\nmax_steps = 0\n", ":2: [agent] max_steps must be ≥ 1"),
    ('[agent]\nmax_steps = "many"\n', ":2: [agent] max_steps must be a whole number"),
    ("[agent]\n\nmax_cost_usd = -1\n", ":3: [agent] max_cost_usd must be > 0"),
    ("[agent]\nmax_wall_s = 0\n", ":2: [agent] max_wall_s must be > 0"),
    ("[agent]\ntool_timeout_s = 0\n", ":2: [agent] tool_timeout_s must be > 0"),
    ("[agent]\noutput_cap_chars = 0\n", ":2: [agent] output_cap_chars must be ≥ 1"),
    ("[agent]\nmax_output_tokens = 0\n", ":2: [agent] max_output_tokens must be ≥ 1"),
    ("[agent]\nrequest_timeout_s = -5\n", ":2: [agent] request_timeout_s must be > 0"),
    ('[agent]\npermission_mode = "sometimes"\n', ":2: [agent] permission_mode must be one of"),
    ("feedback_rate = 3\n", ":1: feedback_rate must be between 0 and 1 (got 3)"),
    ('model = "x"\ntheme = 3\n', ":2: theme must be a non-empty string"),
    ("[feedback]\nrate = 3\n", ":2: [feedback] rate must be between 0 and 1 (got 3)"),
    ("[feedback]\nmin_n = 0\n", ":2: [feedback] min_n must be ≥ 1 (got 0)"),
    ("[budget]\nwarn_at = 0.9\ncompact_at = 0.5\n", ":2: [budget] warn_at must be ≤ compact_at (got 0.9 > 0.5)"),
    ("[budget]\ntop_items = 0\n", ":2: [budget] top_items must be ≥ 1 (got 0)"),
    ("[budget]\nwarn_at = 0\n", ":2: [budget] warn_at must be > 0 and ≤ 1 (got 0)"),
    ("[resilience]\nmax_attempts = 0\n", ":2: [resilience] max_attempts must be ≥ 1 (got 0)"),
    ("[resilience]\nretry_cost = -1\n", ":2: [resilience] retry_cost must be ≥ 0 (got -1)"),
    ("[checkpoints]\nmax_mb = 0\n", ":2: [checkpoints] max_mb must be > 0 (got 0)"),
    ('[pricing."x/y"]\ninput_per_mtok = -1\noutput_per_mtok = 1\n', ': [pricing."x/y"] input_per_mtok must be ≥ 0 (got -1)'),
    ('[sandbox]\nmode = "maybe"\n', ":2: [sandbox] mode must be one of"),
    ("agent = 3\n", ":1: agent must be a table"),
], ids=lambda value: value.splitlines()[-1] if "\n" in value else None)
def test_a_bad_config_value_names_the_file_table_key_and_line(capsys, config, workspace, answer, text, where):
    path = config(text)
    code, _, err = run_cli(capsys, "run", "go", "--model", answer, "--workspace", str(workspace))
    assert code == 2
    assert f"cockpit: {path}{where}" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_flag_wins_over_a_bad_config_value_only_when_the_config_is_valid(capsys, config, workspace, answer):
    config("[agent]\nmax_steps = -3\n")
    code, _, err = run_cli(capsys, "run", "go", "--model", answer, "--workspace", str(workspace), "--max-steps", "5")
    assert code == 2 and "config.toml:2: [agent] max_steps must be ≥ 1" in err  # the file is wrong, and says so


@pytest.mark.parametrize("text, warning", [
    ("[agent]\nmax_stepz = 4\n", "config.toml:2: [agent] max_stepz is not a setting (ignored); did you mean max_steps?"),
    ("[feedback]\n\nrat = 0.2\n", "config.toml:3: [feedback] rat is not a setting (ignored); did you mean rate?"),
    ("max_steps = 4\n", "config.toml:1: max_steps is not a setting (ignored); did you mean max_steps under [agent]?"),
    ('[agnet]\nmax_steps = 4\n', "config.toml:1: agnet is not a setting (ignored); did you mean [agent]?"),
    ("modle = 'x'\n", "config.toml:1: modle is not a setting (ignored); did you mean model?"),
], ids=["agent", "feedback", "top-level-agent-key", "table-typo", "top-level"])
def test_an_unknown_key_warns_with_a_close_match_and_the_line(capsys, config, workspace, answer, text, warning):
    config(text)
    code, out, err = run_cli(capsys, "run", "go", "--model", answer, "--workspace", str(workspace))
    assert code == 0, err
    assert f"cockpit: warning: " in err and warning in err


def test_every_numeric_agent_setting_has_a_range():
    from app.agent.config import BOUNDS, FLAGS, AgentConfig

    numeric = {name for name in AgentConfig.known_keys() if name != "permission_mode" and name not in FLAGS}
    assert set(BOUNDS) == numeric
    for name in numeric:
        with pytest.raises(ValueError, match=f"^{name} must be"):
            AgentConfig.from_dict({name: -1})
        AgentConfig.from_dict({name: 1})  # the lowest sensible value is taken


@pytest.mark.parametrize("flag", ["prompt_cache", "subagents"])
def test_a_true_or_false_agent_setting_takes_only_true_or_false(flag):
    from app.agent.config import FLAGS, AgentConfig

    assert flag in FLAGS and getattr(AgentConfig.from_dict({flag: True}), flag) is True
    with pytest.raises(ValueError, match=f"^{flag} must be true or false"):
        AgentConfig.from_dict({flag: 1})


def test_the_locator_falls_back_to_the_table_and_the_file(config):
    settings = load_settings(config("[agent]\nmax_steps = 3\n"))
    assert settings.where("agent", "max_steps").endswith("config.toml:2")
    assert settings.where("agent", "max_cost_usd").endswith("config.toml:1")  # not in the file: its table
    assert settings.where("budget", "warn_at").endswith("config.toml")  # neither: the file


# --- models -------------------------------------------------------------------------------


@pytest.fixture
def no_keys(monkeypatch):
    for name in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "OPENROUTER_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("model, reason", [
    ("nonsense-model", "--model 'nonsense-model': litellm knows no provider for it"),
    ("anthropic/claude-sonnet-4-5", "--model 'anthropic/claude-sonnet-4-5': the anthropic provider needs ANTHROPIC_API_KEY"),
    ("scripted/doesnotexist.json", "--model 'scripted/doesnotexist.json': no script at doesnotexist.json"),
], ids=["unknown-provider", "no-key", "no-script"])
def test_run_with_a_model_that_cannot_be_called_is_a_short_usage_error(capsys, no_keys, workspace, tmp_path, model, reason):
    db = tmp_path / "c.db"
    code, _, err = run_cli(capsys, "run", "hi", "--model", model, "--workspace", str(workspace), "--db", str(db))
    assert code == 2
    assert err.startswith(f"cockpit: {reason}") and len(err.strip().splitlines()) == 1


def test_a_configured_model_that_cannot_be_called_names_the_file_and_key(capsys, no_keys, config, workspace):
    path = config('theme = "nord"\nmodel = "nonsense-model"\n')
    code, _, err = run_cli(capsys, "run", "hi", "--workspace", str(workspace))
    assert code == 2 and err.startswith(f"cockpit: {path}:2: model 'nonsense-model': litellm knows no provider")


def test_an_openai_compatible_server_needs_no_key(no_keys):
    from app.model_check import check_model

    check_model("openai/my-model", "http://127.0.0.1:8000/v1")  # no OPENAI_API_KEY: fine with an api_base
    check_model("ollama_chat/llama3.1")  # Ollama has a default address


def test_the_nonsense_model_in_a_real_process_is_one_line_and_exit_2(tmp_path, workspace):
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update(COCKPIT_HOME=str(tmp_path / "home"), PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "app", "run", "hi", "--model", "nonsense-model", "--workspace",
                             str(workspace)], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "cockpit: --model 'nonsense-model': litellm knows no provider for it; write provider/model, e.g. "
        "anthropic/claude-sonnet-4-5, openai/gpt-4.1, ollama_chat/llama3.1 or scripted/<file.json>"
    ]


def test_a_headless_run_warns_of_the_tuis_theme_and_keys_problems(capsys, config, workspace, answer):
    path = config('theme = "gruvbx"\n\n[keys]\npalette = "notakey+++"\n')
    code, _, err = run_cli(capsys, "run", "go", "--model", answer, "--workspace", str(workspace))
    assert code == 0, err
    assert f"cockpit: warning: {path}:4: [keys] palette 'notakey+++' is not a key (ignored; ctrl+p stays)" in err
    assert f"cockpit: warning: {path}:1: theme 'gruvbx' is not a Textual theme (did you mean gruvbox?)" in err


@pytest.mark.parametrize("config", ["[agent]\nmax_steps = 5\n", 'theme = "gruvbox"\n'])  # a theme the TUI saved
def test_a_headless_run_loads_textual_only_when_the_config_sets_keys_or_an_unknown_theme(
        tmp_path, workspace, answer, config):
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text(config, encoding="utf-8")
    code = ("import sys; from app.cli import main; "
            f"main(['run', 'go', '--model', {answer!r}, '--workspace', {str(workspace)!r}, '--db', {str(tmp_path / 'c.db')!r}]); "
            "print('textual' in sys.modules)")
    env = {**os.environ, "COCKPIT_HOME": str(home), "PYTHONPATH": str(ROOT)}
    env.pop("COCKPIT_CONFIG", None)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr


def test_the_theme_names_checked_without_textual_are_textuals_own():
    from textual.theme import BUILTIN_THEMES

    from app.config_check import TEXTUAL_THEMES

    assert TEXTUAL_THEMES == set(BUILTIN_THEMES)
