"""JWT handling: HS256 pinned, exp required, 30 s leeway."""

from __future__ import annotations

import time
import warnings

import jwt
import pytest

from core.auth import Role, decode_token, issue_token, principal_from_header
from core.errors import Unauthenticated
from core.settings import settings


def test_issued_token_round_trips() -> None:
    principal = decode_token(issue_token("alice", admin=True))
    assert principal.user_id == "alice"
    assert principal.role is Role.ADMIN
    assert decode_token(issue_token("bob")).role is Role.USER


@pytest.mark.parametrize(
    "claims_or_token",
    [
        {"sub": "a", "role": "user"},  # no exp
        {"sub": "a", "role": "user", "exp": int(time.time()) - 31},  # beyond the leeway
        {"sub": "a", "role": "root", "exp": int(time.time()) + 60},  # unknown role
        {"role": "user", "exp": int(time.time()) + 60},  # no sub
    ],
)
def test_flawed_claims_are_unauthenticated(claims_or_token: dict[str, object]) -> None:
    token = jwt.encode(claims_or_token, settings.JWT_SECRET, algorithm="HS256")
    with pytest.raises(Unauthenticated):
        decode_token(token)


def test_expired_within_leeway_still_accepted() -> None:
    now = int(time.time())
    claims = {"sub": "a", "role": "user", "iat": now - 100, "exp": now - 10}
    assert decode_token(jwt.encode(claims, settings.JWT_SECRET, algorithm="HS256")).user_id == "a"


def test_other_algorithms_and_secrets_are_refused() -> None:
    claims = {"sub": "a", "role": "admin", "exp": int(time.time()) + 60}
    unsigned = jwt.encode(claims, "", algorithm="none")
    forged = jwt.encode(claims, "another-secret-of-enough-length-for-hs256", algorithm="HS256")
    with warnings.catch_warnings():  # PyJWT warns that the secret is short for SHA-512
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        hs512 = jwt.encode(claims, settings.JWT_SECRET, algorithm="HS512")
    for token in (unsigned, forged, hs512):
        with pytest.raises(Unauthenticated):
            decode_token(token)


@pytest.mark.parametrize("header", [None, "", "Basic abc", "Bearer", "Bearer not-a-jwt"])
def test_bad_authorization_headers(header: str | None) -> None:
    with pytest.raises(Unauthenticated):
        principal_from_header(header)
