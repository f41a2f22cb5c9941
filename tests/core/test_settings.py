"""Settings are validated once, at start-up, with messages that name the setting."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from pydantic import ValidationError

from core.settings import PLACEHOLDER_JWT_SECRET, Settings


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "core.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "CELERY_BROKER_URL",
        "CELERY_RESULT_BACKEND",
        "CELERY_WORKER_CONCURRENCY",
        "IMAP_ALLOW_PRIVATE_HOSTS",
    ):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(REDIS_URL="redis://cache.internal:6380/2")
    assert settings.broker_url == "redis://cache.internal:6380/2"
    assert settings.result_backend == "redis://cache.internal:6380/2"
    assert settings.CELERY_WORKER_CONCURRENCY == 4
    assert settings.IMAP_ALLOW_PRIVATE_HOSTS is False


def test_unset_mongodb_url_means_the_embedded_store() -> None:
    settings = Settings(MONGODB_URL=None, LOCALDB_PORT=27999)
    assert settings.uses_embedded_store
    assert settings.mongodb_url == "mongodb://127.0.0.1:27999/?directConnection=true"
    real = Settings(MONGODB_URL="mongodb://db.internal:27017")
    assert not real.uses_embedded_store and real.mongodb_url == "mongodb://db.internal:27017"


def test_placeholder_secret_refused_outside_dev() -> None:
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        Settings(ENVIRONMENT="production", JWT_SECRET=PLACEHOLDER_JWT_SECRET)
    Settings(ENVIRONMENT="dev", JWT_SECRET=PLACEHOLDER_JWT_SECRET)  # accepted for local use


def test_an_ocr_job_timeout_shorter_than_its_pages_is_refused() -> None:
    """The reaper would take back live OCR jobs and run them twice."""
    with pytest.raises(ValidationError, match="OCR_JOB_TIMEOUT_SECONDS must exceed"):
        Settings(OCR_MAX_PAGES=20, OCR_MAX_PAGE_SECONDS=60, OCR_JOB_TIMEOUT_SECONDS=600)
    assert Settings(OCR_MAX_PAGES=5, OCR_MAX_PAGE_SECONDS=30).OCR_JOB_TIMEOUT_SECONDS == 600


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("REDIS_URL", "http://localhost:6379"),
        ("CELERY_WORKER_CONCURRENCY", "many"),
        ("MONGODB_URL", "postgres://db"),
        ("IMAP_ALLOW_PRIVATE_HOSTS", "perhaps"),
        ("CREDENTIALS_KEY", "not-a-fernet-key"),
    ],
)
def test_bad_value_stops_start_up_naming_the_setting(name: str, value: str) -> None:
    result = run_cli("token", "--user", "u1", **{name: value})
    assert result.returncode == 2
    assert f"invalid setting {name}" in result.stderr
    assert result.stdout == ""


def test_task_lifecycle_defaults_and_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    names = (
        "TASK_HEARTBEAT_TIMEOUT_SECONDS",
        "REAPER_INTERVAL_SECONDS",
        "TASK_MAX_ATTEMPTS",
        "TASK_RETENTION_DAYS",
        "SCHEDULED_SCAN_MINUTES",
        "SCHEDULED_SCAN_MONTHS",
    )
    for name in names:
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert [getattr(settings, name) for name in names] == [60, 30, 3, 90, 0, 1]
    for name, bad in (
        ("TASK_HEARTBEAT_TIMEOUT_SECONDS", 10),  # under a few heartbeats (every 5 s)
        ("REAPER_INTERVAL_SECONDS", 0),
        ("TASK_MAX_ATTEMPTS", 0),
        ("TASK_RETENTION_DAYS", 0),
        ("SCHEDULED_SCAN_MINUTES", -1),
        ("SCHEDULED_SCAN_MONTHS", 25),
    ):
        values: dict[str, Any] = {name: bad}
        with pytest.raises(ValidationError, match=name):
            Settings(**values)
