"""The API token owner cache: hits need no SQL, every change of who a token lets in clears it."""

from collections.abc import Iterator

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.db import get_engine, get_sessionmaker
from app.models import Role
from app.security import hash_api_token
from app.services import token_cache, users
from tests.fixtures_app import Account, make_account


@pytest.fixture
def account(session: Session) -> Iterator[Account]:
    token_cache.clear()
    yield make_account(session, "cached@example.org", Role.annotator)
    token_cache.clear()


def remember(account: Account) -> str:
    token_hash = hash_api_token(account.token)
    token_cache.remember(token_hash, account.user, token_cache.generation())
    return token_hash


def test_a_hit_is_a_row_of_the_caller_session_without_sql(account: Account) -> None:
    token_hash = remember(account)
    statements: list[str] = []
    event.listen(get_engine(), "before_cursor_execute", lambda *args: statements.append(args[2]))
    with get_sessionmaker()() as other:
        owner = token_cache.cached_owner(other, token_hash)
        assert owner is not None and owner in other
        assert (owner.id, owner.role, owner.is_active) == (account.user.id, Role.annotator, True)
    assert statements == []


@pytest.mark.parametrize("change", ["revoke", "deactivate", "role", "password"])
def test_changes_through_the_services_clear_it(account: Account, session: Session, change: str) -> None:
    token_hash = remember(account)
    user = account.user
    if change == "revoke":
        users.revoke_token(session, users.list_tokens(session, user)[0].id)
    elif change == "deactivate":
        users.deactivate(session, user)
    elif change == "role":
        users.change_role(session, user, Role.reviewer)
    else:
        users.set_password(session, user, "another long password")
    assert token_cache.cached_owner(session, token_hash) is None
    remember(account)  # a request that read the row before the commit below
    session.commit()
    assert token_cache.cached_owner(session, token_hash) is None


def test_a_lookup_that_raced_a_change_is_not_kept(account: Account, session: Session) -> None:
    since = token_cache.generation()
    token_cache.clear()  # a revoke committed while the lookup ran
    token_cache.remember(hash_api_token(account.token), account.user, since)
    assert token_cache.cached_owner(session, hash_api_token(account.token)) is None


def test_entries_expire_and_a_zero_lifetime_turns_it_off(account: Account, session: Session,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from app.config import get_settings

    token_hash = remember(account)
    later = token_cache.time.monotonic() + get_settings().token_cache_seconds + 1
    monkeypatch.setattr(token_cache.time, "monotonic", lambda: later)
    assert token_cache.cached_owner(session, token_hash) is None
    monkeypatch.setattr(get_settings(), "token_cache_seconds", 0.0)
    token_cache.clear()
    remember(account)
    assert token_cache._entries == {}
