"""The FastAPI application factory: routers, static files, security headers."""

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.config import REPO_ROOT, get_settings
from app.middleware import BodySizeLimitMiddleware, InFlightLimitMiddleware, SecurityHeadersMiddleware
from app.routes import ROUTERS
from app.routes.errors import install_error_handlers
from app.web import install_web


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(
        title="Redline",
        description="Fine-grained RLHF from minimal edits: annotation, token labels, training jobs.",
        version="0.1.0",
        docs_url="/docs",
        openapi_url="/openapi.json",
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
