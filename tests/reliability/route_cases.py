"""Every route of the app with a valid request for it and the status each role must get.

Statuses are in the order of world.ROLES: anonymous, annotator, reviewer, engineer, admin. API routes are
called with the role's bearer token; browser pages (no /api prefix) with a session cookie and its CSRF
token. Anonymous API calls get 401; anonymous page visits are sent to the login page (303).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fixtures_app import PASSWORD
from tests.reliability.world import World

Request = dict[str, Any]  # url, and json / data / files / cookies as httpx takes them


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    """The route's path template, exactly as app.routes lists it."""
    expect: tuple[int, int, int, int, int]
    build: Callable[[World, str], Request] = field(default=lambda w, role: {})
    """The request for a role (url filled in from the template when it has no parameters)."""


def S(anonymous: int, annotator: int, reviewer: int, engineer: int, admin: int) -> tuple[int, int, int, int, int]:
    return (anonymous, annotator, reviewer, engineer, admin)


EVERYONE = S(200, 200, 200, 200, 200)
SIGNED_IN = S(401, 200, 200, 200, 200)
ENGINEERS = S(401, 403, 403, 200, 200)
ADMINS = S(401, 403, 403, 403, 200)
ANNOTATORS = S(401, 200, 403, 403, 200)
REVIEWERS = S(401, 403, 200, 403, 200)


def page(annotator: int, reviewer: int, engineer: int, admin: int) -> tuple[int, int, int, int, int]:
    """A browser page: anonymous visitors are redirected to the login page."""
    return S(303, annotator, reviewer, engineer, admin)


def upload() -> dict[str, Any]:
    return {"file": ("pairs.jsonl", b'{"prompt": "p", "chosen": "c", "rejected": "r"}\n', "application/json")}


def settings_form(w: World) -> dict[str, str]:
    return {"description": "d", "guidelines": "g", "tokenizer": w.dataset.tokenizer, "soft_max_changed_words": "30",
            "hard_max_changed_words": "80", "soft_max_edit_ratio_pct": "30", "hard_max_edit_ratio_pct": "60",
            "annotations_per_item": "1"}


def _item(w: World, role: str) -> int:
    return w.leased_item(role).id


def _edit_text(w: World, item_id: int) -> str:
    from app.models import Item

    item = w.session.get(Item, item_id)
    assert item is not None
    return item.rejected.replace("an hour", "nine minutes")


def item_req(suffix: str, **body: Any) -> Callable[[World, str], Request]:
    def build(w: World, role: str) -> Request:
        item_id = _item(w, role)
        out: Request = {"url": f"/api/v1/items/{item_id}{suffix}"}
        if body:
            out["json"] = {k: (_edit_text(w, item_id) if v == "EDITED" else v) for k, v in body.items()}
        return out
    return build


def page_item_req(suffix: str, **form: Any) -> Callable[[World, str], Request]:
    def build(w: World, role: str) -> Request:
        item_id = _item(w, role)
        from app.models import Item

        item = w.session.get(Item, item_id)
        assert item is not None
        values = {"EDITED": _edit_text(w, item_id), "ORIGINAL": item.rejected}
        return {"url": f"/annotate/items/{item_id}{suffix}",
                "data": {k: values.get(v, v) for k, v in form.items()}}
    return build


def edit_req(prefix: str, suffix: str, **body: Any) -> Callable[[World, str], Request]:
    def build(w: World, role: str) -> Request:
        edit = w.edit()
        out: Request = {"url": f"{prefix}/{edit.id}{suffix}"}
        if body:
            key = "data" if prefix.startswith("/review") else "json"
            out[key] = {k: (_edit_text(w, edit.item_id) if v == "EDITED" else v) for k, v in body.items()}
        return out
    return build


def login_form(w: World, role: str) -> Request:
    email = w.accounts["annotator" if role == "anonymous" else role].email
    return {"url": "/login", "data": {"email": email, "password": PASSWORD, "login_csrf": "t0k3n"},
            "cookies": {"redline_login_csrf": "t0k3n"}}


def job_create(w: World, role: str) -> Request:
    export_id = f"00000000-0000-4000-8000-{w.dataset.id:012d}"
    return {"url": "/api/v1/training-jobs", "json": {"kind": "reward-token", "preset": "cpu-tiny", "export_id": export_id}}


CASES: list[Case] = [
    # --- public -------------------------------------------------------------------------------------
    Case("GET", "/healthz", EVERYONE),
    Case("GET", "/openapi.json", EVERYONE),
    Case("GET", "/docs", EVERYONE),
    Case("GET", "/docs/oauth2-redirect", EVERYONE),
    Case("GET", "/redoc", EVERYONE),
    Case("GET", "/static", EVERYONE, lambda w, r: {"url": "/static/css/app.css"}),
    Case("POST", "/api/v1/auth/token", S(201, 201, 201, 201, 201),
         lambda w, r: {"url": "/api/v1/auth/token",
                       "json": {"email": w.accounts["annotator" if r == "anonymous" else r].email, "password": PASSWORD}}),
    Case("GET", "/login", S(200, 303, 303, 303, 303)),
    Case("POST", "/login", S(303, 303, 303, 303, 303), login_form),
    Case("POST", "/logout", S(303, 303, 303, 303, 303)),
    Case("GET", "/", S(303, 303, 303, 303, 303)),
    # --- API: datasets, items, queue, review -----------------------------------------------------------
    Case("GET", "/api/v1/me", SIGNED_IN),
    Case("POST", "/api/v1/align", SIGNED_IN, lambda w, r: {"url": "/api/v1/align",
                                                          "json": {"original": "a cat sat", "edited": "a dog sat"}}),
    Case("GET", "/api/v1/datasets", SIGNED_IN),
    Case("GET", "/api/v1/datasets/{dataset_id}", SIGNED_IN, lambda w, r: {"url": f"/api/v1/datasets/{w.dataset.id}"}),
    Case("PATCH", "/api/v1/datasets/{dataset_id}", ADMINS,
         lambda w, r: {"url": f"/api/v1/datasets/{w.dataset.id}", "json": {"guidelines": "Be brief."}}),
    Case("POST", "/api/v1/datasets", S(401, 403, 403, 403, 201),
         lambda w, r: {"url": "/api/v1/datasets", "data": {"name": w.fresh("upload-")}, "files": upload()}),
    Case("GET", "/api/v1/items/{item_id}", SIGNED_IN, item_req("")),
    Case("PUT", "/api/v1/items/{item_id}/edit", ANNOTATORS, item_req("/edit", edited_text="EDITED", version=0)),
    Case("POST", "/api/v1/items/{item_id}/lease", ANNOTATORS, item_req("/lease")),
    Case("DELETE", "/api/v1/items/{item_id}/lease", S(401, 204, 403, 403, 204), item_req("/lease")),
    Case("POST", "/api/v1/items/{item_id}/skip", S(401, 204, 403, 403, 204), item_req("/skip", reason="off topic")),
    Case("POST", "/api/v1/items/{item_id}/flag", ANNOTATORS, item_req("/flag", kind="unclear", note="?")),
    Case("DELETE", "/api/v1/items/{item_id}/flag", ADMINS,
         lambda w, r: {"url": f"/api/v1/items/{w.flagged_item().id}/flag"}),
    Case("GET", "/api/v1/items/{item_id}/history", S(401, 403, 200, 200, 200),
         lambda w, r: {"url": f"/api/v1/items/{w.edit().item_id}/history"}),
    Case("GET", "/api/v1/queue/next", ANNOTATORS, lambda w, r: (_item(w, r), {})[1]),
    Case("GET", "/api/v1/review/queue", REVIEWERS),
    Case("GET", "/api/v1/edits/{edit_id}", SIGNED_IN,
         lambda w, r: {"url": f"/api/v1/edits/{w.edit('annotator').id}"}),
    Case("POST", "/api/v1/edits/{edit_id}/accept", REVIEWERS, edit_req("/api/v1/edits", "/accept", note="fine")),
    Case("POST", "/api/v1/edits/{edit_id}/reject", REVIEWERS, edit_req("/api/v1/edits", "/reject", reason="no")),
    Case("POST", "/api/v1/edits/{edit_id}/modify", REVIEWERS, edit_req("/api/v1/edits", "/modify", edited_text="EDITED")),
    # --- API: users and tokens -------------------------------------------------------------------------
    Case("GET", "/api/v1/users", ADMINS),
    Case("POST", "/api/v1/users", S(401, 403, 403, 403, 201),
         lambda w, r: {"url": "/api/v1/users",
                       "json": {"email": w.fresh("new") + "@example.org", "role": "annotator", "password": PASSWORD}}),
    Case("GET", "/api/v1/users/{user_id}", ADMINS, lambda w, r: {"url": f"/api/v1/users/{w.other_user().id}"}),
    Case("PATCH", "/api/v1/users/{user_id}", ADMINS,
         lambda w, r: {"url": f"/api/v1/users/{w.other_user().id}", "json": {"role": "reviewer"}}),
    Case("GET", "/api/v1/users/{user_id}/tokens", ADMINS,
         lambda w, r: {"url": f"/api/v1/users/{w.other_user().id}/tokens"}),
    Case("POST", "/api/v1/users/{user_id}/tokens", S(401, 403, 403, 403, 201),
         lambda w, r: {"url": f"/api/v1/users/{w.other_user().id}/tokens", "json": {"name": "box"}}),
    Case("DELETE", "/api/v1/tokens/{token_id}", ADMINS,
         lambda w, r: {"url": f"/api/v1/tokens/{w.token_of(w.other_user()).id}"}),
    # --- API: exports and training jobs ----------------------------------------------------------------
    Case("GET", "/api/v1/datasets/{dataset_id}/export", ENGINEERS,
         lambda w, r: {"url": f"/api/v1/datasets/{w.dataset.id}/export?view=preference"}),
    Case("GET", "/api/v1/exports", ENGINEERS),
    Case("GET", "/api/v1/exports/{export_id}", ENGINEERS, lambda w, r: {"url": f"/api/v1/exports/{w.export.id}"}),
    Case("GET", "/api/v1/exports/{export_id}/download", ENGINEERS,
         lambda w, r: {"url": f"/api/v1/exports/{w.export.id}/download"}),
    Case("POST", "/api/v1/training-jobs", S(401, 403, 403, 201, 201), job_create),
    Case("GET", "/api/v1/training-jobs", ENGINEERS),
    Case("GET", "/api/v1/training-jobs/presets/{kind}/{preset}", ENGINEERS,
         lambda w, r: {"url": "/api/v1/training-jobs/presets/reward-token/cpu-tiny"}),
    Case("GET", "/api/v1/training-jobs/{job_id}", ENGINEERS, lambda w, r: {"url": f"/api/v1/training-jobs/{w.job().id}"}),
    Case("GET", "/api/v1/training-jobs/{job_id}/metrics", ENGINEERS,
         lambda w, r: {"url": f"/api/v1/training-jobs/{w.job_with_artifact().id}/metrics"}),
    Case("POST", "/api/v1/training-jobs/{job_id}/cancel", ENGINEERS,
         lambda w, r: {"url": f"/api/v1/training-jobs/{w.job().id}/cancel"}),
    Case("POST", "/api/v1/training-jobs/{job_id}/retry", ENGINEERS,
         lambda w, r: {"url": f"/api/v1/training-jobs/{w.job('failed').id}/retry"}),
    Case("GET", "/api/v1/training-jobs/{job_id}/artifacts", ENGINEERS,
         lambda w, r: {"url": f"/api/v1/training-jobs/{w.job_with_artifact().id}/artifacts"}),
    Case("GET", "/api/v1/training-jobs/{job_id}/artifacts/{path:path}", ENGINEERS,
         lambda w, r: {"url": f"/api/v1/training-jobs/{w.job_with_artifact().id}/artifacts/metrics.jsonl"}),
    Case("POST", "/api/v1/autoedit-batches", S(401, 403, 403, 403, 201),
         lambda w, r: {"url": "/api/v1/autoedit-batches",
                       "json": {"dataset": w.dataset.id, "item_ids": [w.unedited_item().id]}}),
    Case("GET", "/api/v1/autoedit-batches", ADMINS),
    Case("GET", "/api/v1/autoedit-batches/{batch_id}", ADMINS,
         lambda w, r: {"url": f"/api/v1/autoedit-batches/{w.batch().id}"}),
    Case("POST", "/api/v1/autoedit-batches/{batch_id}/cancel", ADMINS,
         lambda w, r: {"url": f"/api/v1/autoedit-batches/{w.batch().id}/cancel"}),
    # --- pages: annotator ------------------------------------------------------------------------------
    Case("GET", "/annotate", page(200, 403, 403, 200)),
    Case("POST", "/annotate/next", page(303, 403, 403, 303), lambda w, r: (_item(w, r), {})[1]),
    Case("GET", "/annotate/items/{item_id}", page(200, 403, 403, 200),
         lambda w, r: {"url": f"/annotate/items/{_item(w, r)}"}),
    Case("POST", "/annotate/items/{item_id}/preview", page(200, 403, 403, 200),
         page_item_req("/preview", edited_text="EDITED")),
    Case("POST", "/annotate/items/{item_id}/draft", page(200, 403, 403, 200),
         page_item_req("/draft", edited_text="EDITED", version="0")),
    Case("POST", "/annotate/items/{item_id}/submit", page(303, 403, 403, 303),
         page_item_req("/submit", edited_text="EDITED", version="0")),
    Case("POST", "/annotate/items/{item_id}/no-edit", page(303, 403, 403, 303),
         page_item_req("/no-edit", edited_text="ORIGINAL", version="0")),
    Case("POST", "/annotate/items/{item_id}/renew", page(200, 403, 403, 200), page_item_req("/renew")),
    Case("POST", "/annotate/items/{item_id}/skip", page(303, 403, 403, 303), page_item_req("/skip", reason="other")),
    Case("POST", "/annotate/items/{item_id}/flag", page(303, 403, 403, 303), page_item_req("/flag", kind="broken")),
    # --- pages: reviewer, dashboard ----------------------------------------------------------------------
    Case("GET", "/review", page(403, 200, 403, 200)),
    Case("GET", "/review/edits/{edit_id}", page(403, 200, 403, 200), edit_req("/review/edits", "")),
    Case("POST", "/review/edits/{edit_id}/accept", page(403, 303, 403, 303), edit_req("/review/edits", "/accept")),
    Case("POST", "/review/edits/{edit_id}/reject", page(403, 303, 403, 303),
         edit_req("/review/edits", "/reject", reason="wrong")),
    Case("POST", "/review/edits/{edit_id}/modify", page(403, 303, 403, 303),
         edit_req("/review/edits", "/modify", edited_text="EDITED")),
    Case("POST", "/review/edits/{edit_id}/preview", page(403, 200, 403, 200),
         edit_req("/review/edits", "/preview", edited_text="EDITED")),
    Case("GET", "/dashboard", page(403, 200, 200, 200)),
    # --- pages: admin --------------------------------------------------------------------------------
    Case("GET", "/admin/users", page(403, 403, 403, 200)),
    Case("POST", "/admin/users", page(403, 403, 403, 303),
         lambda w, r: {"url": "/admin/users",
                       "data": {"email": w.fresh("page") + "@example.org", "role": "annotator", "password": PASSWORD}}),
    Case("POST", "/admin/users/{user_id}/role", page(403, 403, 403, 303),
         lambda w, r: {"url": f"/admin/users/{w.other_user().id}/role", "data": {"role": "reviewer"}}),
    Case("POST", "/admin/users/{user_id}/active", page(403, 403, 403, 303),
         lambda w, r: {"url": f"/admin/users/{w.other_user().id}/active", "data": {"active": "false"}}),
    Case("GET", "/admin/datasets", page(403, 403, 403, 200)),
    Case("POST", "/admin/datasets", page(403, 403, 403, 201),
         lambda w, r: {"url": "/admin/datasets", "data": {"name": w.fresh("page-upload-")}, "files": upload()}),
    Case("GET", "/admin/datasets/{dataset_id}", page(403, 403, 403, 200),
         lambda w, r: {"url": f"/admin/datasets/{w.dataset.id}"}),
    Case("POST", "/admin/datasets/{dataset_id}", page(403, 403, 403, 303),
         lambda w, r: {"url": f"/admin/datasets/{w.dataset.id}", "data": settings_form(w)}),
    Case("POST", "/admin/datasets/{dataset_id}/items/{item_id}/unflag", page(403, 403, 403, 303),
         lambda w, r: {"url": f"/admin/datasets/{w.dataset.id}/items/{w.flagged_item().id}/unflag"}),
    Case("GET", "/admin/autoedit", page(403, 403, 403, 200)),
    Case("POST", "/admin/autoedit", page(403, 403, 403, 303),
         lambda w, r: {"url": "/admin/autoedit", "data": {"dataset": w.dataset.name, "limit": "1"}}),
    Case("GET", "/admin/autoedit/{batch_id}", page(403, 403, 403, 200),
         lambda w, r: {"url": f"/admin/autoedit/{w.batch().id}"}),
    Case("POST", "/admin/autoedit/{batch_id}/cancel", page(403, 403, 403, 200),
         lambda w, r: {"url": f"/admin/autoedit/{w.batch().id}/cancel"}),
    # --- pages: training ------------------------------------------------------------------------------
    Case("GET", "/jobs", page(403, 403, 200, 200)),
    Case("GET", "/jobs/config", page(403, 403, 200, 200)),
    Case("POST", "/jobs", page(403, 403, 303, 303),
         lambda w, r: {"url": "/jobs", "data": {"kind": "reward-token", "preset": "cpu-tiny", "config_yaml": "",
                                                 "export_id": job_create(w, r)["json"]["export_id"]}}),
    Case("POST", "/jobs/exports", page(403, 403, 201, 201),
         lambda w, r: {"url": "/jobs/exports", "data": {"dataset": w.dataset.name, "view": "preference"}}),
    Case("GET", "/jobs/compare", page(403, 403, 200, 200), lambda w, r: {"url": f"/jobs/compare?ids={w.job().id}"}),
    Case("GET", "/jobs/{job_id}", page(403, 403, 200, 200), lambda w, r: {"url": f"/jobs/{w.job().id}"}),
    Case("POST", "/jobs/{job_id}/cancel", page(403, 403, 200, 200), lambda w, r: {"url": f"/jobs/{w.job().id}/cancel"}),
]
