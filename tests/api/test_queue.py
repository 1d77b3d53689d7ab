"""The annotation queue: who gets which item, and that two annotators never share one."""

import threading
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import Item, Lease, Role
from app.models.base import utcnow

Clients = Callable[[str], TestClient]


def next_item_id(client: TestClient, **params) -> int | None:
    response = client.get("/api/v1/queue/next", params=params or None)
    if response.status_code == 204:
        return None
    assert response.status_code == 200, response.text
    return response.json()["item"]["id"]


def test_each_annotator_gets_their_own_item_until_none_is_left(client_for: Clients, make_dataset) -> None:
    make_dataset(2)
    first, second = client_for("annotator"), client_for("annotator2")
    a, b = next_item_id(first), next_item_id(second)
    assert a is not None and b is not None and a != b
    assert next_item_id(first) == a  # a live lease hands back the same item
    assert next_item_id(client_for("admin")) is None


def test_dataset_filter_and_bad_parameters(client_for: Clients, make_dataset) -> None:
    make_dataset(1)
    other = make_dataset(1)
    annotator = client_for("annotator")
    item_id = next_item_id(annotator, dataset_id=other.id)
    assert annotator.get(f"/api/v1/items/{item_id}").json()["dataset_id"] == other.id
    bad = annotator.get("/api/v1/queue/next", params={"dataset_id": "abc"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "dataset_id"]


def test_two_annotations_per_item_go_to_two_people(client_for: Clients, make_dataset) -> None:
    make_dataset(1, annotations_per_item=2)
    first, second = client_for("annotator"), client_for("annotator2")
    item_id = next_item_id(first)
    assert next_item_id(second) == item_id
    assert next_item_id(client_for("admin")) is None  # two live leases fill the item
    submit = {"edited_text": "Put the egg in boiling water.", "status": "submitted", "version": 0,
              "needs_rewrite": True}
    assert first.put(f"/api/v1/items/{item_id}/edit", json=submit).status_code == 200
    assert first.get("/api/v1/queue/next").status_code == 204  # never the same item twice to one person
    assert second.put(f"/api/v1/items/{item_id}/edit", json=submit).status_code == 200
    assert client_for("reviewer").get(f"/api/v1/items/{item_id}").json()["state"] == "submitted"


def test_annotators_see_only_their_items(client_for: Clients, make_dataset, session: Session) -> None:
    dataset = make_dataset(2)
    ids = session.scalars(select(Item.id).where(Item.dataset_id == dataset.id).order_by(Item.id)).all()
    annotator = client_for("annotator")
    mine = next_item_id(annotator)
    other = next(i for i in ids if i != mine)
    assert annotator.get(f"/api/v1/items/{mine}").status_code == 200
    assert annotator.get(f"/api/v1/items/{other}").status_code == 403
    assert client_for("reviewer").get(f"/api/v1/items/{other}").status_code == 200
    assert annotator.get("/api/v1/items/999999").status_code == 404


def test_only_annotators_and_admins_lease(client_for: Clients, app_client: TestClient, make_dataset) -> None:
    make_dataset(1)
    assert app_client.get("/api/v1/queue/next").status_code == 401
    for role in (Role.reviewer, Role.engineer):
        response = client_for(role.value).get("/api/v1/queue/next")
        assert response.status_code == 403
        assert response.json()["detail"] == "this action needs one of the roles: admin, annotator"


def test_concurrent_leases_never_share_an_item(db_url: str) -> None:
    """Threads lease and finish items as fast as they can; every item is leased exactly once overall.
    (PostgreSQL: row locks with SKIP LOCKED; SQLite: the database write lock.)

    A finished item (submitted) is never offered again and a live lease excludes everyone else, so a
    second lease of any item would mean two annotators held it at the same time."""
    from app.db import get_sessionmaker
    from app.models import User
    from app.services.edits import save_edit
    from app.services.queue import lease_next
    from tests.fixtures_app import create_dataset, make_account

    n_users, n_items = 8, 40
    with get_sessionmaker()() as s:
        user_ids = [make_account(s, f"a{k}@example.org", Role.annotator).user.id for k in range(n_users)]
        create_dataset(s, "race", n_items)
    leased: dict[int, list[int]] = {uid: [] for uid in user_ids}
    barrier = threading.Barrier(n_users)
    errors: list[BaseException] = []

    def work(user_id: int) -> None:
        try:
            with get_sessionmaker()() as s:
                user = s.get(User, user_id)
                assert user is not None
                barrier.wait()
                while (got := lease_next(s, user, ttl_s=600)) is not None:
                    item, _ = got
                    leased[user_id].append(item.id)
                    save_edit(s, item.id, user, item.rejected, status="submitted", outcome="no_edit_needed")
        except BaseException as exc:  # re-raised in the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(uid,)) for uid in user_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    every = [item_id for ids in leased.values() for item_id in ids]
    assert len(every) == n_items and len(set(every)) == n_items
    assert sum(1 for ids in leased.values() if ids) > 1  # the work really was shared


def test_an_expired_lease_comes_back_renewed_and_clears_others_expired_ones(
    client_for: Clients, make_dataset, session: Session
) -> None:
    make_dataset(1, annotations_per_item=2)
    first, second = client_for("annotator"), client_for("annotator2")
    item_id = next_item_id(first)
    assert next_item_id(second) == item_id
    session.execute(update(Lease).values(expires_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    # No live lease: the queue grants the item again, renewing the caller's own row and deleting the
    # other annotator's expired one.
    reply = first.get("/api/v1/queue/next")
    assert reply.status_code == 200 and reply.json()["item"]["id"] == item_id
    session.expire_all()
    leases = session.scalars(select(Lease)).all()
    assert [lease.user_id for lease in leases] == [reply.json()["lease"]["user_id"]]
    assert leases[0].expires_at.replace(tzinfo=None) > utcnow().replace(tzinfo=None)
