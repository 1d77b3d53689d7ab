"""API tokens, for admins: list a user's tokens, create one (shown once), revoke one."""

from fastapi import APIRouter, status

from app.deps import AdminUser, SessionDep
from app.models import ApiToken
from app.schemas.users import TokenCreate, TokenCreated, TokenPublic
from app.services import users

router = APIRouter(prefix="/api/v1", tags=["tokens"])


@router.get("/users/{user_id}/tokens", response_model=list[TokenPublic])
def list_tokens(user_id: int, session: SessionDep, admin: AdminUser) -> list[ApiToken]:
    return users.list_tokens(session, users.get_user(session, user_id))


@router.post("/users/{user_id}/tokens", response_model=TokenCreated, status_code=status.HTTP_201_CREATED)
def create_token(user_id: int, body: TokenCreate, session: SessionDep, admin: AdminUser) -> TokenCreated:
    row, token = users.create_token(session, users.get_user(session, user_id), body.name, actor=admin)
    session.commit()
    return TokenCreated(**TokenPublic.model_validate(row).model_dump(), token=token)


@router.delete("/tokens/{token_id}", response_model=TokenPublic)
def revoke_token(token_id: int, session: SessionDep, admin: AdminUser) -> ApiToken:
    row = users.revoke_token(session, token_id, actor=admin)
    session.commit()
    return row
