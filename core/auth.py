"""JWT bearer tokens: HS256 with the algorithm pinned; `exp`, `iat` and `sub` required; a bounded
lifetime (JWT_MAX_LIFETIME_SECONDS), an optional expected issuer (JWT_ISSUER) and
JWT_LEEWAY_SECONDS of clock leeway."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import jwt

from core.errors import Unauthenticated
from core.settings import settings

ALGORITHM = "HS256"

# Messages a client may show; a websocket's close reason carries them (graph/websocket_auth.py).
EXPIRED = "Token expired"
INVALID = "Invalid token"


class Role(StrEnum):
    """Who a caller is allowed to be; `admin` sees and cancels every user's tasks."""

    USER = "user"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller of a request or websocket connection.

    `expires_at` is the token's `exp` (epoch seconds); a websocket outlives a request, so it is
    checked again there (graph/context.py, graph/websocket_auth.py). Infinity: not from a token.
    """

    user_id: str
    role: Role
    expires_at: float = field(default=float("inf"), compare=False)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def expired(self, now: float | None = None) -> bool:
        """True once the token's exp plus the leeway has passed."""
        return (time.time() if now is None else now) > self.expires_at + settings.JWT_LEEWAY_SECONDS


def issue_token(user_id: str, *, admin: bool = False, ttl_seconds: int = 3600) -> str:
    """Sign a token for `user_id`, valid for `ttl_seconds`, capped at JWT_MAX_LIFETIME_SECONDS
    (a longer token would be refused by decode_token)."""
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": user_id,
        "role": (Role.ADMIN if admin else Role.USER).value,
        "iat": now,
        "exp": now + min(ttl_seconds, settings.JWT_MAX_LIFETIME_SECONDS),
    }
    if settings.JWT_ISSUER:
        claims["iss"] = settings.JWT_ISSUER
    return jwt.encode(claims, settings.JWT_SECRET, algorithm=ALGORITHM)


def decode_token(token: str) -> Principal:
    """Verify `token` and return its principal; any flaw raises Unauthenticated."""
    required = ["exp", "iat", "sub", *(["iss"] if settings.JWT_ISSUER else [])]
    try:
        claims = jwt.decode(
            token,
            settings.JWT_SECRET,
            algorithms=[ALGORITHM],
            options={"require": required},
            leeway=settings.JWT_LEEWAY_SECONDS,
            issuer=settings.JWT_ISSUER,
        )
        role = Role(claims.get("role", Role.USER.value))
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated(EXPIRED) from exc
    except (jwt.PyJWTError, ValueError) as exc:
        raise Unauthenticated(INVALID) from exc
    user_id = claims["sub"]
    if not isinstance(user_id, str) or not user_id or not _lifetime_allowed(claims):
        raise Unauthenticated(INVALID)
    return Principal(user_id=user_id, role=role, expires_at=float(int(claims["exp"])))


def _lifetime_allowed(claims: dict[str, Any]) -> bool:
    """A stolen token is useful until its exp: refuse tokens minted to live longer than
    JWT_MAX_LIFETIME_SECONDS, whatever their iat claims. PyJWT has read both with int()."""
    exp, iat = int(claims["exp"]), int(claims["iat"])
    longest = settings.JWT_MAX_LIFETIME_SECONDS
    return exp - iat <= longest and exp - time.time() <= longest + settings.JWT_LEEWAY_SECONDS


def principal_from_header(value: str | None) -> Principal:
    """Parse an `Authorization: Bearer <JWT>` header value."""
    if not value:
        raise Unauthenticated("Missing Authorization: Bearer token")
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Authorization must be 'Bearer <token>'")
    return decode_token(token.strip())
