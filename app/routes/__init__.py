"""Every router, one module per resource. Adding a resource is one import and one list entry."""

from fastapi import APIRouter

from app.routes import (
    align,
    auth,
    autoedit,
    datasets,
    exports,
    health,
    items,
    jobs,
    queue,
    review,
    tokens,
    users,
)

ROUTERS: list[APIRouter] = [
    health.router,
    exports.router,
    jobs.router,
    align.router,
    auth.router,
    datasets.router,
    items.router,
    queue.router,
    review.router,
    tokens.router,
    users.router,
    autoedit.router,
]
