"""Every router, one module per resource. Adding a resource is one import and one list entry."""

from fastapi import APIRouter

from app.routes import health

ROUTERS: list[APIRouter] = [health.router]
