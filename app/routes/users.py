"""Accounts, for admins: list, create, change role or password, deactivate."""

from fastapi import APIRouter, status

from app.deps import AdminUser, CurrentUser, SessionDep
from app.models import Role, User
from app.schemas.users import UserCreate, UserPublic, UserUpdate
from app.services import users
from app.services.errors import Conflict

router = APIRouter(prefix="/api/v1", tags=["users"])


@router.get("/me", response_model=UserPublic)
def get_me(user: CurrentUser) -> User:
    return user


@router.get("/users", response_model=list[UserPublic])
def list_users(session: SessionDep, admin: AdminUser) -> list[User]:
    return users.list_users(session)


@router.post("/users", response_model=UserPublic, status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, session: SessionDep, admin: AdminUser) -> User:
    user = users.create_user(session, body.email, body.role, body.password, actor=admin)
    session.commit()
    return user


@router.get("/users/{user_id}", response_model=UserPublic)
def get_user(user_id: int, session: SessionDep, admin: AdminUser) -> User:
    return users.get_user(session, user_id)


def _would_remove_last_admin(session: SessionDep, user: User, body: UserUpdate) -> bool:
    losing_admin = (body.role is not None and body.role != Role.admin) or body.is_active is False
    return user.role == Role.admin and user.is_active and losing_admin and users.count_admins(session) <= 1


@router.patch("/users/{user_id}", response_model=UserPublic)
def update_user(user_id: int, body: UserUpdate, session: SessionDep, admin: AdminUser) -> User:
    user = users.get_user(session, user_id)
    if _would_remove_last_admin(session, user, body):
        raise Conflict("this is the last active admin: make another admin first")
    if body.role is not None:
        users.change_role(session, user, body.role, actor=admin)
    if body.is_active is not None:
        users.set_active(session, user, body.is_active, actor=admin)
    if body.password is not None:
        users.set_password(session, user, body.password, actor=admin)
    session.commit()
    return user
