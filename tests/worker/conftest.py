"""Worker tests use the app fixtures (accounts, datasets)."""

from tests.fixtures_app import *  # noqa: F401,F403
