"""Change model… with a model that cannot be called: the session and the old model stay, a notification says why."""

from __future__ import annotations

import pytest

from tests.tui.conftest import type_and_send, wait_idle, wait_open, wait_until


def _notices(app) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications]


@pytest.mark.parametrize("typo, reason", [
    ("scripted/doesnotexist.json", "no script at doesnotexist.json"),
    ("nonsense-model", "litellm knows no provider for it"),
], ids=["missing-script", "unknown-provider"])
async def test_a_failed_switch_keeps_the_session_and_the_old_model(harness, warm_imports, typo, reason):
    h = harness([{"text": "first answer"}, {"text": "second answer"}], session_ids=["aaaa000000000000"])
    app = h.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await type_and_send(pilot, "hi")
        await wait_idle(pilot, app, h)
        session, model = app.session, app.session.agent.model.name
        [command] = [c for c in app.palette.commands() if c.title == "Change model…"]
        command.callback()
        await pilot.pause()
        app.screen.query_one("Input").value = typo
        await pilot.press("enter")
        await wait_until(pilot, lambda: any(reason in n for n in _notices(app)), what="the notification")
        [notice] = [n for n in _notices(app) if reason in n]
        assert notice.startswith("Model not changed:") and f"Still using {model}." in notice
        assert app.session is session and app.session.agent.model.name == model
        assert h.session_row("aaaa000000000000")["status"] == "running"
        await type_and_send(pilot, "again")  # the conversation goes on with the old model
        await wait_idle(pilot, app, h, turns=2)
        assert app.transcript.assistant_messages[-1].text == "second answer"


def test_the_picker_never_saves_a_model_that_cannot_be_called(cockpit_home, workspace, tmp_path, write_script,
                                                              monkeypatch):
    """With no model configured, the first one picked becomes the default — only once a session was built with it."""
    from app.agent.approvals import HeadlessApprover
    from app.model_check import InvalidModel
    from app.runtime import RunOptions
    from app.settings import load_settings
    from app.tui.main import LazyStore, SessionMaker

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    options = RunOptions(workspace=workspace, db_path=tmp_path / "c.db")
    stores = LazyStore()
    stores.options = options
    maker = SessionMaker(load_settings(), options, None, stores)
    config = cockpit_home / "config.toml"
    for typo in ("nonsense-model", "scripted/doesnotexist.json", "openai/gpt-4.1"):  # the last: no OPENAI_API_KEY
        with pytest.raises(InvalidModel):
            maker(HeadlessApprover(False), model=typo)
        assert not config.exists()
    good = write_script([{"text": "ok"}])
    session = maker(HeadlessApprover(False), model=good)
    assert session.agent.model.name == good
    assert config.read_text().strip() == f'model = "{good}"'
    stores.get()[0].close()


def _maker(tmp_path, workspace, choice=None):
    from app.runtime import RunOptions
    from app.settings import load_settings
    from app.tui.main import LazyStore, SessionMaker

    options = RunOptions(workspace=workspace, db_path=tmp_path / "c.db")
    stores = LazyStore()
    stores.options = options
    return SessionMaker(load_settings(), options, choice, stores), stores


def test_a_configured_model_that_cannot_be_called_fails_the_session_naming_file_and_key(cockpit_home, workspace,
                                                                                         tmp_path):
    from app.agent.approvals import HeadlessApprover
    from app.model_check import InvalidModel

    cockpit_home.mkdir(parents=True, exist_ok=True)
    config = cockpit_home / "config.toml"
    config.write_text('theme = "nord"\nmodel = "nonsense-model"\n')
    maker, stores = _maker(tmp_path, workspace)
    with pytest.raises(InvalidModel, match=f"^{config}:2: model 'nonsense-model': litellm knows no provider"):
        maker(HeadlessApprover(False))
    stores.get()[0].close()


def test_unknown_config_keys_are_notices_of_the_first_session(cockpit_home, workspace, tmp_path, write_script):
    from app.agent.approvals import HeadlessApprover

    cockpit_home.mkdir(parents=True, exist_ok=True)
    config = cockpit_home / "config.toml"
    config.write_text(f'model = "{write_script([])}"\n\n[agent]\nmax_stepz = 3\n')
    maker, stores = _maker(tmp_path, workspace)
    first = maker(HeadlessApprover(False))
    assert [(n.level, n.message) for n in first.notices] == [
        ("warning", f"{config}:4: [agent] max_stepz is not a setting (ignored); did you mean max_steps?")]
    assert maker(HeadlessApprover(False)).notices == ()  # said once
    stores.get()[0].close()
