"""App-level fixtures: users of each role with API tokens, a TestClient per role, datasets with items.

Use them from a conftest with `from tests.fixtures_app import *  # noqa: F401,F403`.
"""

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.models import Dataset, Item, Role, User

PASSWORD = "correct horse battery"
_hash_cache: dict[str, str] = {}


def password_hash(password: str = PASSWORD) -> str:
    """argon2 is slow by design: hash each test password once per run."""
    if password not in _hash_cache:
        from app.security import hash_password

        _hash_cache[password] = hash_password(password)
    return _hash_cache[password]


@dataclass
class Account:
    user: User
    token: str
    email: str
    password: str = PASSWORD


def make_account(session: Session, email: str, role: Role, active: bool = True) -> Account:
    from app.services.users import create_token

    user = User(email=email, role=role, password_hash=password_hash(), is_active=active)
    session.add(user)
    session.flush()
    _, token = create_token(session, user, "tests")
    session.commit()
    return Account(user=user, token=token, email=email)


@pytest.fixture
def accounts(session: Session) -> dict[str, Account]:
    """One active account per role, keyed by role name, plus a second annotator ("annotator2")."""
    out = {role.value: make_account(session, f"{role.value}@example.org", role) for role in Role}
    out["annotator2"] = make_account(session, "annotator2@example.org", Role.annotator)
    return out


@pytest.fixture
def labels_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Edit ids whose token-labels task was queued (the broker is not touched)."""
    from app.services import edits

    calls: list[int] = []
    monkeypatch.setattr(edits, "enqueue_labels", calls.append)
    return calls


@pytest.fixture
def app_client(db_url: str, labels_calls: list[int]) -> Iterator[TestClient]:
    """An anonymous client of a fresh app on the test database."""
    from app.main import create_app

    with TestClient(create_app()) as client:
        yield client


@pytest.fixture
def client_for(app_client: TestClient, accounts: dict[str, Account]) -> Callable[[str], TestClient]:
    """client_for("reviewer"): a client sending that account's bearer token."""
    made: dict[str, TestClient] = {}

    def get(name: str) -> TestClient:
        if name not in made:
            client = TestClient(app_client.app)
            client.headers["Authorization"] = f"Bearer {accounts[name].token}"
            made[name] = client
        return made[name]

    return get


def item_rows(n: int, prefix: str = "item") -> list[dict[str, Any]]:
    return [
        {
            "external_id": f"{prefix}-{k}",
            "prompt": f"Question {k}: how do I boil an egg?",
            "chosen": f"Put egg {k} in boiling water for nine minutes, then cool it in cold water.",
            "rejected": f"Put egg {k} in cold water and wait for an hour until it is done cooking.",
        }
        for k in range(n)
    ]


def create_dataset(session: Session, name: str, n_items: int = 5, **settings: Any) -> Dataset:
    """A committed dataset with n simple items; `settings` are Dataset columns (thresholds...)."""
    dataset = Dataset(name=name, **settings)
    session.add(dataset)
    session.flush()
    for row in item_rows(n_items, dataset.name):
        digest = hashlib.sha256((row["prompt"] + "\0" + row["rejected"]).encode()).hexdigest()
        session.add(Item(dataset_id=dataset.id, content_hash=digest, **row))
    session.commit()
    return dataset


@pytest.fixture
def make_dataset(session: Session) -> Callable[..., Dataset]:
    """make_dataset(n_items=5, name=None, **settings): a dataset with n simple items."""
    counter = iter(range(1_000_000))

    def make(n_items: int = 5, name: str | None = None, **settings: Any) -> Dataset:
        return create_dataset(session, name or f"ds-{next(counter)}", n_items, **settings)

    return make
