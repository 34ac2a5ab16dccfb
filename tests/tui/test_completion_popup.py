"""The completion popup above the prompt: it opens as you type "/", filters live, and
Up/Down/Tab/Enter/Esc act on it; Esc closes it without interrupting anything."""

from __future__ import annotations

from app.tui.completion import SourceCompleter, token_start
from tests.tui.conftest import wait_until
from tests.tui.slash_support import opened
from widgets.completion_menu import Candidate, CompletionMenu


def labels(app) -> list[str]:
    return [c.label.split()[0] for c in app.query_one(CompletionMenu).candidates]


def menu(app) -> CompletionMenu:
    return app.query_one(CompletionMenu)


async def type_(pilot, text: str) -> None:
    pilot.app.prompt.focus()
    await pilot.press(*text)


async def wait_menu(pilot, app, expected: list[str]) -> None:
    await wait_until(pilot, lambda: menu(app).is_open and labels(app) == expected, what=f"the menu to show {expected}")


async def test_typing_slash_co_shows_compact_context_cost_and_tab_completes(harness):
    h = harness([])
    async with opened(h, size=(100, 30)) as (app, pilot):
        await type_(pilot, "/co")
        await wait_menu(pilot, app, ["/compact", "/context", "/cost"])
        assert menu(app).display and menu(app).region.bottom == app.prompt.region.y  # just above the prompt
        await pilot.press("down")
        assert menu(app).highlighted.label == "/context"
        await pilot.press("tab")
        assert app.prompt.text == "/context "
        assert app.prompt.has_focus  # Tab went to the menu, not to the next widget
        await wait_until(pilot, lambda: not menu(app).is_open, what="the menu to close")


async def test_typing_filters_live_and_up_wraps(harness):
    h = harness([])
    async with opened(h, size=(100, 30)) as (app, pilot):
        await type_(pilot, "/")
        await wait_until(pilot, lambda: menu(app).is_open and len(menu(app).candidates) > 8, what="every command")
        assert menu(app).region.height == 8  # eight rows at most; the rest scroll
        await pilot.press("up")  # wraps to the last
        assert menu(app).index == len(menu(app).candidates) - 1
        await type_(pilot, "ex")
        await wait_menu(pilot, app, ["/exit", "/export", "/context"])  # names, then the rest


async def test_esc_closes_the_menu_and_interrupts_nothing(harness):
    h = harness([])
    async with opened(h, size=(100, 30)) as (app, pilot):
        interrupted = []
        app.runner.interrupt = lambda: interrupted.append(True) or False
        await type_(pilot, "/he")
        await wait_menu(pilot, app, ["/help"])
        await pilot.press("escape")
        assert not menu(app).is_open and not interrupted
        assert app.prompt.text == "/he"
        await pilot.press("l")  # typing again opens it again
        await wait_menu(pilot, app, ["/help"])
        await pilot.press("escape", "escape")  # the second Esc is the app's again
        assert interrupted == [True]
        await pilot.press("backspace")
        await wait_menu(pilot, app, ["/help"])
        app.prompt.blur()  # the menu goes with the focus
        await wait_until(pilot, lambda: not menu(app).is_open, what="the menu to close")


async def test_enter_on_a_typed_out_command_runs_it(harness):
    h = harness([])
    async with opened(h, size=(100, 30)) as (app, pilot):
        await type_(pilot, "/cos")
        await wait_menu(pilot, app, ["/cost"])
        await pilot.press("enter")  # accepts: "/cost "
        assert app.prompt.text == "/cost "
        await type_(pilot, "/hel")
        app.prompt.text = "/help"
        app.prompt.move_cursor((0, 5))
        await wait_menu(pilot, app, ["/help"])
        await pilot.press("enter")  # already typed out: it runs
        await wait_until(pilot, lambda: app.prompt.text == "", what="/help to run")


def test_slash_counts_only_at_the_start_and_at_after_whitespace():
    assert token_start("/co", 3, "/") == 0
    assert token_start("say /co", 7, "/") is None
    assert token_start("//co", 4, "/") is None
    assert token_start("/compact now", 12, "/") is None  # past the command's word
    assert token_start("look at @src/a", 14, "@") == 8
    assert token_start("mail a@b", 8, "@") is None
    assert token_start("@x", 2, "@") == 0


def test_the_first_source_with_candidates_answers_with_the_token_span():
    class Mentions:
        trigger = "@"

        def candidates(self, token: str, limit: int) -> list[Candidate]:
            return [Candidate(f"@{token}.py", f"@{token}.py ")]

    completion = SourceCompleter([Mentions()]).complete("read @app now", 8)
    assert (completion.start, completion.end) == (5, 9)  # the whole word, the cursor sits inside it
    assert completion.candidates[0].insert == "@ap.py "


async def test_a_mention_on_a_later_line_is_replaced_where_it_is(harness):
    class Files:
        trigger = "@"

        def candidates(self, token: str, limit: int) -> list[Candidate]:
            return [Candidate("@app/main.py", "@app/main.py ", "file")] if "app".startswith(token) else []

    h = harness([])
    async with opened(h, size=(100, 30)) as (app, pilot):
        app.prompt.attach_completion(menu(app), SourceCompleter([Files()]))
        app.prompt.focus()
        await pilot.press(*"first line", "ctrl+j", *"see @ap")
        await wait_until(pilot, lambda: menu(app).is_open, what="the menu")
        await pilot.press("tab")
        assert app.prompt.text == "first line\nsee @app/main.py "
        assert app.prompt.cursor_location == (1, len("see @app/main.py "))


async def test_a_recalled_command_opens_no_menu_so_up_keeps_walking_the_history(harness):
    h = harness([])
    async with opened(h, size=(100, 30)) as (app, pilot):
        app.prompt.sent_history.add("/cost")
        app.prompt.sent_history.add("/help")
        app.prompt.focus()
        await pilot.press("up")
        assert app.prompt.text == "/help"
        await pilot.press("up")
        assert app.prompt.text == "/cost"
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not menu(app).is_open
        await pilot.press("backspace", "backspace")  # edited: the menu is back
        await wait_menu(pilot, app, ["/compact", "/context", "/cost"])


def footer(app) -> list[str]:
    from textual.widgets._footer import FooterKey

    return [key.description for key in app.screen.query(FooterKey)]


async def test_the_footer_names_the_menus_keys_while_it_is_open_and_they_can_be_remapped(harness):
    h = harness([])
    async with opened(h, size=(160, 45), keymap={"prompt.complete": "ctrl+l"}) as (app, pilot):
        assert "Complete" not in footer(app) and "Stop" in footer(app)
        await type_(pilot, "/exp")
        await wait_menu(pilot, app, ["/export"])
        await wait_until(pilot, lambda: "Complete" in footer(app), what="the footer to show the menu's keys")
        assert "Close menu" in footer(app) and "Stop" not in footer(app)  # Esc closes the menu first
        await pilot.press("ctrl+l")
        assert app.prompt.text == "/export "
        await wait_until(pilot, lambda: "Complete" not in footer(app), what="the footer to drop them")
