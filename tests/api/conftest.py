"""API tests use the app fixtures (accounts per role, clients, datasets)."""

from tests.fixtures_app import *  # noqa: F401,F403
