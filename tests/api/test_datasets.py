"""Datasets over the API: upload with its error report, settings, progress, roles."""

import json
from collections.abc import Callable

from fastapi.testclient import TestClient

Clients = Callable[[str], TestClient]


def jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


ROWS = [{"prompt": f"Q{k}?", "chosen": f"Good answer {k}.", "rejected": f"Bad answer {k}."} for k in range(3)]


def test_upload_then_list_and_get(client_for: Clients) -> None:
    admin = client_for("admin")
    response = admin.post("/api/v1/datasets", data={"name": "uploaded"},
                          files={"file": ("pairs.jsonl", jsonl(ROWS), "application/x-ndjson")})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["dataset"]["name"] == "uploaded" and body["report"]["created"] == 3
    again = admin.post("/api/v1/datasets", data={"name": "uploaded"}, files={"file": ("p.jsonl", jsonl(ROWS))})
    assert again.json()["report"]["created"] == 0 and again.json()["report"]["skipped_duplicates"] == 3
    dataset_id = body["dataset"]["id"]
    for role in ("annotator", "reviewer", "engineer", "admin"):
        assert [d["name"] for d in client_for(role).get("/api/v1/datasets").json()] == ["uploaded"]
    detail = client_for("annotator").get(f"/api/v1/datasets/{dataset_id}").json()
    assert detail["progress"]["items"] == 3 and detail["progress"]["edited"] == 0
    assert client_for("annotator").get("/api/v1/datasets/999999").status_code == 404


def test_an_invalid_row_imports_nothing_unless_skipped(client_for: Clients) -> None:
    admin = client_for("admin")
    rows = [*ROWS, {"prompt": "Q?", "chosen": "fine"}]
    refused = admin.post("/api/v1/datasets", data={"name": "bad", "format": "trl-standard"},
                         files={"file": ("pairs.jsonl", jsonl(rows))})
    assert refused.status_code == 422, refused.text
    errors = refused.json()["errors"]
    assert errors and errors[0]["row"] == 4 and errors[0]["field"] == "rejected"
    assert "bad" not in [d["name"] for d in admin.get("/api/v1/datasets").json()]  # nothing imported
    skipped = admin.post("/api/v1/datasets", data={"name": "bad", "format": "trl-standard", "skip_invalid": "true"},
                         files={"file": ("pairs.jsonl", jsonl(rows))})
    assert skipped.status_code == 201 and skipped.json()["report"]["created"] == 3
    assert skipped.json()["report"]["invalid"] == 1


def test_upload_input_checks_and_roles(client_for: Clients, app_client: TestClient) -> None:
    admin = client_for("admin")
    no_file = admin.post("/api/v1/datasets", data={"name": "x"})
    assert no_file.status_code == 422 and no_file.json()["detail"][0]["loc"][-1] == "file"
    no_name = admin.post("/api/v1/datasets", files={"file": ("p.jsonl", jsonl(ROWS))})
    assert no_name.status_code == 422 and no_name.json()["detail"][0]["loc"][-1] == "name"
    files = {"file": ("p.jsonl", jsonl(ROWS))}
    assert app_client.post("/api/v1/datasets", data={"name": "x"}, files=files).status_code == 401
    for role in ("annotator", "reviewer", "engineer"):
        assert client_for(role).post("/api/v1/datasets", data={"name": "x"}, files=files).status_code == 403


def test_settings_are_for_admins_and_checked(client_for: Clients, make_dataset) -> None:
    dataset = make_dataset(1)
    admin = client_for("admin")
    url = f"/api/v1/datasets/{dataset.id}"
    changed = admin.patch(url, json={"guidelines": "# Be minimal", "soft_max_changed_words": 5,
                                     "hard_max_changed_words": 10, "annotations_per_item": 2})
    assert changed.status_code == 200, changed.text
    assert changed.json()["guidelines"] == "# Be minimal" and changed.json()["annotations_per_item"] == 2
    over = admin.patch(url, json={"soft_max_changed_words": 11})  # against the stored hard limit
    assert over.status_code == 422 and over.json()["field"] == "soft_max_changed_words"
    both = admin.patch(url, json={"soft_max_edit_ratio": 0.9, "hard_max_edit_ratio": 0.5})
    assert both.status_code == 422
    ratio = admin.patch(url, json={"hard_max_edit_ratio": 1.5})
    assert ratio.status_code == 422 and ratio.json()["detail"][0]["loc"][-1] == "hard_max_edit_ratio"
    assert admin.patch(url, json={"annotations_per_item": 0}).status_code == 422
    assert client_for("reviewer").patch(url, json={"guidelines": "x"}).status_code == 403
