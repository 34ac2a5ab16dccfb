"""A bad [keys] entry or theme is a short notice that says the file and line."""

from __future__ import annotations

import pytest

from app.settings import load_settings
from app.tui.keys import keymap_from_settings


@pytest.fixture
def config(cockpit_home):
    """``config(text)`` → the settings read from a config file holding ``text`` (its path: ``settings.path``)."""

    def write(text: str):
        cockpit_home.mkdir(parents=True, exist_ok=True)
        path = cockpit_home / "config.toml"
        path.write_text(text)
        return load_settings(path)

    return write


def test_a_bad_keys_entry_names_the_file_and_line(config):
    settings = config('theme = "nord"\n\n[keys]\ntoggle-pane = "f5"\ninterrupt = 3\n"prompt.send" = "ctrl+s"\n')
    path = settings.path
    keymap, problems = keymap_from_settings(settings.keys, lambda key: settings.locate("keys", key))
    assert keymap == {"prompt.send": "ctrl+s", "prompt.queue": "ctrl+s"}
    assert problems == [
        f"{path}:4: [keys] toggle-pane is no binding (ignored); did you mean toggle-panes?",
        f'{path}:5: [keys] interrupt must be a key as a string, e.g. "ctrl+b" (got 3; ignored)',
    ]
    assert all(len(problem) - len(str(path)) < 90 for problem in problems)  # short: no list of every binding


async def test_an_unknown_theme_names_the_file_and_line(harness, config):
    settings = config('model = "x"\ntheme = "nordd"\n')
    path = settings.path
    app = harness([]).app(theme=settings.theme)
    app.saved_theme.origin = settings.locate("", "theme")  # as app/tui/main.py does
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        messages = [str(n.message) for n in app._notifications]
        expected = f"{path}:2: theme 'nordd' is not a Textual theme (did you mean nord?); using textual-dark"
        assert expected in messages


async def test_a_startup_notice_is_shown_as_text_not_markup(harness):
    """``[keys]`` in a notice is the table's name: Rich markup would swallow it."""
    app = harness([]).app(startup_notices=["config.toml:7: [keys] toggle-pane is no binding (ignored)"])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        [notice] = [n for n in app._notifications if "toggle-pane" in n.message]
        assert notice.markup is False


def test_a_bad_ui_entry_names_the_file_and_line(config):
    from app.tui.main import _transcript_turns

    settings = config("[ui]\ncolour = 1\ntranscript_turns = 0\n")
    path = settings.path
    turns, problems = _transcript_turns(settings.ui, lambda key: settings.locate("ui", key))
    assert turns == 20
    assert problems == [f"{path}:2: [ui] colour is not a setting (ignored); known: transcript_turns",
                        f"{path}:3: [ui] transcript_turns must be ≥ 1 (got 0); using 20"]


def test_a_value_that_is_not_a_key_is_a_notice_and_the_default_stays(config):
    """Textual would bind ``notakey+++`` to nothing and Ctrl+P would be gone from the palette key."""
    settings = config('[keys]\npalette = "notakey+++"\ninterrupt = "Escape, F2"\n"prompt.newline" = "ctrl+j,shft+enter"\n')
    path = settings.path
    keymap, problems = keymap_from_settings(settings.keys, lambda key: settings.locate("keys", key))
    assert keymap == {"interrupt": "escape,f2"}  # as Textual names the keys in its events
    assert problems == [
        f"{path}:2: [keys] palette 'notakey+++' is not a key (ignored; ctrl+p stays); keys look like \"ctrl+b\", \"f2\", \"escape\"",
        f"{path}:4: [keys] prompt.newline 'shft+enter' is not a key (ignored; the default key stays); "
        'keys look like "ctrl+b", "f2", "escape"',
    ]


@pytest.mark.parametrize(("value", "key"), [
    ("ctrl+p", "ctrl+p"), ("Ctrl+P", "ctrl+p"), ("shift+ctrl+up", "ctrl+shift+up"), ("f12", "f12"), ("?", "?"),
    ("ctrl+?", "ctrl+question_mark"), ("alt+left", "alt+left"), ("space", "space"), ("slash", "slash"),
    ("notakey+++", None), ("ctrl+", None), ("ctrl+ctrl+a", None), ("pgup", None), ("a+b", None), ("", None),
])
def test_a_key_is_read_as_textual_names_it(value, key):
    from app.tui.keys import normal_key

    assert normal_key(value) == key


def test_every_binding_id_can_be_remapped():
    """Each binding with an id in app/ and widgets/ is in the known ids (the README's Keys section is made from them)."""
    from tests.tui.key_ids import binding_ids_in_code

    from app.tui.keys import DERIVED_BINDING_IDS, known_binding_ids

    assert binding_ids_in_code() - set(DERIVED_BINDING_IDS) == known_binding_ids()


async def test_a_bad_key_value_is_a_startup_notice_and_ctrl_p_still_opens_the_palette(harness, config):
    from textual.command import CommandPalette

    settings = config('[keys]\npalette = "notakey+++"\n')
    keymap, problems = keymap_from_settings(settings.keys, lambda key: settings.locate("keys", key))
    app = harness([]).app(keymap=keymap, startup_notices=problems)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert any(f"{settings.path}:2: [keys] palette" in n.message for n in app._notifications)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)


def test_the_readme_keys_section_lists_every_binding_id():
    import re

    from app.tui.keys import known_binding_ids
    from tests.tui.key_ids import ROOT

    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Keys\n", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `([^`]+)` \|", section, flags=re.MULTILINE))
    assert listed == known_binding_ids()
