"""The FastAPI application factory: routers, static files, security headers."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from app import heap
from app.config import REPO_ROOT, get_settings
from app.middleware import BodySizeLimitMiddleware, InFlightLimitMiddleware, SecurityHeadersMiddleware
from app.routes import ROUTERS
from app.routes.errors import install_error_handlers
from app.web import install_web


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Warm up before the first request, then take the warmed-up heap out of the collector's way."""
    if app.state.settings.warm_up:
        await run_in_threadpool(heap.warm_up)
        heap.settle()
    yield


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(
        title="Redline",
        description="Fine-grained RLHF from minimal edits: annotation, token labels, training jobs.",
        version="0.1.0",
        docs_url="/docs",
        openapi_url="/openapi.json",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.mount("/static", StaticFiles(directory=REPO_ROOT / "static"), name="static")
    for router in ROUTERS:
        app.include_router(router)
    install_error_handlers(app)
    install_web(app)  # the browser pages (app/web/)
    app.add_middleware(InFlightLimitMiddleware, settings=settings)  # innermost: queued requests hold nothing
    app.add_middleware(BodySizeLimitMiddleware, settings=settings)
    app.add_middleware(SecurityHeadersMiddleware, settings=settings)  # outermost: headers on every reply
    return app
