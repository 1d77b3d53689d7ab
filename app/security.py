"""Credentials: argon2 password hashes, API tokens, signed session cookies, CSRF tokens, login throttling.

Nothing here touches the database; app/services/users.py and app/deps.py put these pieces together.
"""

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.config import Settings

SESSION_COOKIE = "redline_session"
SESSION_MAX_AGE_S = 12 * 3600
CSRF_HEADER = "X-CSRF-Token"
CSRF_FORM_FIELD = "csrf_token"
TOKEN_PREFIX = "rl_"
TOKEN_PREFIX_LEN = 10  # characters of the token kept in clear, so a user can tell their tokens apart

_hasher = PasswordHasher()  # argon2id with the library's recommended cost parameters
# Verified against when the e-mail is unknown, so a login takes as long whether or not the account exists.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


# ---- passwords ---------------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; an unknown user (None) costs the same time and is refused."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


# ---- API tokens ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewApiToken:
    """A freshly generated token: `token` is shown to its owner once; only `prefix` and `token_hash` are kept."""

    token: str
    prefix: str
    token_hash: str


def hash_api_token(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough: nobody can brute-force them offline.
    return hashlib.sha256(token.encode()).hexdigest()


def generate_api_token() -> NewApiToken:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return NewApiToken(token=token, prefix=token[:TOKEN_PREFIX_LEN], token_hash=hash_api_token(token))


# ---- session cookies and CSRF --------------------------------------------------------------------------


@dataclass(frozen=True)
class BrowserSession:
    """What the signed session cookie carries."""

    user_id: int
    session_id: str  # random per login; the CSRF token is derived from it
    password_tag: str  # changes when the password changes, which ends every older session


def password_tag(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="redline.session")


def new_browser_session(user_id: int, password_hash: str) -> BrowserSession:
    return BrowserSession(user_id=user_id, session_id=secrets.token_urlsafe(16),
                          password_tag=password_tag(password_hash))


def encode_session(settings: Settings, browser_session: BrowserSession) -> str:
    payload = {"u": browser_session.user_id, "s": browser_session.session_id, "p": browser_session.password_tag}
    return _serializer(settings).dumps(payload)


def decode_session(settings: Settings, cookie: str | None) -> BrowserSession | None:
    """The session in a cookie, or None when it is missing, forged, malformed or older than its max age."""
    if not cookie:
        return None
    try:
        payload = _serializer(settings).loads(cookie, max_age=SESSION_MAX_AGE_S)
        return BrowserSession(user_id=int(payload["u"]), session_id=str(payload["s"]),
                              password_tag=str(payload["p"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def set_session_cookie(response: Response, settings: Settings, browser_session: BrowserSession) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        encode_session(settings, browser_session),
        max_age=SESSION_MAX_AGE_S,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=settings.secure_cookies)


def csrf_token_for(settings: Settings, browser_session: BrowserSession) -> str:
    """The CSRF token of one login session: an HMAC of its id, so it needs no storage and dies with it."""
    key = hashlib.sha256(("redline.csrf:" + settings.secret_key).encode()).digest()
    return hmac.new(key, browser_session.session_id.encode(), hashlib.sha256).hexdigest()


def csrf_token_valid(settings: Settings, browser_session: BrowserSession, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(csrf_token_for(settings, browser_session), token or "")


# ---- login throttling ----------------------------------------------------------------------------------


class LoginRateLimiter:
    """Refuses logins for an (e-mail, IP) pair after too many recent failures.

    In-process memory: each server process counts on its own, so with N web processes an attacker
    gets up to N times the limit. That still turns online guessing from millions into dozens per window.
    """

    def __init__(self, max_failures: int = 5, window_s: float = 900.0) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and now - times[0] > self.window_s:
            times.popleft()
        return times

    def retry_after(self, email: str, ip: str) -> int:
        """0 when a login attempt may proceed, otherwise the seconds to wait."""
        now = time.monotonic()
        with self._lock:
            times = self._recent((email.lower(), ip), now)
            if len(times) < self.max_failures:
                return 0
            return max(1, int(self.window_s - (now - times[0])) + 1)

    def record_failure(self, email: str, ip: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._recent((email.lower(), ip), now).append(now)
            if len(self._failures) > 100_000:  # bound memory under a spray of random e-mails
                self._failures.clear()

    def reset(self, email: str, ip: str) -> None:
        with self._lock:
            self._failures.pop((email.lower(), ip), None)


login_limiter = LoginRateLimiter()
