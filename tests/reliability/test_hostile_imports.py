"""Malformed import files, uploaded through the API as an admin would: each gets a 4xx whose errors name
the rows (or the file) and what is wrong, and nothing at all is imported; oversized request bodies and
edit texts are refused with 413/422. (The 50 MB single line goes to a real server process in
test_live_server.py, where its memory can be measured.)"""

import io
import json
import os
from collections.abc import Callable

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Dataset, Item

GOOD = {"prompt": "How do I boil an egg?", "chosen": "Boil it for nine minutes.", "rejected": "Boil it for an hour."}


def jsonl(*rows: object) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in rows)


def good(n: int) -> dict[str, str]:
    return {**GOOD, "rejected": f"Boil it for {n} hours."}


def parquet_bytes() -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.table({k: [v] * 3 for k, v in GOOD.items()}), sink)
    return sink.getvalue()


# name -> (file bytes, rows the errors must name (None: the file as a whole), words the message must hold)
CORPUS: dict[str, tuple[bytes, list[int] | None, str]] = {
    "truncated.jsonl": (jsonl(good(1), good(2)) + json.dumps(good(3)).encode()[:-9], [3], "truncated"),
    "latin1.jsonl": (jsonl(good(1)) + json.dumps({**GOOD, "rejected": "café"}, ensure_ascii=False)
                     .encode("latin-1") + b"\n" + jsonl(good(3)), [2], "UTF-8"),
    "utf16.jsonl": (jsonl(good(1), good(2)).decode().encode("utf-16"), None, "UTF-8"),
    "bom_inside.jsonl": (b"\xef\xbb\xbf" + jsonl(good(1)) + b"\xef\xbb\xbf" + jsonl(good(2)), [2], "JSON"),
    "wrong_types.jsonl": (jsonl(good(1), {**GOOD, "prompt": 42}, {**GOOD, "chosen": ["a"]}, [1, 2]),
                          [2, 3, 4], "must be a string"),
    "missing_fields.jsonl": (jsonl(good(1), {"prompt": "p", "chosen": "c"}, {"prompt": "p"}), [2, 3],
                             "missing field"),
    "nul_byte.jsonl": (jsonl(good(1), {**GOOD, "rejected": "a\u0000b"}), [2], "NUL"),
    "deep.jsonl": (jsonl(good(1)) + b"[" * 50_000 + b"]" * 50_000 + b"\n", [2], "nested"),
    "not_json.jsonl": (jsonl(good(1)) + b"prompt=p; chosen=c\n", [2], "JSON"),
    "garbage.bin": (os.urandom(4096), None, ""),
    "empty.jsonl": (b"", None, "empty"),
    "trailing.json": (json.dumps([good(1), good(2)]).encode() + b' {"x": 1}', None, "after"),
    "ragged.csv": (b"prompt,chosen,rejected\np,c,r\np,c\np,c,r2\n", [2], "fields"),
    "broken.parquet": (parquet_bytes()[:-40], None, "Parquet"),
}


def upload(client: TestClient, name: str, data: bytes, dataset: str, **fields: str):
    return client.post("/api/v1/datasets", data={"name": dataset, **fields}, files={"file": (name, data)})


def count_items(session: Session, dataset: str) -> int | None:
    """Items stored in the dataset, or None when the dataset does not exist."""
    session.expire_all()
    found = session.scalars(select(Dataset).where(Dataset.name == dataset)).first()
    if found is None:
        return None
    return session.scalar(select(func.count()).select_from(Item).where(Item.dataset_id == found.id))


@pytest.mark.parametrize("name", list(CORPUS))
def test_malformed_file_is_refused_naming_the_rows_and_imports_nothing(
    name: str, client_for: Callable[[str], TestClient], session: Session,
) -> None:
    data, rows, words = CORPUS[name]
    reply = upload(client_for("admin"), name, data, "hostile")
    assert 400 <= reply.status_code < 500, (reply.status_code, reply.text[:300])
    body = reply.json()
    errors = body["errors"]
    assert errors and all(e["message"] for e in errors), body
    if rows is None:
        assert errors[0]["row"] is None
    else:
        assert sorted({e["row"] for e in errors}) == rows, errors
    assert words.lower() in json.dumps(body).lower(), body
    assert "nothing was imported" in body["detail"]
    assert count_items(session, "hostile") is None  # not even the dataset was created


def test_malformed_file_into_an_existing_dataset_leaves_it_as_it_was(
    client_for: Callable[[str], TestClient], session: Session,
) -> None:
    admin = client_for("admin")
    assert upload(admin, "ok.jsonl", jsonl(good(1), good(2)), "kept").status_code == 201
    data = jsonl(good(3), good(4), good(5)) + b'{"prompt": "cut'
    assert upload(admin, "bad.jsonl", data, "kept").status_code == 422
    assert count_items(session, "kept") == 2


def test_skip_invalid_imports_only_the_valid_rows_and_names_the_rest(
    client_for: Callable[[str], TestClient], session: Session,
) -> None:
    data, _, _ = CORPUS["wrong_types.jsonl"]
    reply = upload(client_for("admin"), "w.jsonl", data, "partial", skip_invalid="true")
    assert reply.status_code == 201, reply.text
    report = reply.json()["report"]
    assert report["created"] == 1 and report["invalid"] == 3
    assert sorted({e["row"] for e in report["errors"]}) == [2, 3, 4]
    assert count_items(session, "partial") == 1


def test_oversized_bodies_and_texts_are_refused(
    client_for: Callable[[str], TestClient], make_dataset, session: Session, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app import middleware

    dataset = make_dataset(1)
    annotator = client_for("annotator")
    item_id = annotator.get(f"/api/v1/queue/next?dataset_id={dataset.id}").json()["item"]["id"]
    url = f"/api/v1/items/{item_id}/edit"
    # A text over the editor's limit: 413 from the service, with the limit named.
    too_long = annotator.put(url, json={"edited_text": "x" * 200_001, "status": "draft", "version": 0})
    assert too_long.status_code == 413 and "the limit is 200000" in too_long.json()["detail"]
    # A JSON body over the cap: refused by its Content-Length before it is read.
    monkeypatch.setattr(middleware, "MAX_NON_UPLOAD_BYTES", 1024 * 1024)
    app = client_for("annotator").app
    capped = TestClient(middleware.BodySizeLimitMiddleware(app, app.state.settings))  # type: ignore[arg-type]
    body = {"edited_text": "y" * 2 * 1024 * 1024, "status": "draft", "version": 0}
    big = capped.put(url, json=body, headers=annotator.headers)
    assert big.status_code == 413 and "request body too large" in big.json()["detail"]
    # The same body sent in chunks without a Content-Length: counted as it arrives.
    payload = json.dumps(body).encode()
    chunked = capped.put(url, content=iter([payload[i:i + 65536] for i in range(0, len(payload), 65536)]),
                         headers={**annotator.headers, "content-type": "application/json"})
    assert chunked.status_code == 413
    # Wrong types and out-of-range fields are 422 with the field named.
    for bad in ({"edited_text": 5, "version": 0}, {"edited_text": "x", "version": -1},
                {"edited_text": "x", "version": 2**40}, {"edited_text": "x", "status": "accepted", "version": 0}):
        reply = annotator.put(url, json=bad)
        assert reply.status_code == 422, bad
    session.expire_all()
    from app.models import Edit

    assert session.scalars(select(Edit)).first() is None  # nothing was saved by any of them
