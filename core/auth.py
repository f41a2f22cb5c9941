"""JWT bearer tokens: HS256 with the algorithm pinned, `exp` required, 30 s of clock leeway."""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum

import jwt

from core.errors import Unauthenticated
from core.settings import settings

ALGORITHM = "HS256"
LEEWAY_SECONDS = 30


class Role(StrEnum):
    """Who a caller is allowed to be; `admin` sees and cancels every user's tasks."""

    USER = "user"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller of a request or websocket connection."""

    user_id: str
    role: Role

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


def issue_token(user_id: str, *, admin: bool = False, ttl_seconds: int = 3600) -> str:
    """Sign a token for `user_id`, valid for `ttl_seconds`."""
    now = int(time.time())
    claims = {
        "sub": user_id,
        "role": (Role.ADMIN if admin else Role.USER).value,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, settings.JWT_SECRET, algorithm=ALGORITHM)


def decode_token(token: str) -> Principal:
    """Verify `token` and return its principal; any flaw raises Unauthenticated."""
    try:
        claims = jwt.decode(
            token,
            settings.JWT_SECRET,
            algorithms=[ALGORITHM],
            options={"require": ["exp", "sub"]},
            leeway=LEEWAY_SECONDS,
        )
        role = Role(claims.get("role", Role.USER.value))
    except (jwt.PyJWTError, ValueError) as exc:
        raise Unauthenticated("Invalid or expired token") from exc
    user_id = claims["sub"]
    if not isinstance(user_id, str) or not user_id:
        raise Unauthenticated("Invalid or expired token")
    return Principal(user_id=user_id, role=role)


def principal_from_header(value: str | None) -> Principal:
    """Parse an `Authorization: Bearer <JWT>` header value."""
    if not value:
        raise Unauthenticated("Missing Authorization: Bearer token")
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Authorization must be 'Bearer <token>'")
    return decode_token(token.strip())
