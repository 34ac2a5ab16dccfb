"""``[roles]``: everything off by default, each bad value named, and ``cockpit config check`` knows it."""

from __future__ import annotations

import pytest

from app.agent.roles.config import RolesConfig
from app.config_check import check_settings
from app.settings import ConfigError, load_settings


def test_every_role_is_off_by_default():
    config = RolesConfig.from_dict({})
    assert not config.active and not config.router.enabled and config.verifier.mode == "off"
    assert config.max_verify_rounds == 2 and config.escalate_to is None


def test_one_setting_turns_routing_on():
    assert RolesConfig.from_dict({"router": {"enabled": True}}).active


@pytest.mark.parametrize("data, message", [
    ({"router": {"enabled": "yes"}}, "router.enabled must be true or false"),
    ({"router": {"max_tokens": 0}}, "router.max_tokens must be ≥ 1 (got 0)"),
    ({"router": {"rules": [{"pattern": "(", "class": "debugging"}]}}, "router.rules[1] pattern is not a regular"),
    ({"router": {"rules": [{"pattern": "x"}]}}, "router.rules[1] must be"),
    ({"router": {"classes": {"debugging": {"max_stepz": 3}}}}, "router.classes.debugging.max_stepz is not a setting"),
    ({"router": {"modle": "x"}}, "router.modle is not a setting of [roles.router]"),
    ({"verifier": {"mode": "always"}}, "verifier.mode must be one of off, tests, model, both"),
    ({"verifier": {"mode": "model"}}, "verifier.model must be set for mode 'model'"),
    ({"verifier": {"test_timeout_s": 0}}, "verifier.test_timeout_s must be > 0"),
    ({"max_verify_rounds": 0}, "max_verify_rounds must be between 1 and 10 (got 0)"),
    ({"escalate_to": ""}, "escalate_to must be a non-empty string"),
])
def test_a_bad_value_is_named(data, message):
    with pytest.raises(ValueError) as caught:
        RolesConfig.from_dict(data)
    assert message in str(caught.value)


def test_config_check_blames_the_file_and_line_and_warns_of_an_unknown_key(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[roles]\nescalate_tu = "x"\n\n[roles.verifier]\nmode = "sometimes"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        check_settings(load_settings(path))
    assert str(caught.value).startswith(f"{path}:4: [roles] verifier.mode must be one of")
    path.write_text('[roles]\nescalate_tu = "x"\n', encoding="utf-8")
    (warning,) = check_settings(load_settings(path))
    assert "escalate_tu is not a setting" in warning and "escalate_to" in warning
