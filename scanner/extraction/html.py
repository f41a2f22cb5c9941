"""HTML mail bodies as text, one line per table row or block, cells apart by a tab.

Receipts put each label and its amount in cells of one table row; keeping the row on one line
keeps the label beside its value. The standard library's parser is enough for that and never
fails on broken markup; scripts, styles and the head are dropped.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = frozenset(
    "address article aside blockquote br dd div dl dt footer form h1 h2 h3 h4 h5 h6 header hr "
    "li main nav ol p pre section table tbody thead tfoot tr ul".split()
)
_CELLS = frozenset({"td", "th"})
_SKIPPED = frozenset({"script", "style", "head", "title", "noscript", "template"})
# A hostile body gains nothing past this: receipts are a few kilobytes of text.
MAX_HTML_CHARS = 2_000_000


class _TextOfHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")
        elif tag in _CELLS:
            self.parts.append("\t")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The text of `html`: a line per block or table row, a tab between cells."""
    parser = _TextOfHtml()
    parser.feed(html[:MAX_HTML_CHARS])
    parser.close()
    lines = []
    for raw in "".join(parser.parts).splitlines():
        cells = [" ".join(cell.split()) for cell in raw.split("\t")]
        line = "\t".join(cell for cell in cells if cell)
        if line:
            lines.append(line)
    return "\n".join(lines)


def looks_like_html(text: str) -> bool:
    """Whether a body sent as text/plain is really HTML (some senders mislabel it)."""
    return re.search(r"<(?:html|body|table|div|p)\b", text[:2000], re.IGNORECASE) is not None
