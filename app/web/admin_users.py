"""Admin page for accounts: create a user, change a role, deactivate or reactivate."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.deps import SessionDep
from app.models import Role, User
from app.services import users
from app.services.errors import ServiceError
from app.web.pages import AdminPage
from app.web.render import render

router = APIRouter(prefix="/admin/users", include_in_schema=False)

DONE_NOTICES = {
    "created": "User created.",
    "role": "Role changed.",
    "deactivated": "User deactivated: their sessions and API tokens stop working at once.",
    "activated": "User reactivated.",
}
LAST_ADMIN = "This is the last active admin: make another user an admin first."


def _page(request: Request, session: SessionDep, admin: User, *, notice: Any = None, form: Any = None,
          status_code: int = 200) -> HTMLResponse:
    return render(request, "admin/users.html", {
        "user": admin, "section": "users", "title": "Users", "users": users.list_users(session),
        "roles": [r.value for r in Role], "notice": notice,
        "form": form or {"email": "", "role": Role.annotator.value, "error": "", "field": ""},
    }, status_code=status_code)


def _done(done: str) -> RedirectResponse:
    return RedirectResponse(f"/admin/users?done={done}", status_code=303)


def _loses_last_admin(session: SessionDep, target: User, role: str | None, active: bool | None) -> bool:
    losing = (role is not None and role != Role.admin.value) or active is False
    return target.role == Role.admin and target.is_active and losing and users.count_admins(session) <= 1


@router.get("", response_class=HTMLResponse)
def get_users(request: Request, session: SessionDep, admin: AdminPage, done: str = "") -> HTMLResponse:
    notice = {"kind": "ok", "text": DONE_NOTICES[done]} if done in DONE_NOTICES else None
    return _page(request, session, admin, notice=notice)


@router.post("")
def post_user(request: Request, session: SessionDep, admin: AdminPage,
              email: Annotated[str, Form(max_length=320)], role: Annotated[str, Form(max_length=20)],
              password: Annotated[str, Form(max_length=1024)]) -> Response:
    try:
        users.create_user(session, email, role, password, actor=admin)
    except ServiceError as exc:
        session.rollback()
        form = {"email": email, "role": role, "error": exc.message, "field": exc.extra.get("field") or ""}
        return _page(request, session, admin, form=form, status_code=exc.status_code)
    session.commit()
    return _done("created")


@router.post("/{user_id}/role")
def post_role(user_id: int, request: Request, session: SessionDep, admin: AdminPage,
              role: Annotated[str, Form(max_length=20)]) -> Response:
    target = users.get_user(session, user_id)
    if _loses_last_admin(session, target, role, None):
        return _page(request, session, admin, notice={"kind": "error", "text": LAST_ADMIN}, status_code=409)
    try:
        users.change_role(session, target, role, actor=admin)
    except ServiceError as exc:
        session.rollback()
        return _page(request, session, admin, notice={"kind": "error", "text": exc.message},
                     status_code=exc.status_code)
    session.commit()
    return _done("role")


@router.post("/{user_id}/active")
def post_active(user_id: int, request: Request, session: SessionDep, admin: AdminPage,
                active: Annotated[bool, Form()]) -> Response:
    target = users.get_user(session, user_id)
    if _loses_last_admin(session, target, None, active):
        return _page(request, session, admin, notice={"kind": "error", "text": LAST_ADMIN}, status_code=409)
    users.set_active(session, target, active, actor=admin)
    session.commit()
    return _done("activated" if active else "deactivated")
