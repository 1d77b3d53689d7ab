"""Accounts: create, authenticate, API tokens, role changes, deactivation.

Functions flush but do not commit unless they say so: the caller owns the transaction.
"""

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import ApiToken, Role, User
from app.models.base import utcnow
from app.security import (
    generate_api_token,
    hash_api_token,
    hash_password,
    password_needs_rehash,
    verify_password,
)
from app.services import audit, token_cache
from app.services.errors import AlreadyExists, InvalidInput, NotFound

MIN_PASSWORD_CHARS = 8


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _check_email(email: str) -> str:
    email = normalize_email(email)
    local, at, domain = email.partition("@")
    if not (local and at and domain) or len(email) > 320 or any(c.isspace() for c in email):
        raise InvalidInput(f"not an e-mail address: {email!r}", field="email")
    return email


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidInput(f"password too short: use at least {MIN_PASSWORD_CHARS} characters", field="password")


def parse_role(role: str | Role) -> Role:
    try:
        return Role(role)
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise InvalidInput(f"unknown role {role!r}; choose one of {names}", field="role") from None


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(User.email == normalize_email(email))).first()


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.id)))


def create_user(
    session: Session, email: str, role: Role | str, password: str, actor: User | None = None
) -> User:
    """A new active account; AlreadyExists when the e-mail is taken (case-insensitive)."""
    email = _check_email(email)
    _check_password(password)
    role = parse_role(role)
    if find_user_by_email(session, email) is not None:
        raise AlreadyExists(f"a user with e-mail {email} already exists")
    user = User(email=email, role=role, password_hash=hash_password(password), is_active=True)
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", user, {"email": email, "role": role.value})
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with these credentials, or None. Upgrades the stored hash when its cost is outdated."""
    user = find_user_by_email(session, email)
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        return None
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def set_password(session: Session, user: User, password: str, actor: User | None = None) -> None:
    """Changing the password also ends the user's browser sessions (their cookies carry a password tag)."""
    _check_password(password)
    user.password_hash = hash_password(password)
    token_cache.clear_on_commit(session)
    audit.record(session, actor, "user.password", user, {})


def change_role(session: Session, user: User, role: Role | str, actor: User | None = None) -> User:
    new_role = parse_role(role)
    old = user.role
    user.role = new_role
    token_cache.clear_on_commit(session)
    audit.record(session, actor, "user.role", user, {"from": old.value, "to": new_role.value})
    return user


def set_active(session: Session, user: User, active: bool, actor: User | None = None) -> User:
    """Deactivate (or reactivate) an account; a deactivated user's tokens and cookies stop working at once."""
    user.is_active = active
    token_cache.clear_on_commit(session)
    audit.record(session, actor, "user.activate" if active else "user.deactivate", user, {})
    return user


def deactivate(session: Session, user: User, actor: User | None = None) -> User:
    return set_active(session, user, False, actor)


def create_token(session: Session, user: User, name: str = "", actor: User | None = None) -> tuple[ApiToken, str]:
    """A new API token for `user`: returns the stored row and the token itself, which is never stored."""
    new = generate_api_token()
    row = ApiToken(user_id=user.id, name=name[:200], token_hash=new.token_hash, prefix=new.prefix)
    session.add(row)
    session.flush()
    audit.record(session, actor or user, "token.create", row, {"user_id": user.id, "prefix": new.prefix})
    return row, new.token


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


def revoke_token(session: Session, token_id: int, actor: User | None = None) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"API token {token_id} not found")
    row.revoked = True
    token_cache.clear_on_commit(session)
    audit.record(session, actor, "token.revoke", row, {"user_id": row.user_id, "prefix": row.prefix})
    return row


def user_for_api_token(session: Session, token: str, touch_interval: timedelta | None = None) -> User | None:
    """The owner of a live (unrevoked) token, active or not; None for an unknown token.

    Updates `last_used_at` and commits when it is older than `touch_interval` (never on every request)."""
    found = session.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == hash_api_token(token), ApiToken.revoked.is_(False))
    ).first()
    if found is None:
        return None
    row, user = found
    if touch_interval is not None:
        now = utcnow()
        last = _aware(row.last_used_at)
        if last is None or now - last > touch_interval:
            row.last_used_at = now
            session.commit()
    return user


def count_admins(session: Session) -> int:
    return session.scalar(
        select(func.count()).select_from(User).where(User.role == Role.admin, User.is_active.is_(True))
    ) or 0


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes for timezone-aware columns; they were stored in UTC."""
    if moment is not None and moment.tzinfo is None:
        from datetime import UTC

        return moment.replace(tzinfo=UTC)
    return moment
