"""The error hierarchy of the service: one class per `extensions.code` of the contract.

Raised anywhere (resolvers, services); `graph/errors.py` maps them to GraphQL errors in one place.
"""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """An error whose message is safe to show to the client."""

    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions = extensions


class Unauthenticated(AppError):
    code = "UNAUTHENTICATED"


class Forbidden(AppError):
    code = "FORBIDDEN"


class NotFound(AppError):
    code = "NOT_FOUND"


class BadInput(AppError):
    code = "BAD_USER_INPUT"


class Conflict(AppError):
    code = "CONFLICT"


class ServiceUnavailable(AppError):
    code = "SERVICE_UNAVAILABLE"


class RateLimited(AppError):
    """The client asked, or read, faster or slower than the service can serve it."""

    code = "RATE_LIMITED"
