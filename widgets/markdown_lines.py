"""An answer's Markdown as lines of text, laid out as the live answer widget lays it out.

The live transcript shows an answer with Textual's ``Markdown`` widget (one widget a block,
see :mod:`widgets.assistant_message`); the replay screen draws its transcript as lines, so it
renders with Rich's Markdown renderer, told to draw what differs the way Textual's widget
does: the same parser (``gfm-like``), ordered items ``1.`` with the numbers right-aligned,
bullets ``• ▪ ‣ ⭑ ◦`` by nesting depth two cells wide, code blocks padded ``1 2``.

Importing this module loads nothing; Rich's Markdown is imported on the first answer drawn.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, ClassVar

from textual.content import Content

if TYPE_CHECKING:
    from markdown_it.token import Token
    from rich.console import Console, ConsoleOptions, RenderResult
    from rich.markdown import Markdown

DEPTH = "cockpit_bullet_depth"  # token.meta key: how many bullet items enclose a list


def markdown_lines(text: str, width: int) -> list[Content]:
    """``text`` rendered as Markdown in ``width`` cells, one Content a line (trailing spaces cut)."""
    from rich.console import Console
    from rich.text import Text

    console = Console(width=max(10, width), color_system="truecolor", force_terminal=True, legacy_windows=False)
    rendered = console.render_lines(_markdown_class()(text.rstrip("\n")), console.options, pad=False)
    lines = [Content.from_rich_text(Text.assemble(*((seg.text, seg.style or "") for seg in line if not seg.control)))
             for line in rendered]
    return [line.rstrip() for line in lines] or [Content("")]


_CLASS: list[type[Markdown]] = []


def _markdown_class() -> type[Markdown]:
    """Rich's Markdown with Textual's list and code-block layout (built on the first call)."""
    if not _CLASS:
        _CLASS.append(_build())
    return _CLASS[0]


def _build() -> type[Markdown]:
    from markdown_it import MarkdownIt
    from rich import markdown as rich_markdown
    from rich.segment import Segment
    from rich.syntax import Syntax
    from textual.widgets import Markdown as TextualMarkdown

    bullets = TextualMarkdown.BULLETS

    def item_lines(item: rich_markdown.ListItem, console: Console, options: ConsoleOptions,
                   symbol: str, style_name: str) -> Iterator[Segment]:
        lines = console.render_lines(item.elements, options.update(width=options.max_width - len(symbol)), style=item.style)
        style = console.get_style(style_name, default="none")
        padding = Segment(" " * len(symbol), style)
        for index, line in enumerate(lines):
            yield Segment(symbol, style) if index == 0 else padding
            yield from line
            yield Segment.line()

    class ListElement(rich_markdown.ListElement):
        depth = 0

        @classmethod
        def create(cls, markdown: rich_markdown.Markdown, token: Token) -> ListElement:
            element = cls(token.type, int(token.attrs.get("start", 1)))
            element.depth = token.meta.get(DEPTH, 0)
            return element

        def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
            if self.list_type == "bullet_list_open":
                symbol = bullets[self.depth % len(bullets)]
                for item in self.items:
                    yield from item_lines(item, console, options, symbol, "markdown.item.bullet")
                return
            start = 1 if self.list_start is None else self.list_start
            size = max(len(f"{number}. ") for number in range(start, start + len(self.items)))
            for number, item in enumerate(self.items, start):
                yield from item_lines(item, console, options, f"{number}. ".rjust(size + 1), "markdown.item.number")

    class CodeBlock(rich_markdown.CodeBlock):
        def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
            yield Syntax(str(self.text).rstrip(), self.lexer_name, theme=self.theme, word_wrap=True, padding=(1, 2))

    class Markdown(rich_markdown.Markdown):
        elements: ClassVar[dict[str, type[rich_markdown.MarkdownElement]]] = {
            **rich_markdown.Markdown.elements,
            "bullet_list_open": ListElement, "ordered_list_open": ListElement,
            "fence": CodeBlock, "code_block": CodeBlock,
        }

        def __init__(self, markup: str) -> None:
            super().__init__("")  # Rich's own parse (CommonMark) of nothing: the text is parsed once, as Textual parses it
            self.markup = markup
            self.parsed = MarkdownIt("gfm-like").parse(markup)
            _mark_depths(self.parsed)

    return Markdown


def _mark_depths(tokens: Iterable[Token]) -> None:
    """Each bullet list's depth: the bullet items enclosing it (as Textual counts them)."""
    open_items: list[bool] = []  # one per open list item: is it a bullet item
    kinds: list[bool] = []  # one per open list: is it a bullet list
    for token in tokens:
        if token.type == "bullet_list_open":
            token.meta[DEPTH] = sum(open_items)
            kinds.append(True)
        elif token.type == "ordered_list_open":
            kinds.append(False)
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            kinds.pop()
        elif token.type == "list_item_open":
            open_items.append(kinds[-1])
        elif token.type == "list_item_close":
            open_items.pop()
