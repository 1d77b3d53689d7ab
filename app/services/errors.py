"""Errors the services raise; the API maps each family to one HTTP status (app/routes/errors.py).

Services stay free of HTTP: the browser pages, the CLI and the worker catch these same classes.
"""

from typing import Any


class ServiceError(Exception):
    """Base class; `message` says what went wrong and how to fix it, `extra` adds machine-readable fields."""

    status_code = 400

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        return {"detail": self.message, **self.extra}


class NotFound(ServiceError):
    status_code = 404


class PermissionDenied(ServiceError):
    status_code = 403


class Conflict(ServiceError):
    """The request raced with another write; reload and retry (409)."""

    status_code = 409


class StaleEdit(Conflict):
    """The edit changed since the caller read it: `current_version` is the version now stored."""

    def __init__(self, message: str, current_version: int) -> None:
        super().__init__(message, current_version=current_version)
        self.current_version = current_version


class LeaseLost(Conflict):
    """The caller no longer holds the item's lease (it expired and someone else took it, or was released)."""


class ReviewConflict(Conflict):
    """The edit is no longer waiting for review (another reviewer acted first)."""


class InvalidInput(ServiceError):
    """Input the server refuses on its merits: `field` names the offending field (422)."""

    status_code = 422

    def __init__(self, message: str, field: str | None = None, **extra: Any) -> None:
        super().__init__(message, field=field, **extra)
        self.field = field


class TooLarge(ServiceError):
    status_code = 413


class AlreadyExists(Conflict):
    pass
