"""Liveness and readiness probes for the load balancer and docker-compose health checks."""

from fastapi import APIRouter
from sqlalchemy import text

from app.db import get_engine

router = APIRouter(tags=["health"])


@router.get("/healthz")
def get_health() -> dict[str, str]:
    with get_engine().connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"status": "ok"}
