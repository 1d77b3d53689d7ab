"""Rendering for the browser pages: one Jinja2 environment, and a helper that returns a whole page or,
for an htmx request, only the fragment that changed."""

import hashlib
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup

from app.config import REPO_ROOT
from app.deps import csrf_token
from app.web.diffview import render_pieces

TEMPLATES_DIR = REPO_ROOT / "templates"
STATIC_DIR = REPO_ROOT / "static"

# html=False: raw HTML in guidelines is shown as text, never passed through; links stay plain links.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render_markdown(text: str | None) -> Markup:
    """Guidelines and other admin-written Markdown, rendered with raw HTML disabled (so it is safe)."""
    return Markup(_markdown.render(text or ""))


@lru_cache(maxsize=64)
def _static_digest(path: str) -> str:
    return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:10]


def static_url(path: str) -> str:
    """A static file's URL with a content digest, so browsers never keep a stale script or stylesheet."""
    return f"/static/{path}?v={_static_digest(path)}"


def minutes_until(moment: datetime) -> int:
    """Whole minutes from now until `moment` (0 when past); naive datetimes are UTC (SQLite)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return max(0, int((aware - datetime.now(UTC)).total_seconds() // 60))


def format_seconds(seconds: float | None) -> str:
    """A duration for people: 42 s, 3 min 5 s, 1 h 20 min; an em dash for none."""
    if seconds is None:
        return "\u2014"
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s" if s % 60 else f"{s // 60} min"
    return f"{s // 3600} h {(s % 3600) // 60} min"


@lru_cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"], default=True),
        undefined=StrictUndefined,  # a misspelt variable is an error in tests, not a blank in production
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static"] = static_url
    env.filters["markdown"] = render_markdown
    env.globals["minutes_until"] = minutes_until
    env.globals["diff_html"] = render_pieces
    env.filters["duration"] = format_seconds
    return env


def is_htmx(request: Request) -> bool:
    """True for requests htmx makes to swap part of a page (boosted navigations want the whole page)."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"


def render_template(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)


def render(
    request: Request,
    page: str,
    context: dict[str, Any] | None = None,
    *,
    fragment: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """The page template, or only `fragment` when htmx asked; both see the same context.

    Every template gets `request`, `user` (or None) and `csrf_token` (for the meta tag and hidden fields).
    """
    ctx: dict[str, Any] = {"user": None, "section": "", "title": "", "notice": None}
    ctx.update(context or {})
    ctx["request"] = request
    ctx["csrf_token"] = csrf_token(request) or ""
    name = fragment if fragment is not None and is_htmx(request) else page
    response = HTMLResponse(render_template(name, **ctx), status_code=status_code, headers=headers)
    response.headers["Vary"] = "HX-Request"
    return response
