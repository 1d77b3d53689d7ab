"""`redline create-user` and `redline create-token`."""

from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.models import ApiToken, Role, User


def run(*args: str):
    import app.cli.commands  # noqa: F401  (registers the commands)
    from app.cli.groups import root

    return CliRunner().invoke(root, list(args))


def test_create_user_then_token(session: Session) -> None:
    from app.security import hash_api_token, verify_password

    made = run("create-user", "Ann@Example.org", "--role", "annotator", "--password", "long enough")
    assert made.exit_code == 0, made.output
    user = session.scalars(select(User)).one()
    assert user.email == "ann@example.org" and user.role == Role.annotator
    assert verify_password(user.password_hash, "long enough")

    out = run("create-token", "ann@example.org", "--name", "script")
    assert out.exit_code == 0, out.output
    token = out.output.strip().splitlines()[-1]
    row = session.scalars(select(ApiToken)).one()
    assert row.token_hash == hash_api_token(token) and row.name == "script"


def test_cli_errors_are_clear(session: Session) -> None:
    bad_role = run("create-user", "x@example.org", "--role", "boss", "--password", "long enough")
    assert bad_role.exit_code == 1 and "unknown role 'boss'" in bad_role.output
    assert run("create-user", "x@example.org", "--role", "admin", "--password", "long enough").exit_code == 0
    again = run("create-user", "x@example.org", "--role", "admin", "--password", "long enough")
    assert again.exit_code == 1 and "already exists" in again.output
    missing = run("create-token", "nobody@example.org")
    assert missing.exit_code == 1 and "create-user" in missing.output
    assert session.scalars(select(ApiToken)).first() is None
