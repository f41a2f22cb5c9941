"""docker-compose.yml is checked by parsing it (no Docker engine here) and running the commands it
names: each service runs a real command of ours with the settings it needs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.fernet import Fernet

from core.cli import build_parser
from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("api", "worker", "ocr-worker", "beat")
SAMPLE_ENV = {
    "JWT_SECRET": "compose-test-secret-of-at-least-32-bytes",
    "CREDENTIALS_KEY": Fernet.generate_key().decode(),
}


def interpolate(value: str) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}, filled from SAMPLE_ENV."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3)
        if name in SAMPLE_ENV:
            return SAMPLE_ENV[name]
        if op == ":-":
            return arg or ""
        raise AssertionError(f"{name} has no default and is not set")

    return re.sub(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}", one, value)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_and_health(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"mongo", "redis", *APP_SERVICES}
    assert services["mongo"]["image"].startswith("mongo:")
    assert services["redis"]["image"].startswith("redis:")
    for name, service in services.items():
        assert "healthcheck" in service, name
    for name in APP_SERVICES:
        assert services[name]["build"] == "."
        depends = services[name]["depends_on"]
        assert depends == {
            "mongo": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
        }


def test_app_services_get_valid_settings(compose: dict[str, Any]) -> None:
    for name in APP_SERVICES:
        env = {
            key: interpolate(str(value))
            for key, value in compose["services"][name]["environment"].items()
        }
        assert env["MONGODB_URL"].startswith("mongodb://mongo:")
        assert env["REDIS_URL"].startswith("redis://redis:")
        settings = Settings(**env)  # type: ignore[arg-type]
        assert settings.ENVIRONMENT == "production"
        assert not settings.uses_embedded_store


def test_worker_runs_the_scan_queue_with_configured_concurrency(compose: dict[str, Any]) -> None:
    command = [interpolate(part) for part in compose["services"]["worker"]["command"]]
    assert command[:4] == ["celery", "-A", "tasks.celery_app", "worker"]
    assert command[command.index("-Q") + 1] == "email_scanning"
    raw = compose["services"]["worker"]["command"]
    assert raw[raw.index("--concurrency") + 1] == "${CELERY_WORKER_CONCURRENCY:-4}"


def test_ocr_worker_runs_the_ocr_queue_with_its_own_concurrency(compose: dict[str, Any]) -> None:
    raw = compose["services"]["ocr-worker"]["command"]
    command = [interpolate(part) for part in raw]
    assert command[:4] == ["celery", "-A", "tasks.celery_app", "worker"]
    assert command[command.index("-Q") + 1] == "ocr"
    assert raw[raw.index("--concurrency") + 1] == "${OCR_WORKER_CONCURRENCY:-1}"
    env = compose["services"]["ocr-worker"]["environment"]
    assert interpolate(env["OCR_WORKER_CONCURRENCY"]) == "1"


def test_beat_is_the_one_worker_of_the_maintenance_queue(compose: dict[str, Any]) -> None:
    command = [interpolate(part) for part in compose["services"]["beat"]["command"]]
    assert command[:4] == ["celery", "-A", "tasks.celery_app", "worker"] and "--beat" in command
    assert command[command.index("-Q") + 1] == "maintenance"
    assert command[command.index("--concurrency") + 1] == "1"
    assert "deploy" not in compose["services"]["beat"]  # no replicas: exactly one beat


@pytest.mark.parametrize("service", APP_SERVICES)
def test_commands_are_real(compose: dict[str, Any], service: str) -> None:
    command = [interpolate(part) for part in compose["services"][service]["command"]]
    program, args = command[0], command[1:]
    assert program in ("invoicescan", "celery")
    if program == "invoicescan":
        parsed = build_parser().parse_args(args)  # a wrong subcommand or option exits here
        assert parsed.command == args[0]
        return
    # Celery parses the whole command line before --help answers: a bad option fails.
    argv = [sys.executable, "-m", "celery", *args, "--help"]
    env = {**os.environ, **SAMPLE_ENV}
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "usage" in result.stdout.lower()
