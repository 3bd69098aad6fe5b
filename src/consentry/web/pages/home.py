"""Home page and the documentation pages rendered from docs/*.md."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from markdown_it import MarkdownIt
from starlette.responses import Response

from consentry.web.render import error_page, render
from consentry.web.runtime import runtime

router = APIRouter(include_in_schema=False)
DOCS = Path(__file__).resolve().parents[4] / "docs"
_md = MarkdownIt("commonmark", {"html": False}).enable("table")


@router.get("/")
async def home(request: Request) -> Response:
    rt = runtime(request)
    return render("home.html", issuer=rt.ctx.issuer)


def _doc_pages() -> list[tuple[str, str]]:
    pages = []
    found = [*sorted(DOCS.glob("*.md")), *sorted(DOCS.glob("*/*.md"))] if DOCS.is_dir() else []
    for path in found:
        first = path.read_text("utf-8").splitlines()[0:1]
        slug = path.relative_to(DOCS).with_suffix("").as_posix()
        pages.append((slug, first[0].lstrip("# ").strip() if first else path.stem))
    return pages


@router.get("/docs")
async def docs_index(request: Request) -> Response:
    return render("docs.html", pages=_doc_pages(), body=None, title="Documentation")


@router.get("/docs/{page:path}")
async def docs_page(page: str) -> Response:
    """Only the pages listed (a whitelist, so no path can reach outside docs/)."""
    names = dict(_doc_pages())
    page = page.removesuffix(".md")  # links between docs work on GitHub and here alike
    if page not in names:
        return error_page("Not found", "There is no such documentation page.", 404, "not_found")
    body = _md.render((DOCS / f"{page}.md").read_text("utf-8"))
    return render("docs.html", pages=list(names.items()), body=body, title=names[page])
