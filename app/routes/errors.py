"""Maps service errors to HTTP responses: one status per error family, the message as `detail`."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from app.services.errors import ServiceError


async def service_error_response(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    return JSONResponse(exc.to_dict(), status_code=exc.status_code)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, service_error_response)
