"""The command line: schema export, tokens, and the embedded store it serves."""

from __future__ import annotations

from pathlib import Path

from core.auth import decode_token
from graph.schema import schema
from tests.core.test_settings import run_cli

ROOT = Path(__file__).resolve().parents[2]


def test_schema_graphql_is_what_export_schema_prints() -> None:
    result = run_cli("export-schema")
    assert result.returncode == 0, result.stderr
    committed = (ROOT / "schema.graphql").read_text()
    assert result.stdout.strip() == committed.strip(), "run `make schema` and commit schema.graphql"
    assert committed.strip() == schema.as_str().strip()


def test_token_prints_a_valid_jwt() -> None:
    result = run_cli("token", "--user", "ops-7", "--admin", "--ttl", "120")
    assert result.returncode == 0, result.stderr
    principal = decode_token(result.stdout.strip())
    assert principal.user_id == "ops-7" and principal.is_admin


def test_token_refuses_a_lifetime_the_api_would_refuse() -> None:
    result = run_cli("token", "--user", "ops-7", "--ttl", str(10 * 24 * 3600))
    assert result.returncode == 1
    assert "--ttl must be between 1 and 86400 s (JWT_MAX_LIFETIME_SECONDS)" in result.stderr
    assert result.stdout == ""
