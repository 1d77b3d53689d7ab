"""Account commands: create-user and create-token."""

import typer

from app.cli.groups import root


@root.command("create-user")
def create_user(
    email: str = typer.Argument(..., help="The new user's e-mail (their login)."),
    role: str = typer.Option(..., "--role", help="admin, annotator, reviewer or engineer."),
    password: str = typer.Option(..., "--password", help="At least 8 characters.", prompt=True, hide_input=True),
) -> None:
    """Create an account."""
    from app.db import session_scope
    from app.services.errors import ServiceError
    from app.services.users import create_user as create

    try:
        with session_scope() as session:
            user = create(session, email, role, password)
            typer.echo(f"created {user.role.value} {user.email} (id {user.id})")
    except ServiceError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None


@root.command("create-token")
def create_token(
    email: str = typer.Argument(..., help="Whose token."),
    name: str = typer.Option("cli", "--name", help="What the token is for."),
) -> None:
    """Create an API token; the token is printed alone on the last line, and never again."""
    from app.db import session_scope
    from app.services.users import create_token as create
    from app.services.users import find_user_by_email

    with session_scope() as session:
        user = find_user_by_email(session, email)
        if user is None:
            typer.echo(f"error: no user with e-mail {email}; create one with `redline create-user`", err=True)
            raise typer.Exit(1)
        if not user.is_active:
            typer.echo(f"error: {email} is deactivated", err=True)
            raise typer.Exit(1)
        row, token = create(session, user, name)
        session.flush()
        typer.echo(f"token {row.prefix}... for {user.email} ({user.role.value}); it is shown only now:")
    typer.echo(token)
