"""Reading rendered pages in tests: elements by tag and attributes, and visible text."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text of <script> elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[tuple[dict[str, str], str]] = []
        self._script: dict[str, str] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {k: v or "" for k, v in attrs}
        self.tags.append((tag, attributes))
        if tag == "script":
            self._script = attributes
            self.scripts.append((attributes, ""))

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)


def parse(response) -> Elements:
    parser = Elements()
    parser.feed(response.content.decode("utf-8"))
    return parser


def find(response, tag: str, **attrs: str) -> list[dict[str, str]]:
    """Elements `tag` whose attributes include `attrs` (`class_` for class, `_` for `-`)."""
    wanted = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}
    return [
        a
        for t, a in parse(response).tags
        if t == tag and all(a.get(k) == v for k, v in wanted.items())
    ]


def text(response) -> str:
    """The page's text with tags removed and white space collapsed."""
    content = response.content.decode("utf-8")
    content = re.sub(r"<(script|style)\b.*?</\1>", " ", content, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", content)).split())
