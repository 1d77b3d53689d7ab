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

# Requests are matched against routes in this order, one by one: the busiest (autosaves, leases) first.
ROUTERS: list[APIRouter] = [
    items.router,
    queue.router,
    health.router,
    exports.router,
    jobs.router,
    align.router,
    auth.router,
    datasets.router,
    review.router,
    tokens.router,
    users.router,
    autoedit.router,
]
