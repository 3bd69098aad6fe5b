"""Find the scope strings a file requests (SCOPE-5).

Precision matters more than recall here: a developer gates CI on this, so a false
"restricted" finding costs more than a missed sign-in scope. The rules:

* a scope URI ``http(s)://ANY-HOST[/prefix]/auth/NAME`` (or one built from an issuer
  variable, ``f"{ISSUER}/auth/NAME"``), NAME in the catalogue and not a sign-in scope;
* a string literal that is exactly a dotted catalogue name (``"mail.readonly"``); the
  undotted ``mail``/``files``/``calendar`` are ordinary words and count only inside URIs;
* a literal ``"openid"``, or a scope string whose tokens are all scopes (``"openid email"``);
* ``"email"``/``"profile"`` alone only in scope context: the line mentions ``scope``, sits in
  a list opened on such a line (code brackets or a YAML block), or holds another scope.
"""

from __future__ import annotations

from collections.abc import Iterator

from consentry.domain.scopes.scanner import patterns as p

_MAX_TOKENS = 40  # longer strings are prose, not scope lists
_MAX_LIST_LINES = 60  # an unclosed bracket must not make the rest of the file "scope context"
_UNQUOTE = str.maketrans(dict.fromkeys("[]{}()\"'", " "))


def _values(line: str, ext: str) -> Iterator[str]:
    """The string values on a line: quoted literals, and for config files the unquoted value."""
    for m in p.LITERAL.finditer(line):
        yield m.group(1) if m.group(1) is not None else m.group(2) if m.group(2) is not None else m.group(3)
    if ext == ".rb":
        yield from (m.group(1) for m in p.RUBY_WORDS.finditer(line))
    if ext in p.CONFIG_EXTENSIONS:
        if ext == ".xml":
            yield from (m.group(1) for m in p.XML_TEXT.finditer(line))
            return
        pair = p.CONFIG_PAIR.match(line) or p.YAML_ITEM.match(line)
        if pair:
            value = p.TRAILING_COMMENT.sub("", pair.group("value")).strip()
            yield value.translate(_UNQUOTE)


def _from_value(value: str, vocab: p.Vocabulary, context: bool, line: str) -> list[str]:
    tokens = [t for t in p.SPLIT.split(value.strip()) if t]
    if not tokens or len(tokens) > _MAX_TOKENS:
        return []
    known = [n for n in (vocab.token(t) for t in tokens) if n is not None]
    if len(known) < len(tokens):
        # Mixed strings ("openid email offline_access") only where scopes are expected,
        # and only when mostly scopes ("read your email and profile" is prose).
        return known if context and 2 * len(known) > len(tokens) else []
    if len(tokens) > 1 or context:
        return known
    if known[0] == "openid" and p.IMPORTS.search(line):
        return []  # require("openid") is a library, not a scope
    return known  # a lone "email"/"profile" is kept only in context, by the caller


class _Context:
    """Tracks multi-line scope lists: ``SCOPES = [`` … ``]`` and YAML ``scopes:`` blocks."""

    def __init__(self) -> None:
        self.depth = 0
        self.lines_left = 0
        self.yaml_indent: int | None = None

    def enter(self, line: str, ext: str) -> bool:
        """Whether ``line`` is in scope context; updates the list state for the next line."""
        on_line = ("cope" in line or "COPE" in line) and p.SCOPE_WORD.search(line) is not None
        inside = self.depth > 0 and self.lines_left > 0
        if self.yaml_indent is not None or (on_line and ext in (".yaml", ".yml")):
            stripped = line.lstrip()
            indent = len(line) - len(stripped)
            if self.yaml_indent is not None:
                if stripped.startswith("-"):
                    inside = True
                elif stripped and indent <= self.yaml_indent:
                    self.yaml_indent = None
            if on_line and stripped.rstrip().endswith(":"):
                self.yaml_indent = indent
        if self.depth > 0:
            self.depth += _balance(line)
            self.lines_left -= 1
        elif on_line and p.LIST_OPENS.search(line) and _balance(line) > 0:
            self.depth, self.lines_left = _balance(line), _MAX_LIST_LINES
        return on_line or inside


def _balance(line: str) -> int:
    return len(p.BRACKETS_OPEN.findall(line)) - len(p.BRACKETS_CLOSE.findall(line))


def scopes_in(lines: list[str], ext: str, vocab: p.Vocabulary) -> set[tuple[str, int]]:
    """``(scope name, 1-based line)`` for every scope requested in ``lines``."""
    found: set[tuple[str, int]] = set()
    comments = p.COMMENTS.get(ext, ("#", "//"))
    ctx = _Context()
    config = ext in p.CONFIG_EXTENSIONS or ext == ".rb"
    for number, line in enumerate(lines, 1):
        if comments and line.lstrip().startswith(comments):
            continue
        context = ctx.enter(line, ext)
        if not (config or "/auth/" in line or '"' in line or "'" in line or "`" in line):
            continue  # nothing quoted, no URI: most lines of code
        hits: list[str] = []
        if "/auth/" in line:
            for m in p.URI.finditer(line):
                if m.group("name") in vocab.names:
                    hits.append(m.group("name"))
            for m in p.BUILT_URI.finditer(line):
                name = m.group("name")
                if name in vocab.dotted or (name in vocab.names and context):
                    hits.append(name)
        pending: list[str] = []
        for value in _values(line, ext):
            for name in _from_value(value, vocab, context, line):
                (pending if name in ("email", "profile") and not context else hits).append(name)
        # A lone "email" next to a scope already found is part of the same request.
        if pending and hits:
            hits.extend(pending)
        found.update((name, number) for name in hits)
    return found
