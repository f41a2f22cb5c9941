"""A token lives at most JWT_MAX_LIFETIME_SECONDS and, with JWT_ISSUER set, names that issuer."""

from __future__ import annotations

import time

import jwt
import pytest
from pydantic import ValidationError

from core.auth import EXPIRED, INVALID, decode_token, issue_token
from core.errors import Unauthenticated
from core.settings import Settings, settings

DAY = 24 * 3600


def signed(**claims: object) -> str:
    return jwt.encode(
        {"sub": "a", "role": "user", **claims}, settings.JWT_SECRET, algorithm="HS256"
    )


def refused(token: str) -> str:
    with pytest.raises(Unauthenticated) as raised:
        decode_token(token)
    return raised.value.message


def test_default_lifetime_is_a_day() -> None:
    assert Settings().JWT_MAX_LIFETIME_SECONDS == DAY
    assert settings.JWT_MAX_LIFETIME_SECONDS == DAY


@pytest.mark.parametrize(
    "claims",
    [
        {"iat": int(time.time()), "exp": 253402300799},  # year 9999
        {"iat": 253402300799 - 3600, "exp": 253402300799},  # year 9999, iat beside it
        {"exp": int(time.time()) + 3600},  # no iat: its lifetime is unknown
        {"iat": int(time.time()) - 10, "exp": int(time.time()) + DAY},  # a day and 10 s
        {"iat": int(time.time()) - 3 * DAY, "exp": int(time.time()) + 3600},  # issued long ago
        {"iat": "now", "exp": int(time.time()) + 3600},
    ],
)
def test_overlong_or_undated_tokens_are_refused(claims: dict[str, object]) -> None:
    assert refused(signed(**claims)) == INVALID


def test_a_token_of_the_longest_lifetime_is_accepted() -> None:
    now = int(time.time())
    assert decode_token(signed(iat=now, exp=now + DAY)).expires_at == now + DAY


def test_expired_tokens_say_so() -> None:
    now = int(time.time())
    assert refused(signed(iat=now - 600, exp=now - 31)) == EXPIRED


def test_issue_token_caps_the_lifetime() -> None:
    claims = jwt.decode(issue_token("a", ttl_seconds=365 * DAY), settings.JWT_SECRET, ["HS256"])
    assert claims["exp"] - claims["iat"] == DAY
    assert decode_token(issue_token("a", ttl_seconds=365 * DAY)).user_id == "a"


def test_lifetime_setting_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "JWT_MAX_LIFETIME_SECONDS", 600)
    now = int(time.time())
    assert refused(signed(iat=now, exp=now + 601)) == INVALID
    assert decode_token(signed(iat=now, exp=now + 600)).user_id == "a"


def test_issuer_is_not_checked_when_unset() -> None:
    assert settings.JWT_ISSUER is None
    now = int(time.time())
    assert decode_token(signed(iat=now, exp=now + 60, iss="elsewhere")).user_id == "a"


def test_issuer_is_required_and_matched_when_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "JWT_ISSUER", "invoicescan")
    now = int(time.time())
    assert refused(signed(iat=now, exp=now + 60)) == INVALID
    assert refused(signed(iat=now, exp=now + 60, iss="another-system")) == INVALID
    token = issue_token("a")
    assert jwt.decode(token, settings.JWT_SECRET, ["HS256"], issuer="invoicescan")["iss"]
    assert decode_token(token).user_id == "a"


@pytest.mark.parametrize(
    ("name", "value"), [("JWT_MAX_LIFETIME_SECONDS", 10), ("JWT_LEEWAY_SECONDS", -1)]
)
def test_limits_are_validated(name: str, value: int) -> None:
    with pytest.raises(ValidationError, match=name):
        Settings(**{name: value})  # type: ignore[arg-type]


def test_blank_issuer_means_unset() -> None:
    assert Settings(JWT_ISSUER="  ").JWT_ISSUER is None
