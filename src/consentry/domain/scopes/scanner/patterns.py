"""What the scanner matches: the catalogue's vocabulary and the per-language regexes.

Everything here is compiled once per process. ``Vocabulary`` is built from the catalogue in
the parent and pickled to worker processes, so workers never load YAML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from consentry.domain.scopes.catalogue import SIGN_IN, Catalogue
from consentry.domain.scopes.scanner.walk import CONFIG_EXTENSIONS as CONFIG_EXTENSIONS

#: Data-API paths start here; the operation templates are matched on what follows.
DATA_PREFIX = "/data/v1"
DATA_APIS = ("mail", "files", "chat", "meetings", "calendar")


@dataclass(frozen=True)
class Template:
    """An operation's path after ``/data/v1`` as segments; ``None`` is a ``{placeholder}``."""

    operation: str
    method: str
    segments: tuple[str | None, ...]

    @property
    def literals(self) -> int:
        return sum(s is not None for s in self.segments)


@dataclass(frozen=True)
class Vocabulary:
    """The catalogue reduced to what matching needs (host-independent, picklable)."""

    names: frozenset[str]  # every catalogue scope name except the sign-in ones
    dotted: frozenset[str]  # names safe to accept as bare string literals
    templates: tuple[Template, ...]
    dotted_bytes: tuple[bytes, ...] = ()  # for the byte-level prefilter
    dotted_prefixes: tuple[bytes, ...] = ()

    @classmethod
    def from_catalogue(cls, catalogue: Catalogue) -> Vocabulary:
        names = frozenset(n for n in catalogue.by_name if n not in SIGN_IN)
        templates = tuple(
            Template(
                op.name,
                op.method,
                tuple(
                    None if seg.startswith("{") else seg
                    for seg in op.path[len(DATA_PREFIX) :].strip("/").split("/")
                ),
            )
            for op in catalogue.operations.values()
        )
        dotted = frozenset(n for n in names if "." in n)
        return cls(
            names,
            dotted,
            templates,
            tuple(sorted(n.encode() for n in dotted)),
            tuple(sorted({n.split(".")[0].encode() + b"." for n in dotted})),
        )

    def token(self, text: str) -> str | None:
        """The scope a whitespace-free token names: a sign-in name, a dotted name or a scope URI."""
        if text in SIGN_IN or text in self.dotted:
            return text
        if "/auth/" not in text:
            return None
        m = URI.fullmatch(text)
        return m.group("name") if m and m.group("name") in self.names else None


# --- scopes -------------------------------------------------------------------------------
# A scope URI under any issuer (host, optional path prefix). The atomic group stops
# "mail.readonlyx" from backtracking to "mail".
URI = re.compile(
    r"https?://[^\s/\"'`<>()\\]+(?:/[^\s/\"'`<>()\\]+)*?/auth/(?P<name>(?>[a-z]+(?:\.[a-z]+)*))(?![\w/\-])"
)
# A scope URI built from an issuer variable: f"{ISSUER}/auth/x", ISSUER + "/auth/x", "%s/auth/x".
BUILT_URI = re.compile(
    r"(?:\}|%[sv]|\$[A-Za-z_]\w*|[\"'`])/auth/(?P<name>(?>[a-z]+(?:\.[a-z]+)*))(?![\w/\-])"
)
LITERAL = re.compile(r"\"((?:[^\"\\]|\\.)*)\"|'((?:[^'\\]|\\.)*)'|`([^`$]*)`")
RUBY_WORDS = re.compile(r"%[wi][\[(]([^\])]*)[\])]")
SCOPE_WORD = re.compile(r"scope", re.IGNORECASE)
SPLIT = re.compile(r"[\s,]+")
IMPORTS = re.compile(r"\b(?:require|import|from|using|use)\b")
# Config files: KEY=value, key: value, - item, <tag>value</tag>.
CONFIG_PAIR = re.compile(r"^\s*(?:export\s+)?(?P<key>[\w.\-\[\]\"']+)\s*(?:=|:(?=\s|$))\s*(?P<value>.*)$")
YAML_ITEM = re.compile(r"^(?P<indent>\s*)-\s+(?P<value>.+)$")
XML_TEXT = re.compile(r">([^<>]+)<")
TRAILING_COMMENT = re.compile(r"\s+[#;].*$")
BRACKETS_OPEN = re.compile(r"[\[({]")
BRACKETS_CLOSE = re.compile(r"[\])}]")
# A list left open at the end of a line (SCOPES = [, Scopes: []string{), not a function body.
LIST_OPENS = re.compile(r"(?:[\[(,]|(?:[=:(,]|\]\s*\w*)\s*\{)\s*(?:(?:#|//).*)?$")

# --- operations ---------------------------------------------------------------------------
# One path segment: a placeholder (${id} {id} #{id} {$id} %s :id $id <id>), a string
# concatenation (" + id + ", ' . $id . '), or a literal.
SEGMENT = re.compile(
    r"(?P<ph>\$\{[^}]*\}|#\{[^}]*\}|\{[^}/]*\}|%[sdv]|:[A-Za-z_]\w*|\$[A-Za-z_]\w*|<[\w:]+>)"
    r"|(?P<concat>[\"'`]\s*(?:\+|\.|<<)\s*[\w$][\w.$\[\]()\->'\"]*?\s*(?:\+|\.|<<)\s*[\"'`](?=/))"
    r"|(?P<tail>[\"'`]\s*(?:\+|\.)\s*[\w$][\w.$\[\]()\->]*)"
    r"|(?P<lit>[A-Za-z0-9_\-~]+)"
)
# An API path appended to a base URL held elsewhere: f"{BASE}/files", BASE + "/files", "%s/files".
RELATIVE = re.compile(
    r"(?:\}|%[sv]|\$[A-Za-z_]\w*|(?:\+|\.|<<)\s*[\"'`])(?=/(?:" + "|".join(DATA_APIS) + r")(?![\w.\-]))"
)

# --- HTTP methods, strongest evidence first ---------------------------------------------
METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")
_M = "|".join(METHODS)
EXPLICIT_METHOD = re.compile(
    rf"[\"'`](?P<a>{_M})[\"'`]"  # "POST", 'DELETE' (fetch, requests.request, curl, Guzzle)
    rf"|\bmethod\s*[:=]\s*(?:[\"'`](?P<b>\w+)[\"'`]|(?P<i>{_M})\b)"  # method: "post", method: POST
    r"|\b(?:http\.)?Method(?P<c>Get|Post|Patch|Put|Delete)\b"  # Go http.MethodPost
    r"|\b(?:Http|Request)Method\.(?P<d>\w+)"  # C# HttpMethod.Post, Spring RequestMethod.POST
    r"|Net::HTTP::(?P<e>Get|Post|Patch|Put|Delete)\b"  # Ruby
    r"|\b(?P<f>Get|Post|Patch|Put|Delete)(?:String|Stream|ByteArray|FromJson|AsJson)?Async\b"  # C#
    r"|\b(?P<g>get|post|patch|put|delete)For(?:Object|Entity)\b"  # Spring RestTemplate
    r"|\bCURLOPT_(?P<h>POST)\b"  # PHP curl
)
# requests.post(, axios.delete(, ->get(, Http::patch(, conn.post "…", .GET() (Java 11 HttpClient)
GENERIC_METHOD = re.compile(r"(?:\.|->|::)(?P<m>get|post|patch|put|delete)\s*(?:\(|\s+[\"'`])", re.IGNORECASE)

# The variable a line assigns (url = …, url := …, String url = …, $url = …), to follow it.
ASSIGNED = re.compile(r"^\s*(?:[\w<>\[\],.?]+\s+)*\$?([A-Za-z_]\w*)\s*:?=(?!=)")
# PHP curl sets the URL and the method on a handle: curl_setopt($ch, CURLOPT_URL, …).
HANDLE = re.compile(r"\bcurl_setopt\(\s*\$(\w+)")
CHAINED = (".", "->", "?.")

#: Full-line comment markers per file extension (commented-out scopes are not requested).
COMMENTS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys((".py", ".rb", ".yaml", ".yml", ".toml", ".env"), ("#",)),
    **dict.fromkeys(
        (".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".java", ".kt", ".go", ".cs"), ("//", "/*", "* ")
    ),
    ".php": ("#", "//", "/*", "* "),
    ".ini": (";", "#"),
    ".properties": ("#", "!"),
    ".xml": ("<!--",),
    ".json": (),
}
