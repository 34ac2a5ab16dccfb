"""What the prompt's completion popup offers, and where the token to complete is.

A :class:`CompletionSource` answers for one trigger: ``"/"`` (slash and custom
commands; only at the very start of the prompt) or ``"@"`` (mentions; at the start
or after whitespace). ``candidates(token, limit)`` gets the text after the trigger up
to the cursor and returns at most ``limit`` :class:`~widgets.completion_menu.Candidate`.

Threading: the prompt asks :class:`SourceCompleter` on a worker thread (one at a
time, the newest keystroke wins, see ``PromptInput``), so a source never blocks
typing; it must not touch widgets, and should answer in a few milliseconds
(a slow one — a 50k-file walk — keeps a cache and answers from it).

To add a source, add one line to :func:`completion_sources`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from widgets.completion_menu import Candidate, Completion

if TYPE_CHECKING:
    from app.tui.app import CockpitApp

LIMIT = 50


class CompletionSource(Protocol):
    trigger: str  # "/" or "@"

    def candidates(self, token: str, limit: int) -> list[Candidate]: ...


def completion_sources(app: CockpitApp) -> list[CompletionSource]:
    from app.tui.mention_completion import MentionSource
    from app.tui.slash.source import SlashSource

    return [
        SlashSource(app.slash.commands),
        MentionSource(lambda: app.session.agent.workspace if app.session is not None else None),
    ]


def token_start(text: str, cursor: int, trigger: str) -> int | None:
    """Where the token ending at ``cursor`` begins (the trigger's index), or None if there is none.

    ``/`` counts only as the prompt's first character (``//`` is not a command);
    ``@`` at the start or after whitespace. A token holds no whitespace."""
    before = text[:cursor]
    if trigger == "/":
        start = 0 if before.startswith("/") and not before.startswith("//") else None
    else:
        found = before.rfind(trigger)
        start = found if found >= 0 and (found == 0 or before[found - 1].isspace()) else None
    if start is None or any(ch.isspace() for ch in before[start:]):
        return None
    return start


def token_end(text: str, cursor: int) -> int:
    """The token goes on to the next whitespace: accepting replaces all of it."""
    end = cursor
    while end < len(text) and not text[end].isspace():
        end += 1
    return end


class SourceCompleter:
    """The prompt's :class:`~widgets.completion_menu.Completer`: the first source whose
    trigger starts a token at the cursor, and that has candidates, answers."""

    def __init__(self, sources: list[CompletionSource], limit: int = LIMIT) -> None:
        self.sources = sources
        self.limit = limit

    def complete(self, text: str, cursor: int) -> Completion | None:
        for source in self.sources:
            start = token_start(text, cursor, source.trigger)
            if start is None:
                continue
            found = source.candidates(text[start + len(source.trigger): cursor], self.limit)
            if found:
                return Completion(start, token_end(text, cursor), tuple(found[: self.limit]))
        return None
