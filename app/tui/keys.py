"""Key bindings: every one has an id, a tooltip, and can be remapped from the config.

Remap in the config file's ``[keys]`` table, binding id → key(s)::

    [keys]
    interrupt = "escape"
    toggle-panes = "f2"
    "prompt.newline" = "ctrl+j,shift+enter"

The ids are those below (app-wide), ``prompt.send`` / ``prompt.newline`` /
``prompt.history_search`` (the input) and ``approval.allow`` / ``approval.always`` /
``approval.always_project`` / ``approval.deny`` / ``approval.deny_reason`` (the
approval prompt), and the others in :data:`WIDGET_BINDING_IDS`. A value is checked the way
Textual reads it (:func:`key_problem`): one that is not a key is reported and the binding keeps
its default key.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from textual._keyboard_protocol import FUNCTIONAL_KEYS
from textual.binding import Binding
from textual.keys import KEY_NAME_REPLACEMENTS, Keys, _character_to_key, key_to_character

APP_BINDINGS = [
    Binding("escape", "interrupt", "Stop", id="interrupt",
            tooltip="Stop the running turn (the model stream and any running command); deny a pending approval; "
                    "with nothing running: back to the prompt"),
    Binding("ctrl+c", "quit_twice", "Quit", id="quit", priority=True,
            tooltip="Press twice to quit; the session is finished and stays stored"),
    Binding("ctrl+q", "quit", "Quit now", id="quit-now", priority=True, show=False,
            tooltip="Quit at once (a running turn is interrupted and stored as such)"),
    Binding("ctrl+p", "command_palette", "Commands", id="palette", priority=True, show=False,
            tooltip="New or resumed session, model, panes, export, permission mode, theme…"),
    Binding("ctrl+o", "open_sessions", "Sessions", id="sessions",
            tooltip="Browse, search, resume, replay, export or delete stored sessions"),
    Binding("ctrl+b", "toggle_panes", "Panes", id="toggle-panes",
            tooltip="Show or hide the side column (context budget, retries, feedback)"),
    Binding("shift+tab", "cycle_permission_mode", "Mode", id="permission-mode", priority=True, show=False,
            tooltip="Cycle the permission mode: ask → accept edits → plan (read-only) → ask"),
    Binding("alt+left", "panes_wider", "Wider panes", id="panes-wider", show=False,
            tooltip="Make the side column wider"),
    Binding("alt+right", "panes_narrower", "Narrower panes", id="panes-narrower", show=False,
            tooltip="Make the side column narrower"),
    Binding("ctrl+t", "focus_budget", "Budget", id="focus-budget", show=False,
            tooltip="Focus the Context budget list (d drop, t truncate, o open, c compact); again: back to the prompt"),
    Binding("ctrl+g", "focus('prompt')", "Prompt", id="focus-prompt", show=False,
            tooltip="Back to the prompt, from the panes or the transcript"),
    # priority: the prompt's TextArea would take ctrl+y as redo
    Binding("ctrl+y", "copy_last_answer", "Copy answer", id="copy-answer", priority=True, show=False,
            tooltip="Copy the last answer to the clipboard (OSC 52; the palette copies one of its code blocks)"),
    Binding("ctrl+f", "answer_feedback", "Feedback", id="answer-feedback", show=False,
            tooltip="Go to the feedback prompt on screen, to answer it with y / n / s"),
]

WIDGET_BINDING_IDS = (
    "prompt.send", "prompt.newline", "approval.allow", "approval.always", "approval.always_project", "approval.deny",
    "prompt.history_search", "approval.deny_reason", "prompt.complete", "prompt.close_completion",
    # the Sessions and Replay screens
    "sessions.open", "sessions.resume", "sessions.replay", "sessions.export", "sessions.delete", "sessions.search",
    "sessions.sort", "sessions.sort_reverse", "sessions.here", "sessions.close", "sessions.confirm_delete",
    "sessions.cancel_delete", "replay.back", "replay.forward", "replay.start", "replay.end", "replay.play",
    "replay.faster", "replay.slower", "replay.next_turn", "replay.prev_turn", "replay.next_error", "replay.prev_error",
    "replay.next_retry", "replay.prev_retry", "replay.next_compaction", "replay.prev_compaction", "replay.page_up",
    "replay.page_down", "replay.close", "replay.panes", "session_stopped.close",
    # the Context budget list and its help, the feedback prompt and screen, the checkpoint screens, the model prompt
    "context_budget.drop", "context_budget.truncate", "context_budget.open", "context_budget.compact",
    "context_budget.help", "context_budget_help.close", "context_budget_help.close_q", "context_budget_help.close_help",
    "feedback.up", "feedback.down", "feedback.skip", "feedback.dismiss", "feedback.close", "feedback.reload",
    "rewind.cancel", "checkpoints.keep", "checkpoints.overwrite", "diff.close", "model.cancel",
    "delegation.open", "replay.open_child",  # a delegated task's block in the transcript, its child in replay
    "report.close", "report.group", "report.range", "report.reload",  # the usage report screen
    "mcp_approval.approve_all", "mcp_approval.approve_checked", "mcp_approval.toggle",
    "mcp_approval.not_now",  # a project's MCP servers
    "import_offer.accept", "import_offer.decline",  # the first start with no model: import other agents' sessions
)
DERIVED_BINDING_IDS = ("prompt.queue",)  # follows prompt.send (Enter queues while the agent works)
MODIFIERS = ("alt", "ctrl", "hyper", "meta", "shift", "super")  # sorted: the order Textual names them in


def _key_names() -> set[str]:
    """Every key name (without modifiers) a Textual key event can carry, besides single characters."""
    names = {key.value.rpartition("+")[2] for key in Keys if not key.value.startswith("<")}
    return names | set(FUNCTIONAL_KEYS.values()) | set(KEY_NAME_REPLACEMENTS.values())


def normal_key(key: str) -> str | None:
    """``key`` ("Ctrl+B", "shift+ctrl+up", "f2", "?") as Textual names it in its key events, or None
    when it is not a key (an unknown name or modifier, a modifier twice, nothing after a ``+``)."""
    key = key.strip()
    if len(key) == 1:
        return key
    *modifiers, name = key.split("+")
    modifiers = [modifier.lower() for modifier in modifiers]
    if not name or len(set(modifiers)) != len(modifiers) or not set(modifiers) <= set(MODIFIERS):
        return None
    name = _character_to_key(name.lower()) if len(name) == 1 else name.lower()  # ctrl+? → ctrl+question_mark
    if len(name) != 1 and name not in _key_names() and key_to_character(name) is None:
        return None
    return "+".join([*sorted(modifiers), name])


def normal_keys(value: str) -> tuple[str, list[str]]:
    """A ``[keys]`` value ("ctrl+j,shift+enter") with each key as Textual names it, and the parts
    that are not keys."""
    parts = [part.strip() for part in value.split(",")]
    keys = [normal_key(part) for part in parts]
    return ",".join(key for key in keys if key), [part for part, key in zip(parts, keys) if key is None]


def known_binding_ids() -> set[str]:
    return {b.id for b in APP_BINDINGS if b.id} | set(WIDGET_BINDING_IDS)


def keymap_from_settings(
    keys: dict[str, Any], locate: Callable[[str], str] | None = None
) -> tuple[dict[str, str], list[str]]:
    """The ``[keys]`` table as a keymap, and short problems with it, each naming where it is.

    ``locate(binding_id)`` says where the entry is (``config.toml:12: [keys] toggle-pane``,
    :meth:`app.settings.Settings.locate`); without it, ``[keys] <id>``."""
    where = locate or (lambda binding_id: f"[keys] {binding_id}")
    keymap: dict[str, str] = {}
    problems: list[str] = []
    known = known_binding_ids()
    defaults = {b.id: b.key for b in APP_BINDINGS if b.id}
    for binding_id, value in keys.items():
        if binding_id not in known:
            close = difflib.get_close_matches(binding_id, sorted(known), n=1)
            hint = f"did you mean {close[0]}?" if close else "the README's Keys section lists them"
            problems.append(f"{where(binding_id)} is no binding (ignored); {hint}")
        elif not isinstance(value, str) or not value.strip():
            problems.append(f"{where(binding_id)} must be a key as a string, e.g. \"ctrl+b\" (got {value!r}; ignored)")
        elif bad := normal_keys(value)[1]:
            stays = defaults.get(binding_id, "the default key")
            problems.append(f"{where(binding_id)} {', '.join(map(repr, bad))} is not a key (ignored; {stays} stays); "
                            'keys look like "ctrl+b", "f2", "escape"')
        else:
            keymap[binding_id] = normal_keys(value)[0]
    if "prompt.send" in keymap:  # Enter queues while the agent works: the same key does both
        keymap["prompt.queue"] = keymap["prompt.send"]
    return keymap, problems
