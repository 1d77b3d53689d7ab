"""Dependencies for browser pages: a signed-in user of the right role, or a redirect to the login page."""

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from app.deps import ANNOTATE_ROLES, REVIEW_ROLES, OptionalUser
from app.models import Role, User


class LoginRequired(Exception):
    """The visitor is not signed in; the handler sends them to /login and back to `next_path` afterwards."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PageForbidden(Exception):
    """The user is signed in but their role may not open this page."""

    def __init__(self, roles: tuple[Role, ...], user: User) -> None:
        super().__init__(", ".join(r.value for r in roles))
        self.roles = roles
        self.user = user


def page_user(*roles: Role) -> Callable[[Request, User | None], User]:
    """A dependency yielding the signed-in user when their role is one of `roles` (CSRF checked by deps)."""

    def check_page_user(request: Request, user: OptionalUser) -> User:
        if user is None:
            raise LoginRequired(request.url.path)
        if roles and user.role not in roles:
            raise PageForbidden(roles, user)
        return user

    return check_page_user


DASHBOARD_ROLES = (Role.reviewer, Role.admin, Role.engineer)

AnyPageUser = Annotated[User, Depends(page_user())]
AnnotatorPage = Annotated[User, Depends(page_user(*ANNOTATE_ROLES))]
ReviewerPage = Annotated[User, Depends(page_user(*REVIEW_ROLES))]
AdminPage = Annotated[User, Depends(page_user(Role.admin))]
DashboardPage = Annotated[User, Depends(page_user(*DASHBOARD_ROLES))]


def home_for(user: User) -> str:
    """Where a user lands after login: the area of their role."""
    return {
        Role.annotator: "/annotate",
        Role.reviewer: "/review",
        Role.admin: "/dashboard",
        Role.engineer: "/jobs",
    }[user.role]


def safe_next(path: str | None) -> str | None:
    """A local path to return to after login, or None (never another site: no '//' or scheme)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return None
    return path
