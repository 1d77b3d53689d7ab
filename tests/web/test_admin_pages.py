"""Admin pages: accounts (create, role, deactivate, the last admin kept), dataset upload with its error
table, settings with thresholds and guidelines, and clearing a flag."""

import json
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Dataset, Item, Role, User
from app.services import queue
from tests.fixtures_app import Account
from tests.web.conftest import PageClient


def _jsonl(rows: list[dict[str, object]]) -> bytes:
    return "\n".join(json.dumps(r) for r in rows).encode()


def test_admin_creates_changes_and_deactivates_users(session: Session, accounts: dict[str, Account],
                                                     page_client: Callable[[str], PageClient]) -> None:
    admin = page_client("admin")
    created = admin.post("/admin/users", {"email": "New@Example.org", "role": "reviewer",
                                          "password": "long enough pw"})
    assert created.status_code == 303
    user = session.scalars(select(User).where(User.email == "new@example.org")).one()
    assert user.role == Role.reviewer
    duplicate = admin.post("/admin/users", {"email": "new@example.org", "role": "annotator",
                                            "password": "long enough pw"})
    assert duplicate.status_code == 409 and "already exists" in duplicate.text
    short = admin.post("/admin/users", {"email": "x@example.org", "role": "annotator", "password": "short"})
    assert short.status_code == 422 and 'aria-invalid="true"' in short.text
    assert admin.post(f"/admin/users/{user.id}/role", {"role": "annotator"}).status_code == 303
    assert admin.post(f"/admin/users/{user.id}/active", {"active": "false"}).status_code == 303
    session.expire_all()
    assert (user.role, user.is_active) == (Role.annotator, False)
    me = accounts["admin"].user
    last = admin.post(f"/admin/users/{me.id}/role", {"role": "annotator"})
    assert last.status_code == 409 and "last active admin" in last.text


def test_upload_reports_invalid_rows_as_a_table_and_imports_nothing(
    session: Session, page_client: Callable[[str], PageClient],
) -> None:
    admin = page_client("admin")
    rows: list[dict[str, object]] = [{"prompt": "p1", "chosen": "a", "rejected": "b"},
                                     {"prompt": "p2", "chosen": "a"},
                                     {"prompt": "p3", "chosen": "a", "rejected": "<script>x</script>"}]
    bad = admin.post("/admin/datasets", {"name": "uploaded", "format": ""},
                     files={"file": ("pairs.jsonl", _jsonl(rows), "application/json")})
    assert bad.status_code == 422 and 'id="import-errors"' in bad.text and "Nothing was imported" in bad.text
    assert "<td>rejected</td>" in bad.text
    assert session.scalars(select(Item)).first() is None
    good = admin.post("/admin/datasets", {"name": "uploaded", "skip_invalid": "true"},
                      files={"file": ("pairs.jsonl", _jsonl(rows), "application/json")})
    assert good.status_code == 201 and 'id="report-created">2<' in good.text
    assert len(list(session.scalars(select(Item)))) == 2


def test_settings_are_saved_and_checked(session: Session, make_dataset: Callable[..., Dataset],
                                        page_client: Callable[[str], PageClient]) -> None:
    dataset = make_dataset(1)
    admin = page_client("admin")
    form = {"description": "d", "guidelines": "# Be *brief*", "tokenizer": dataset.tokenizer,
            "soft_max_changed_words": "5", "hard_max_changed_words": "10", "soft_max_edit_ratio_pct": "20",
            "hard_max_edit_ratio_pct": "50", "annotations_per_item": "2"}
    saved = admin.post(f"/admin/datasets/{dataset.id}", form)
    assert saved.status_code == 303
    session.expire_all()
    assert (dataset.soft_max_changed_words, dataset.hard_max_edit_ratio, dataset.annotations_per_item,
            dataset.guidelines) == (5, 0.5, 2, "# Be *brief*")
    assert "<h1>Be <em>brief</em></h1>" in admin.get(f"/admin/datasets/{dataset.id}").text
    inverted = admin.post(f"/admin/datasets/{dataset.id}", {**form, "soft_max_changed_words": "11"})
    assert inverted.status_code == 422 and "must not exceed" in inverted.text
    session.expire_all()
    assert dataset.soft_max_changed_words == 5


def test_admin_clears_a_flag(session: Session, accounts: dict[str, Account], make_dataset: Callable[..., Dataset],
                             page_client: Callable[[str], PageClient]) -> None:
    dataset = make_dataset(1)
    item = session.scalars(select(Item).where(Item.dataset_id == dataset.id)).one()
    queue.flag_item(session, item.id, accounts["annotator"].user, "broken")
    admin = page_client("admin")
    assert "<span class=\"pill rejected\">broken</span>" in admin.get(f"/admin/datasets/{dataset.id}").text
    assert admin.post(f"/admin/datasets/{dataset.id}/items/{item.id}/unflag", {}).status_code == 303
    session.expire_all()
    assert (item.flag, item.state) == (None, "open")
