"""The `redline` command: one typer app; each area adds its commands from its own module."""

from app.cli.groups import root


def main() -> None:
    import app.cli.commands  # noqa: F401  (importing it registers every command)
    from training.allocator import allow_restart

    allow_restart()  # the program's own entry point: a training command may restart on its allocator

    root()
