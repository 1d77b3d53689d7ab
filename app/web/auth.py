"""Login and logout pages: a signed session cookie, the login throttle, and a pre-login CSRF check."""

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.deps import OptionalUser, SessionDep, SettingsDep
from app.security import (
    clear_session_cookie,
    login_limiter,
    new_browser_session,
    set_session_cookie,
)
from app.services.users import authenticate
from app.web.pages import home_for, safe_next
from app.web.render import render

router = APIRouter(include_in_schema=False)

# Before login there is no session to derive a CSRF token from, so the login form uses a
# double-submit token: a random value in a SameSite cookie that the form must echo back.
LOGIN_CSRF_COOKIE = "redline_login_csrf"


def _login_page(request: Request, token: str, next_path: str, error: str = "", email: str = "",
                status_code: int = 200) -> HTMLResponse:
    context = {"title": "Log in", "login_csrf": token, "next_path": next_path, "error": error, "email": email}
    response = render(request, "auth/login.html", context, status_code=status_code)
    return response


def _set_login_cookie(response: Response, token: str, secure: bool) -> None:
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, httponly=True, samesite="strict",
                        secure=secure, path="/login")


@router.get("/login", response_class=HTMLResponse)
def get_login(request: Request, user: OptionalUser, settings: SettingsDep, next: str = "") -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next) or home_for(user), status_code=303)
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = _login_page(request, token, safe_next(next) or "")
    _set_login_cookie(response, token, settings.secure_cookies)
    return response


@router.post("/login", response_class=HTMLResponse)
def post_login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
    login_csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    cookie_token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    fresh = secrets.token_urlsafe(24)
    if not cookie_token or not hmac.compare_digest(cookie_token, login_csrf):
        response = _login_page(request, fresh, safe_next(next) or "",
                               "Your login form expired. Please try again.", email, status_code=403)
        _set_login_cookie(response, fresh, settings.secure_cookies)
        return response
    ip = request.client.host if request.client else "?"
    wait_s = login_limiter.retry_after(email, ip)
    if wait_s:
        message = f"Too many failed attempts. Try again in {max(1, wait_s // 60)} minute(s)."
        return _login_page(request, cookie_token, next, message, email, status_code=429)
    user = authenticate(session, email, password)
    if user is None:
        login_limiter.record_failure(email, ip)
        session.rollback()
        return _login_page(request, cookie_token, safe_next(next) or "",
                           "Wrong e-mail or password, or the account is deactivated.", email, status_code=401)
    login_limiter.reset(email, ip)
    session.commit()  # a rehashed password, when argon2 parameters changed
    redirect = RedirectResponse(safe_next(next) or home_for(user), status_code=303)
    set_session_cookie(redirect, settings, new_browser_session(user.id, user.password_hash))
    redirect.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return redirect


@router.post("/logout")
def post_logout(user: OptionalUser, settings: SettingsDep) -> Response:
    """Ends the browser session (CSRF-checked by OptionalUser, so no other site can log a user out)."""
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response, settings)
    return response


@router.get("/")
def get_home(user: OptionalUser) -> Response:
    return RedirectResponse(home_for(user) if user else "/login", status_code=303)
