"""The admin auto-edit pages: start form, live status fragment that stops polling at the end, cancel."""

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.autoedit.conftest import API_KEY, drain

Clients = Callable[[str], TestClient]
HTMX = {"HX-Request": "true"}


def test_the_page_is_for_admins_only(settings, client_for: Clients, marked_dataset) -> None:
    marked_dataset(n=1)
    assert client_for("admin").get("/admin/autoedit").status_code == 200
    for role in ("annotator", "reviewer", "engineer"):
        assert client_for(role).get("/admin/autoedit").status_code == 403


def test_start_watch_until_the_end_and_polling_stops(settings, sent, fake, client_for: Clients, marked_dataset) -> None:
    admin = client_for("admin")
    dataset, _ = marked_dataset(n=3)
    page = admin.get("/admin/autoedit")
    assert 'id="autoedit-form"' in page.text and "claude-sonnet-4-5" in page.text
    started = admin.post("/admin/autoedit", data={"dataset": dataset.name, "concurrency": "2", "max_cost_usd": "5"},
                         follow_redirects=False)
    assert started.status_code == 303, started.text
    target = started.headers["location"]
    running = admin.get(target, headers=HTMX)
    assert running.text.lstrip().startswith("<section")
    assert 'hx-trigger="load delay:2s"' in running.text and 'id="cancel-autoedit"' in running.text
    assert "<html" not in running.text  # htmx gets the fragment alone
    drain(sent)
    ended = admin.get(target, headers=HTMX)
    assert "hx-trigger" not in ended.text and "cancel-autoedit" not in ended.text
    assert '<dd id="ae-done">3 of 3</dd>' in ended.text and "succeeded" in ended.text
    full = admin.get(target)
    assert "<html" in full.text and f"Auto-edit batch #{target.rsplit('/', 1)[1]}" in full.text
    for response in (page, running, ended, full, admin.get("/admin/autoedit")):
        assert API_KEY not in response.text


def test_cancel_from_the_page(settings, sent, fake, client_for: Clients, marked_dataset) -> None:
    admin = client_for("admin")
    dataset, _ = marked_dataset(n=4)
    target = admin.post("/admin/autoedit", data={"dataset": dataset.name}, follow_redirects=False).headers["location"]
    cancelled = admin.post(f"{target}/cancel", headers=HTMX)
    assert cancelled.status_code == 200
    assert 'id="autoedit-state">cancelled<' in cancelled.text and "hx-trigger" not in cancelled.text
    assert "cancelled by admin@example.org" in cancelled.text


def test_a_refused_start_shows_the_reason_beside_the_field(settings, sent, client_for: Clients, marked_dataset) -> None:
    admin = client_for("admin")
    dataset, _ = marked_dataset(n=1)
    refused = admin.post("/admin/autoedit", data={"dataset": dataset.name, "external_id_glob": "nothing-*"})
    assert refused.status_code == 422
    assert 'aria-invalid="true"' in refused.text and "match this selection" in refused.text
    assert 'value="nothing-*"' in refused.text  # what was typed stays in the form
    ceiling = admin.post("/admin/autoedit", data={"dataset": dataset.name, "model": "gw-model", "max_cost_usd": "2"})
    assert ceiling.status_code == 422 and 'name="max_cost_usd" value="2" aria-invalid' in ceiling.text
    assert sent == []
