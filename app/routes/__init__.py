"""Every router, one module per resource. Adding a resource is one import and one list entry."""

from fastapi import APIRouter

from app.routes import exports, health, jobs

ROUTERS: list[APIRouter] = [health.router, exports.router, jobs.router]
