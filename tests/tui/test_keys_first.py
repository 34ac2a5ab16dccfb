"""Keys before frames (app/tui/keys_first.py): while a key the driver sent is on its way to the prompt,
the screen's refresh timer ticks by without refreshing; once the key is handled (by the prompt, by a
binding, or passed to another widget) the next tick refreshes; no key holds the screen longer than HOLD_S."""

from __future__ import annotations

from textual import events

from app.tui.keys_first import HOLD_S, KeysFirst, KeysFirstScreen
from tests.tui.conftest import wait_open, wait_until
from tests.tui.helpers import resumed_synthetic_app


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_key_holds_frames_until_handled():
    clock = Clock()
    keys = KeysFirst(clock)
    first, second = events.Key("a", "a"), events.Key("b", "b")
    assert not keys.holds_frame()
    keys.arrived(first)
    keys.arrived(second)
    assert keys.holds_frame() and keys.waiting == 2
    keys.handled(first)
    assert keys.holds_frame() and keys.waiting == 1
    keys.handled(second)
    assert not keys.holds_frame() and keys.waiting == 0


def test_no_key_holds_frames_longer_than_the_limit():
    clock = Clock()
    keys = KeysFirst(clock)
    keys.arrived(events.Key("a", "a"))
    clock.now += HOLD_S * 0.9
    keys.arrived(events.Key("b", "b"))
    assert keys.holds_frame() and keys.waiting == 2
    clock.now += HOLD_S * 0.2  # the first is older than the limit: forgotten
    assert keys.holds_frame() and keys.waiting == 1
    clock.now += HOLD_S
    assert not keys.holds_frame() and keys.waiting == 0


class Refreshes:
    """The screen's timer ticks and the refreshes they did (wrapping the screen's own methods)."""

    def __init__(self, screen: KeysFirstScreen) -> None:
        self.ticks = self.layouts = 0
        tick, layout = screen._on_timer_update, screen._refresh_layout

        def counted_tick() -> None:
            self.ticks += 1
            tick()

        def counted_layout(*args, **kwargs):
            self.layouts += 1
            return layout(*args, **kwargs)

        screen._refresh_layout = counted_layout
        screen._update_timer._callback = counted_tick  # the timer calls what it was given


async def test_the_screen_waits_for_a_key_on_its_way_to_the_prompt(harness):
    app = harness([{"text": "ok"}]).app(load_litellm=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_open(pilot, app)
        screen = app.screen
        assert isinstance(screen, KeysFirstScreen) and app.focused is app.prompt
        counted = Refreshes(screen)
        app.keys_first.clock = Clock()  # the key stays within the limit however slow the machine
        key = events.Key("x", "x")
        app.keys_first.arrived(key)  # as the driver's thread notes it, before the app has it
        app.transcript.refresh(layout=True)  # a layout falls due
        ticks = counted.ticks
        await wait_until(pilot, lambda: counted.ticks >= ticks + 3, what="three ticks of the screen's timer")
        assert counted.layouts == 0, "the screen refreshed while a key was on its way"
        app.post_message(key)
        await wait_until(pilot, lambda: app.prompt.text == "x", what="the key in the prompt")
        assert app.keys_first.waiting == 0
        await wait_until(pilot, lambda: counted.layouts >= 1, what="the refresh, once the key is in")


async def test_keys_the_driver_sends_are_counted_and_handled(harness, warm_imports):
    """Through the driver (as the terminal's keys come): to the prompt, to a binding, to another widget."""
    app = resumed_synthetic_app(harness)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_open(pilot, app)
        await wait_until(pilot, lambda: app.side.panes, what="the restored panes")
        await pilot.press("h", "i")
        await wait_until(pilot, lambda: app.prompt.text == "hi", what="the keys in the prompt")
        assert app.keys_first.waiting == 0
        await pilot.press("ctrl+t")  # an app binding: the budget list takes the focus
        await wait_until(pilot, lambda: app.focused is not app.prompt, what="the focus moved")
        await pilot.press("down")  # to the focused list, not the prompt
        await wait_until(pilot, lambda: app.keys_first.waiting == 0, what="every key handled")
        assert not app.keys_first.holds_frame()


async def test_a_key_that_arrives_while_the_screen_is_laid_out_goes_in_before_the_paint(harness):
    app = harness([{"text": "ok"}]).app(load_litellm=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_open(pilot, app)
        screen = app.screen
        app.keys_first.clock = Clock()
        compositor = screen._compositor
        reflow, render = compositor.reflow, compositor.render_update
        sent, painted = [], []

        def reflow_as_a_key_comes(*args, **kwargs):
            result = reflow(*args, **kwargs)
            if not sent:
                sent.append(events.Key("y", "y"))
                app._driver.send_message(sent[0])  # as the driver's thread would, mid-layout
            return result

        def render_update(*args, **kwargs):
            if sent:
                painted.append(app.prompt.text)
            return render(*args, **kwargs)

        compositor.reflow = reflow_as_a_key_comes
        compositor.render_update = render_update
        app.transcript.refresh(layout=True)
        await wait_until(pilot, lambda: painted, what="the layout painted")
        assert painted[0] == "y", "the layout was painted before the key that arrived during it went in"
        assert app.keys_first.waiting == 0
