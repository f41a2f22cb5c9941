"""The environment of a test or benchmark run, set before any project module reads the settings."""

from __future__ import annotations

import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet

from tests.support.services import free_port


@dataclass(frozen=True)
class Ports:
    redis: int
    localdb: int
    api: int
    imap: int


def prepare_environment(prefix: str) -> tuple[Path, Ports]:
    """A world-readable scratch folder (Dovecot runs as nobody), free ports, and the settings
    pointing at them. MONGODB_URL, when set, is kept: then the run uses that real MongoDB."""
    base = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    base.chmod(0o755)
    ports = Ports(redis=free_port(), localdb=free_port(), api=free_port(), imap=free_port())
    os.environ.update(
        ENVIRONMENT="test",
        JWT_SECRET="test-secret-" + uuid.uuid4().hex,
        CREDENTIALS_KEY=Fernet.generate_key().decode(),
        REDIS_URL=f"redis://127.0.0.1:{ports.redis}/0",
        IMAP_ALLOW_PRIVATE_HOSTS="true",
        DATA_DIR=str(base / "data"),
        MONGODB_DB=f"invoicescan_test_{uuid.uuid4().hex[:8]}",
        LOCALDB_PORT=str(ports.localdb),
        # Tests and benchmarks play a few users with many accounts, scans and sockets each
        # (the fan-out benchmark: 5,000 sockets of one user). The quotas themselves are tested
        # against an API of their own with small ones (tests/graph/test_quotas.py).
        QUOTA_ACCOUNTS_PER_USER="100000",
        QUOTA_SCANS_PER_MINUTE="100000",
        QUOTA_SUBSCRIPTIONS_PER_USER="1000000",
        QUOTA_SOCKETS_PER_USER="1000000",
    )
    return base, ports


def uses_real_mongodb() -> bool:
    return bool(os.environ.get("MONGODB_URL"))
