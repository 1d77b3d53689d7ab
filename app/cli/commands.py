"""Imports every command module so that its commands register on the typer apps. One line per area."""

from app.cli import server  # noqa: F401
from app.cli import data_export  # noqa: F401
from app.cli import demo  # noqa: F401
from app.cli import jobs  # noqa: F401
from app.cli import data_import  # noqa: F401
from app.cli import users  # noqa: F401
from app.cli import align  # noqa: F401
from app.cli import train_ppo  # noqa: F401
from app.cli import train_reward  # noqa: F401
from app.cli import autoedit  # noqa: F401
