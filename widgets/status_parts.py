"""Fit the status bar's parts to a width: the least important give way first.

Each :class:`Part` has one or more forms, longest first, each a whole piece of
text (a number is never cut: a part is shown in one of its forms or not at all).
:func:`fit` starts from every part's longest form and, while the line is too
wide, takes the next step of a priority list: a part's key there means "its next
shorter form, or, when it has none, drop it" (a ``keep`` part stays in its
shortest form). The parts keep their display order whatever the steps.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content

SEPARATOR = Content(" · ")


@dataclass(frozen=True)
class Part:
    """One piece of the line: its forms (longest first), its rank (0 = most important)."""

    key: str
    forms: tuple[Content, ...]
    badge: bool = False  # a badge sits at the start, joined by a space rather than " · "
    keep: bool = False  # never dropped (the permission mode, an unsandboxed session)


def join(parts: list[tuple[Part, Content]]) -> Content:
    line = Content("")
    for index, (part, form) in enumerate(parts):
        if index:
            line += Content(" ") if part.badge or parts[index - 1][0].badge else SEPARATOR
        line += form
    return line


def fit(parts: list[Part], width: int | None, steps: tuple[str, ...]) -> Content:
    """The line of ``parts`` in display order within ``width`` cells, giving way in the order of ``steps``
    (None: every part in its longest form)."""
    chosen = {part.key: 0 for part in parts if part.forms}
    by_key = {part.key: part for part in parts}

    def line() -> Content:
        return join([(p, p.forms[chosen[p.key]]) for p in parts if p.key in chosen])

    current = line()
    if width is None:
        return current
    for key in steps:
        if current.cell_length <= width:
            break
        if key not in chosen:
            continue
        if chosen[key] + 1 < len(by_key[key].forms):
            chosen[key] += 1
        elif not by_key[key].keep:
            del chosen[key]
        current = line()
    return current
