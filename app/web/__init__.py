"""The browser pages: server-rendered Jinja2 with htmx fragments, one router per area."""

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.web import admin_autoedit, admin_datasets, admin_users, annotate, auth, dashboard, jobs, review
from app.web.pages import LoginRequired, PageForbidden
from app.web.render import is_htmx, render

WEB_ROUTERS = [
    auth.router, annotate.router, review.router, dashboard.router, admin_users.router, admin_datasets.router,
    jobs.router, admin_autoedit.router,
]


async def redirect_to_login(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    target = f"/login?next={quote(exc.next_path)}" if exc.next_path not in ("", "/") else "/login"
    if is_htmx(request):  # htmx follows HX-Redirect with a full navigation
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


async def forbidden_page(request: Request, exc: Exception) -> HTMLResponse:
    assert isinstance(exc, PageForbidden)
    roles = ", ".join(r.value for r in exc.roles)
    return render(request, "error.html", {
        "user": exc.user, "title": "Not allowed", "heading": "This page is not for your role",
        "message": f"It is open to: {roles}. Ask an admin if you need access.",
    }, status_code=403)


def install_web(app: FastAPI) -> None:
    """Mount every page router and the handlers that turn page errors into pages."""
    for router in WEB_ROUTERS:
        app.include_router(router)
    app.add_exception_handler(LoginRequired, redirect_to_login)
    app.add_exception_handler(PageForbidden, forbidden_page)
