"""What a reader without scripts sees on an HTML page: title, visible text, links.

The pre-checks judge a developer's pages by their words and links, so this uses the stdlib
``html.parser`` only: nothing is rendered or run, script/style/template content is dropped,
and the work is bounded by a cap on the input and on the number of links kept. The page is
hostile input: Python 3.11's parser rescans the rest of the document for every unclosed
``<``, ``<!--`` or ``<![`` (quadratic, minutes for 40 kB), so ``_defuse`` first rewrites it
in one linear pass into markup the parser reads in linear time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

#: Elements whose content a reader never sees as text.
_HIDDEN = frozenset({"script", "style", "template"})
#: Elements that end a line of text, so words from neighbouring blocks do not run together.
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "fieldset",
        "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
        "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
    }
)  # fmt: skip
_SPACES = re.compile(r"[^\S\n]+")
#: A ``<`` with no ``>`` this far ahead is text: no real tag is longer, and rescans stay short.
_REACH = 65_536


@dataclass(frozen=True)
class Link:
    """A followable link: an absolute http(s) URL without fragment, and its visible text."""

    url: str
    text: str


@dataclass(frozen=True)
class PageText:
    title: str
    #: Visible text, one block per line, spaces collapsed.
    text: str
    links: tuple[Link, ...]
    #: An <input type=password>: the page asks for a sign-in.
    has_password_field: bool


def extract(html: str, base_url: str, *, max_chars: int = 1_000_000, max_links: int = 2_000) -> PageText:
    """Parses at most max_chars of html; relative links resolve against base_url (or <base>)."""
    parser = _Parser(base_url, max_links)
    try:
        parser.feed(_defuse(html[:max_chars]))
        parser.close()
    except (AssertionError, ValueError):  # malformed markup: keep what was read before it
        pass
    return parser.result()


def _defuse(html: str) -> str:
    """Drops comments, declarations and processing instructions as HTML5 does (a comment ends at
    ``-->``, the others at the next ``>``, an unclosed one at the end of the page) and escapes
    every ``<`` with no ``>`` within _REACH, so the parser never scans far for a closer."""
    parts: list[str] = []
    start, size, next_gt = 0, len(html), -1
    pos = html.find("<")
    while pos != -1:
        if html.startswith(("<!", "<?"), pos):
            closer = "-->" if html.startswith("<!--", pos) else ">"
            end = html.find(closer, pos + 2)
            end = size if end == -1 else end + len(closer)
            parts += (html[start:pos], " ")
            start = end
            pos = html.find("<", end)
            continue
        if next_gt < pos:
            found = html.find(">", pos)
            next_gt = size + _REACH if found == -1 else found
        if next_gt - pos > _REACH:
            parts += (html[start:pos], "&lt;")
            start = pos + 1
        pos = html.find("<", pos + 1)
    parts.append(html[start:])
    return "".join(parts)


class _Parser(HTMLParser):
    def __init__(self, base_url: str, max_links: int) -> None:
        super().__init__(convert_charrefs=True)
        self._base = base_url
        self._base_set = False
        self._max_links = max_links
        self._hidden = 0
        self._in_title = False
        self._title: list[str] = []
        self._text: list[str] = []
        self._links: list[Link] = []
        self._open_link: tuple[str, list[str]] | None = None
        self._password = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag in _HIDDEN:
            self._hidden += 1
        elif tag == "title":
            self._in_title = True
        elif tag == "base" and not self._base_set and values.get("href"):
            self._base, self._base_set = _absolute(self._base, values["href"].strip()) or self._base, True
        elif tag == "input" and values.get("type", "").strip().lower() == "password":
            self._password = True
        elif tag in ("a", "area"):
            self._close_link()
            if href := values.get("href", "").strip():
                self._open_link = (href, [values.get("alt", "")] if tag == "area" else [])
                if tag == "area":
                    self._close_link()
        if tag in _BLOCKS:
            self._text.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in _HIDDEN or tag == "title":
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag == "title":
            self._in_title = False
        elif tag == "a":
            self._close_link()
        if tag in _BLOCKS:
            self._text.append("\n")

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if self._in_title:
            self._title.append(data)
            return
        self._text.append(data)
        if self._open_link is not None:
            self._open_link[1].append(data)

    def _close_link(self) -> None:
        if self._open_link is None:
            return
        href, words = self._open_link
        self._open_link = None
        if len(self._links) >= self._max_links:
            return
        url = _absolute(self._base, href)
        if url and urlsplit(url).scheme in ("http", "https"):
            self._links.append(Link(url, _collapse(" ".join(words))))

    def result(self) -> PageText:
        self._close_link()
        lines = (_collapse(line) for line in "".join(self._text).split("\n"))
        return PageText(
            title=_collapse(" ".join(self._title)),
            text="\n".join(line for line in lines if line),
            links=tuple(self._links),
            has_password_field=self._password,
        )


def _absolute(base: str, href: str) -> str | None:
    try:
        return urldefrag(urljoin(base, href)).url
    except ValueError:  # e.g. an unclosed IPv6 bracket: not a link anyone can follow
        return None


def _collapse(text: str) -> str:
    return _SPACES.sub(" ", text.replace("\n", " ")).strip()
