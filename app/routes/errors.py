"""Maps service errors to HTTP responses: one status per error family, the message as `detail`."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError

from app.services.errors import ServiceError


async def service_error_response(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    return JSONResponse(exc.to_dict(), status_code=exc.status_code)


async def data_error_response(_request: Request, exc: Exception) -> JSONResponse:
    """A value the database cannot hold or compare (an id past the integer range, a NUL byte in a text):
    the request's fault, so 422 and not a 500. The message names the problem, never the SQL."""
    diag = getattr(getattr(exc, "orig", None), "diag", None)
    reason = getattr(diag, "message_primary", None) or str(getattr(exc, "orig", "") or "invalid value").split("\n")[0]
    return JSONResponse({"detail": f"a value in the request is invalid for the database ({reason}); "
                                   "check ids and texts"}, status_code=422)


async def database_unavailable_response(_request: Request, exc: Exception) -> JSONResponse:
    """The database dropped the connection or is restarting: nothing was stored; the client may retry."""
    return JSONResponse({"detail": "the database is unavailable for a moment; nothing was saved, retry shortly"},
                        status_code=503, headers={"Retry-After": "1"})


SECRET_WORDS = ("password", "token", "secret", "api_key", "csrf")
REDACTED = "[redacted]"


def _is_secret(name: object) -> bool:
    return isinstance(name, str) and any(word in name.lower() for word in SECRET_WORDS)


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: REDACTED if _is_secret(k) else _redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact(v) for v in value]
    return value


async def validation_error_response(_request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422, except that a password, token or key sent in the request is never echoed back
    (FastAPI repeats each offending `input`, which may be the whole body)."""
    assert isinstance(exc, RequestValidationError)
    errors = []
    for error in exc.errors():
        error = dict(error)
        if "input" in error:
            error["input"] = REDACTED if _is_secret((error.get("loc") or [None])[-1]) else _redact(error["input"])
        errors.append(error)
    return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, service_error_response)
    app.add_exception_handler(RequestValidationError, validation_error_response)
    app.add_exception_handler(DataError, data_error_response)
    app.add_exception_handler(OperationalError, database_unavailable_response)
