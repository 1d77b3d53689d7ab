"""Request dependencies: the database session, the caller (API token or session cookie), roles, CSRF.

Use the `Annotated` aliases in handler signatures:

    def get_thing(session: SessionDep, user: ReviewerUser) -> ...

Every dependency that yields a user also enforces CSRF for cookie-authenticated requests that change
state (POST/PUT/PATCH/DELETE): the token must come in the `X-CSRF-Token` header (htmx) or the
`csrf_token` form field (plain forms). Requests with a bearer API token are exempt: browsers never
attach those on their own, so a forged cross-site request cannot carry one.
"""

from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import timedelta
from typing import Annotated, Any

import anyio
from fastapi import Depends, HTTPException, Request, status
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.config import Settings, get_settings
from app.db import get_sessionmaker
from app.models import Role, User
from app.security import (
    CSRF_FORM_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    BrowserSession,
    csrf_token_for,
    csrf_token_valid,
    decode_session,
    hash_api_token,
    password_tag,
)
from app.services import token_cache

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)  # how stale `last_used_at` may get; saves a write per request


async def get_db() -> AsyncIterator[Session]:
    """One session per request; whatever the handler did not commit is rolled back.

    Async: opening a session does no I/O, and closing one does only while it still holds a connection,
    so most requests skip two hops to FastAPI's thread pool (each costs more CPU than a small query)."""
    session = get_sessionmaker()()
    try:
        yield session
    finally:
        if session.in_transaction():  # giving the connection back rolls it back: a round trip
            with anyio.CancelScope(shield=True):  # a client that hung up must not leak the connection
                await run_in_threadpool(session.close)
        else:
            session.close()


async def read_settings() -> Settings:
    """The settings (async: FastAPI runs sync dependencies in its thread pool, a hop this does not need)."""
    return get_settings()


SessionDep = Annotated[Session, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(read_settings)]


def _bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


async def read_sent_csrf_token(request: Request) -> str | None:
    """The CSRF token the client sent (header first, then form field); None for safe or bearer requests."""
    if request.method in SAFE_METHODS or _bearer_token(request) is not None:
        return None
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()  # FastAPI already parsed it for Form() parameters; this is the cache
        value = form.get(CSRF_FORM_FIELD)
        return value if isinstance(value, str) else None
    return None


def _user_from_token(session: Session, token: str) -> User | None:
    from app.services.users import user_for_api_token

    token_hash, since = hash_api_token(token), token_cache.generation()
    user = user_for_api_token(session, token, touch_interval=TOKEN_TOUCH_INTERVAL)
    if user is not None:
        token_cache.remember(token_hash, user, since)
    return user


async def _user_for_token(session: Session, token: str) -> User | None:
    """The token's owner: from the cache without I/O, else from the database in the thread pool."""
    user = token_cache.cached_owner(session, hash_api_token(token))
    return user if user is not None else await run_in_threadpool(_user_from_token, session, token)


def _user_from_cookie(session: Session, browser_session: BrowserSession) -> User | None:
    user = session.get(User, browser_session.user_id)
    if user is None or password_tag(user.password_hash) != browser_session.password_tag:
        return None
    return user


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, message, headers={"WWW-Authenticate": "Bearer"})


async def resolve_user(request: Request, session: Session, settings: Settings) -> User | None:
    """The authenticated caller or None; records how they authenticated on `request.state`.

    Sets `request.state.auth` to "token" or "session", and `request.state.browser_session` for cookies.
    Raises 401 for a bearer token that is wrong, revoked or belongs to a deactivated account.
    """
    request.state.auth = None
    request.state.browser_session = None
    token = _bearer_token(request)
    if token is not None:
        user = await _user_for_token(session, token)
        if user is None or not user.is_active:
            raise _unauthorized("invalid, revoked or inactive API token")
        request.state.auth = "token"
        return user
    browser_session = decode_session(settings, request.cookies.get(SESSION_COOKIE))
    if browser_session is None:
        return None
    user = await run_in_threadpool(_user_from_cookie, session, browser_session)
    if user is None or not user.is_active:
        return None
    request.state.auth = "session"
    request.state.browser_session = browser_session
    return user


async def _enforce_csrf(request: Request, settings: Settings) -> None:
    if request.state.auth != "session" or request.method in SAFE_METHODS:
        return
    sent = await read_sent_csrf_token(request)
    if not csrf_token_valid(settings, request.state.browser_session, sent):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "missing or wrong CSRF token; reload the page")


# The user dependencies read the settings and the CSRF token themselves rather than through Depends:
# every authenticated request resolves them, and each dependency costs FastAPI more than the call.


async def get_current_user(request: Request, session: SessionDep) -> User:
    """The caller, from `Authorization: Bearer <token>` or the session cookie; 401 when neither is valid."""
    settings = get_settings()
    user = await resolve_user(request, session, settings)
    if user is None:
        raise _unauthorized("not authenticated: send 'Authorization: Bearer <API token>' or log in")
    await _enforce_csrf(request, settings)
    return user


async def get_optional_user(request: Request, session: SessionDep) -> User | None:
    """Like get_current_user, but None instead of 401 (pages that redirect anonymous visitors to login)."""
    settings = get_settings()
    user = await resolve_user(request, session, settings)
    if user is not None:
        await _enforce_csrf(request, settings)
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]
OptionalUser = Annotated[User | None, Depends(get_optional_user)]


def require_roles(*roles: Role) -> Callable[[User], Coroutine[Any, Any, User]]:
    """A dependency that lets through only callers with one of `roles` (403 otherwise)."""
    allowed = frozenset(roles)
    names = ", ".join(sorted(r.value for r in allowed))

    async def check_role(user: CurrentUser) -> User:  # async: no I/O, no thread-pool hop
        if user.role not in allowed:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"this action needs one of the roles: {names}")
        return user

    return check_role


# Who may do what. Admins may do everything; each other role has its own area.
ANNOTATE_ROLES = (Role.annotator, Role.admin)
REVIEW_ROLES = (Role.reviewer, Role.admin)
ENGINEER_ROLES = (Role.engineer, Role.admin)

AdminUser = Annotated[User, Depends(require_roles(Role.admin))]
AnnotatorUser = Annotated[User, Depends(require_roles(*ANNOTATE_ROLES))]
ReviewerUser = Annotated[User, Depends(require_roles(*REVIEW_ROLES))]
EngineerUser = Annotated[User, Depends(require_roles(*ENGINEER_ROLES))]


def csrf_token(request: Request) -> str | None:
    """The CSRF token to embed in a page (meta tag for htmx, hidden field for forms); None without a session.

    Call after a user dependency ran (it stores the session on `request.state`)."""
    browser_session = getattr(request.state, "browser_session", None)
    if browser_session is None:
        return None
    return csrf_token_for(get_settings(), browser_session)
