"""The auto-edit API: admins only, start, progress, cancel, validation, and no key in any response."""

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.autoedit.conftest import API_KEY, FAST_TIMING, drain

Clients = Callable[[str], TestClient]
URL = "/api/v1/autoedit-batches"


def test_only_admins_may_start_watch_or_cancel(settings, sent, client_for: Clients, app_client, marked_dataset) -> None:
    dataset, _ = marked_dataset(n=2)
    for role in ("annotator", "reviewer", "engineer"):
        response = client_for(role).post(URL, json={"dataset": dataset.name})
        assert response.status_code == 403, response.text
        assert client_for(role).get(f"{URL}/1").status_code == 403
    assert app_client.post(URL, json={"dataset": dataset.name}).status_code == 401
    assert sent == []


def test_an_admin_starts_watches_and_cancels_a_batch(settings, sent, fake, client_for: Clients, marked_dataset) -> None:
    admin = client_for("admin")
    dataset, _ = marked_dataset(n=6)
    created = admin.post(URL, json={"dataset": dataset.name, "limit": 4, "concurrency": 1, "timing": FAST_TIMING})
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["status"], body["total"], body["remaining"], body["model"]) == ("running", 4, 4, "claude-sonnet-4-5")
    items = [m for m in sent if m[0] == "redline.autoedit.edit_item"]
    from worker import tasks_autoedit

    tasks_autoedit.edit_item(*items[0][1])
    progress = admin.get(f"{URL}/{body['id']}").json()
    assert (progress["done"], progress["failed"], progress["remaining"]) == (1, 0, 3)
    assert progress["input_tokens"] > 0 and progress["output_tokens"] > 0 and progress["cost_usd"] > 0

    cancelled = admin.post(f"{URL}/{body['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancelled"] == 3 and cancelled.json()["done"] == 1
    again = admin.post(f"{URL}/{body['id']}/cancel")
    assert again.status_code == 409 and again.json()["detail"] == f"auto-edit batch {body['id']} already cancelled"
    assert [b["id"] for b in admin.get(URL).json()] == [body["id"]]
    for response in (created, cancelled, again):
        assert API_KEY not in response.text


def test_bad_requests_name_the_field(settings, sent, client_for: Clients, marked_dataset) -> None:
    admin = client_for("admin")
    dataset, _ = marked_dataset(n=1)
    assert admin.post(URL, json={"dataset": "nope"}).json()["detail"] == "dataset 'nope' not found"
    cases = [
        ({"mode": "stream"}, "mode"),
        ({"prompt_version": "v99"}, "prompt_version"),
        ({"concurrency": 0}, "concurrency"),
        ({"model": "gateway-model", "max_cost_usd": 1.0}, "max_cost_usd"),
        ({"external_id_glob": "no-such-*"}, "selection"),
        ({"timing": {"request_timeout_s": 100, "stale_after_s": 50}}, "stale_after_s"),
        ({"timing": {"warp_factor": 9}}, "timing"),
    ]
    for fields, field in cases:
        response = admin.post(URL, json={"dataset": dataset.name, **fields})
        assert response.status_code == 422 and response.json()["field"] == field, (fields, response.text)
    assert sent == []


def test_a_finished_batch_reports_its_drafts(settings, sent, fake, client_for: Clients, marked_dataset) -> None:
    admin = client_for("admin")
    dataset, _ = marked_dataset(["Wrong one.", "Fine. [[fake:nochange]]", "Bad. [[fake:no_delimiter]]"])
    body = admin.post(URL, json={"dataset": dataset.id, "timing": FAST_TIMING}).json()
    drain(sent)
    progress = admin.get(f"{URL}/{body['id']}").json()
    assert progress["status"] == "succeeded" and progress["ended"]
    assert progress["edits"] == {"edited": 1, "no_change": 1, "rewrite": 0, "in_review": 2, "accepted": 0}
    assert progress["failed"] == 1 and progress["recent_failures"][0]["error"].startswith("parse failure")
