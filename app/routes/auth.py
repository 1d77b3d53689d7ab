"""Exchange an e-mail and password for a new API token (for scripts); throttled per e-mail and IP."""

from fastapi import APIRouter, HTTPException, Request, status

from app.deps import SessionDep
from app.schemas.users import LoginRequest, TokenCreated, TokenPublic
from app.security import login_limiter
from app.services import users

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/token", response_model=TokenCreated, status_code=status.HTTP_201_CREATED)
def create_login_token(body: LoginRequest, request: Request, session: SessionDep) -> TokenCreated:
    ip = request.client.host if request.client else "?"
    wait_s = login_limiter.retry_after(body.email, ip)
    if wait_s:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, "too many failed logins; try again later",
                            headers={"Retry-After": str(wait_s)})
    user = users.authenticate(session, body.email, body.password)
    if user is None:
        login_limiter.record_failure(body.email, ip)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong e-mail or password, or account deactivated")
    login_limiter.reset(body.email, ip)
    row, token = users.create_token(session, user, body.token_name)
    session.commit()
    return TokenCreated(**TokenPublic.model_validate(row).model_dump(), token=token)
