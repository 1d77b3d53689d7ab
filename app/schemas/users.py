"""Users and API tokens."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.models import Role


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    role: Role
    is_active: bool
    created_at: datetime


class UserCreate(BaseModel):
    email: str = Field(min_length=3, max_length=320)
    role: Role
    password: str = Field(min_length=8, max_length=1024)


class UserUpdate(BaseModel):
    """Only the fields given are changed."""

    role: Role | None = None
    is_active: bool | None = None
    password: str | None = Field(default=None, min_length=8, max_length=1024)


class TokenCreate(BaseModel):
    name: str = Field(default="", max_length=200, description="What the token is for, e.g. 'training box'.")


class TokenPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


class TokenCreated(TokenPublic):
    token: str = Field(description="The token itself: shown this once, never stored.")


class LoginRequest(BaseModel):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1024)
    token_name: str = Field(default="login", max_length=200)
