"""POST /api/v1/align: the shared alignment as JSON."""

from collections.abc import Callable

from fastapi.testclient import TestClient

Clients = Callable[[str], TestClient]


def test_align_labels_the_changed_tokens(client_for: Clients) -> None:
    response = client_for("annotator").post("/api/v1/align", json={
        "original": "The cat sat on the mat.", "edited": "The black cat sat on the mat."})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["hunks"] == [{"orig_start": 3, "orig_end": 3, "edit_start": 3, "edit_end": 9}]
    plus = [t["text"] for t in body["edited_tokens"] if t["label"] == 1]
    assert "".join(plus).strip() == "black"
    assert all(t["label"] == 0 for t in body["original_tokens"])
    assert body["stats"]["changed_words_edited"] == 1


def test_align_input_checks(client_for: Clients, app_client: TestClient) -> None:
    from app.config import get_settings

    client = client_for("engineer")
    assert app_client.post("/api/v1/align", json={"original": "a", "edited": "b"}).status_code == 401
    missing = client.post("/api/v1/align", json={"original": "a"})
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"][-1] == "edited"
    unknown = client.post("/api/v1/align", json={"original": "a", "edited": "b", "tokenizer": "/etc"})
    assert unknown.status_code == 422 and unknown.json()["field"] == "tokenizer"
    long = "a" * (get_settings().max_text_chars + 1)
    too_long = client.post("/api/v1/align", json={"original": long, "edited": "b"})
    assert too_long.status_code == 413 and too_long.json()["field"] == "original"
