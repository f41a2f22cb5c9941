"""Mail credentials encrypted at rest with Fernet (CREDENTIALS_KEY).

In ENVIRONMENT=dev without a key, one is generated once under DATA_DIR so local data survives
restarts; elsewhere settings validation already demands CREDENTIALS_KEY.
"""

from __future__ import annotations

import contextlib
import os
from functools import cache

from cryptography.fernet import Fernet

from core.settings import settings


@cache
def _fernet() -> Fernet:
    if settings.CREDENTIALS_KEY:
        return Fernet(settings.CREDENTIALS_KEY.encode())
    key_file = settings.DATA_DIR / "credentials.key"
    if not key_file.exists():
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        # Written whole under another name, then linked into place: two processes starting at
        # once agree on the first key, and neither ever reads a half-written file.
        draft = key_file.with_name(f".credentials.key.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(Fernet.generate_key())
        with contextlib.suppress(FileExistsError):
            os.link(draft, key_file)
        draft.unlink()
    return Fernet(key_file.read_bytes().strip())


def encrypt_secret(plain: str) -> str:
    """Encrypt a password or token for storage."""
    return _fernet().encrypt(plain.encode()).decode()


def decrypt_secret(token: str) -> str:
    """Decrypt what `encrypt_secret` stored."""
    return _fernet().decrypt(token.encode()).decode()
