"""The one place configuration is read, validated once at import.

Names are the ones operators of the old system already use; see the settings table in README.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal, Self
from urllib.parse import urlparse, urlsplit

from cryptography.fernet import Fernet
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Values that only make sense on a developer's machine; refused anywhere else.
PLACEHOLDER_JWT_SECRET = "dev-only-insecure-jwt-secret-change-me"


class Settings(BaseSettings):
    """Every setting, read from the environment (and `.env` when present)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=True)

    ENVIRONMENT: Literal["dev", "test", "production"] = "dev"

    REDIS_URL: str = "redis://127.0.0.1:6379/0"
    CELERY_BROKER_URL: str | None = None
    CELERY_RESULT_BACKEND: str | None = None
    CELERY_WORKER_CONCURRENCY: int = Field(default=4, ge=1, le=256)
    # Added to the worker processes' niceness, so scans yield the CPU to the API.
    CELERY_WORKER_NICE: int = Field(default=10, ge=0, le=19)

    MONGODB_URL: str | None = None
    MONGODB_DB: str = Field(default="invoicescan", pattern=r"^[A-Za-z0-9_-]{1,63}$")
    # Where the embedded store listens when MONGODB_URL is unset.
    LOCALDB_HOST: str = "127.0.0.1"
    LOCALDB_PORT: int = Field(default=27018, ge=1, le=65535)

    JWT_SECRET: str = PLACEHOLDER_JWT_SECRET
    # Clock skew forgiven when checking a token's exp and iat; a websocket closes this long
    # after its token's exp (graph/websocket_auth.py).
    JWT_LEEWAY_SECONDS: int = Field(default=30, ge=0, le=300)
    # The longest a token may live: it must carry iat, exp - iat may not exceed this, nor exp
    # lie further than this (plus the leeway) from now. issue_token caps its ttl at it.
    JWT_MAX_LIFETIME_SECONDS: int = Field(default=24 * 3600, ge=60, le=30 * 24 * 3600)
    # When set, a token must carry this `iss` (issue_token sets it); unset, `iss` is not checked.
    JWT_ISSUER: str | None = None
    # Pages on these origins (https://app.example.com: scheme, host, optional port) may call
    # the API from a browser, over HTTP (CORS) and websockets (the handshake's Origin). Empty:
    # same origin only, in every ENVIRONMENT (GraphiQL is served from the API's own origin).
    # Comma-separated or a JSON list; "*" is refused: list the origins you trust.
    CORS_ORIGINS: Annotated[list[str], NoDecode] = []
    # Schema introspection and the GraphiQL page; unset: on, except in ENVIRONMENT=production.
    GRAPHQL_INTROSPECTION: bool | None = None
    GRAPHIQL: bool | None = None
    CREDENTIALS_KEY: str | None = None
    IMAP_ALLOW_PRIVATE_HOSTS: bool = False
    IMAP_TIMEOUT_SECONDS: float = Field(default=30.0, gt=0)
    # How long one IMAP command may take in all, however slowly the server trickles its answer
    # (IMAP_TIMEOUT_SECONDS bounds each silence only); connecting and logging in count as one.
    IMAP_COMMAND_DEADLINE_SECONDS: float = Field(default=300.0, ge=5.0, le=3600.0)
    # addEmailAccount's DNS checks and trial logins each run in a pool of this many threads
    # (graph/verify_pool.py), at most IMAP_VERIFY_PER_USER at once per user (beyond:
    # RATE_LIMITED), and each answers within IMAP_VERIFY_DEADLINE_SECONDS.
    IMAP_VERIFY_CONCURRENCY: int = Field(default=8, ge=1, le=256)
    IMAP_VERIFY_PER_USER: int = Field(default=2, ge=1, le=64)
    IMAP_VERIFY_DEADLINE_SECONDS: float = Field(default=20.0, ge=2.0, le=300.0)
    # What a scan reads of one mail (scanner/limits.py explains each); beyond, a part is skipped.
    SCAN_MAX_ATTACHMENT_BYTES: int = Field(default=15 * 1024 * 1024, ge=1024)
    SCAN_MAX_ATTACHMENTS: int = Field(default=50, ge=1)
    SCAN_MAX_MIME_DEPTH: int = Field(default=20, ge=2, le=100)
    SCAN_MAX_PDF_PAGES: int = Field(default=20, ge=1)
    SCAN_MAX_DECOMPRESSED_BYTES: int = Field(default=64 * 1024 * 1024, ge=1024 * 1024)
    SCAN_MAX_PDF_SECONDS: float = Field(default=15.0, ge=1.0, le=600.0)
    SCAN_PDF_READER_MEMORY_MB: int = Field(default=1024, ge=256, le=65536)
    # A scan of more messages than SCAN_PART_MESSAGES is split into parts of that many, each
    # its own Celery task, spread over every scan worker (tasks/parts.py); at most
    # SCAN_MAX_CONNECTIONS parts of one scan run at once, each with one IMAP connection (Gmail
    # and Exchange refuse more than a few per mailbox). A part that has run SCAN_SLICE_SECONDS
    # while other scans wait in the queue goes back to the queue's end, so one huge scan
    # cannot hold every worker while a small one waits.
    SCAN_PART_MESSAGES: int = Field(default=1000, ge=10, le=100_000)
    SCAN_MAX_CONNECTIONS: int = Field(default=4, ge=1, le=64)
    SCAN_SLICE_SECONDS: float = Field(default=3.0, ge=0.5, le=600.0)
    # An invoice needs a person's review when a field is missing, or read with a confidence
    # below this (Invoice.needsReview; scanner/invoices.py).
    REVIEW_CONFIDENCE_THRESHOLD: float = Field(default=0.6, ge=0.0, le=1.0)
    # A running scan writes a heartbeat every few seconds; beat's reaper takes back a PROGRESS
    # task whose heartbeat is older than the timeout, every interval, at most
    # TASK_MAX_ATTEMPTS runs in all (tasks/reaper.py).
    TASK_HEARTBEAT_TIMEOUT_SECONDS: int = Field(default=60, ge=20, le=3600)
    REAPER_INTERVAL_SECONDS: int = Field(default=30, ge=5, le=3600)
    TASK_MAX_ATTEMPTS: int = Field(default=3, ge=1, le=10)
    # A PENDING task waiting longer gets its Celery message again (a second copy is harmless).
    TASK_PENDING_RESEND_SECONDS: int = Field(default=600, ge=60, le=86400)
    # OCR of scanned documents runs on the `ocr` queue (tasks/ocr.py): the processes of one OCR
    # worker (`invoicescan worker --queues ocr`). A job claimed longer ago than the timeout
    # without finishing lost its worker; beat's reaper queues it again, at most OCR_MAX_ATTEMPTS
    # runs in all, then counts it in errorCount. A part larger than OCR_MAX_PART_BYTES (kept
    # under MongoDB's 16 MiB document limit) is counted unread.
    OCR_WORKER_CONCURRENCY: int = Field(default=1, ge=1, le=256)
    OCR_JOB_TIMEOUT_SECONDS: int = Field(default=600, ge=30, le=3 * 3600)
    OCR_MAX_ATTEMPTS: int = Field(default=2, ge=1, le=10)
    OCR_MAX_PART_BYTES: int = Field(default=15 * 1024 * 1024, ge=1024, le=15 * 1024 * 1024)
    # What OCR reads of one scanned document (scanner/limits.py explains each).
    OCR_MAX_PAGES: int = Field(default=5, ge=1, le=100)
    OCR_MAX_PIXELS: int = Field(default=50_000_000, ge=1_000_000, le=500_000_000)
    OCR_MAX_PAGE_SECONDS: float = Field(default=30.0, ge=1.0, le=600.0)
    OCR_READER_MEMORY_MB: int = Field(default=1024, ge=256, le=65536)
    # Finished tasks older than this are removed daily; their invoices stay.
    TASK_RETENTION_DAYS: int = Field(default=90, ge=1, le=3650)
    # Beat rescans every account this often (0: never), over this many months.
    SCHEDULED_SCAN_MINUTES: int = Field(default=0, ge=0, le=7 * 24 * 60)
    SCHEDULED_SCAN_MONTHS: int = Field(default=1, ge=1, le=24)
    # A followed task silent this long is read again from the store (graph/subscriptions.py).
    SUBSCRIPTION_QUIET_REREAD_SECONDS: float = Field(default=60.0, ge=1.0, le=3600.0)
    # Bytes of parsed and validated GraphQL documents the API keeps, by estimate (text plus
    # about 700 bytes a token; graph/document_cache.py); the least recently used go first.
    GRAPHQL_DOCUMENT_CACHE_BYTES: int = Field(default=32 * 1024 * 1024, ge=1024 * 1024, le=2**32)
    # The API's HTTP server (core/processes.py, core/http_protocol.py). A request's line and
    # headers together may take this many bytes; more answers 400 and closes the connection.
    HTTP_MAX_HEADER_BYTES: int = Field(default=32 * 1024, ge=4 * 1024, le=1024 * 1024)
    # A connection that has not sent a request's full header this long after it began (or its
    # full body this long after the header) is closed: slow-loris clients hold no socket.
    HTTP_HEADER_TIMEOUT_SECONDS: float = Field(default=10.0, ge=0.1, le=300.0)
    HTTP_BODY_TIMEOUT_SECONDS: float = Field(default=30.0, ge=0.1, le=600.0)
    # HTTP requests answer 503 while the process holds this many connections and requests in
    # all, websockets included (uvicorn's --limit-concurrency); 0: no limit.
    HTTP_LIMIT_CONCURRENCY: int = Field(default=20_000, ge=0, le=1_000_000)
    # A websocket message (frame or reassembled message) larger than this closes the socket
    # (1009); no GraphQL message of this API comes near it.
    WS_MAX_MESSAGE_BYTES: int = Field(default=1024 * 1024, ge=4 * 1024, le=64 * 1024 * 1024)
    # Per-user quotas, answered RATE_LIMITED (graph/quotas.py explains where each is counted).
    QUOTA_ACCOUNTS_PER_USER: int = Field(default=20, ge=1, le=100_000)
    QUOTA_SCANS_PER_MINUTE: int = Field(default=10, ge=1, le=100_000)
    QUOTA_SUBSCRIPTIONS_PER_USER: int = Field(default=50, ge=1, le=1_000_000)
    QUOTA_SOCKETS_PER_USER: int = Field(default=20, ge=1, le=1_000_000)
    DATA_DIR: Path = Path("./.data")

    @field_validator("REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value is not None and urlparse(value).scheme not in ("redis", "rediss"):
            raise ValueError("must be a redis:// or rediss:// URL")
        return value

    @field_validator("MONGODB_URL")
    @classmethod
    def _mongo_scheme(cls, value: str | None) -> str | None:
        if value is not None and urlparse(value).scheme not in ("mongodb", "mongodb+srv"):
            raise ValueError("must be a mongodb:// or mongodb+srv:// URL")
        return value or None

    @field_validator("JWT_SECRET")
    @classmethod
    def _secret_length(cls, value: str) -> str:
        # HS256 wants a key at least as long as its 32-byte hash.
        if len(value.encode()) < 32:
            raise ValueError("must be at least 32 bytes")
        return value

    @field_validator("JWT_ISSUER")
    @classmethod
    def _issuer_not_blank(cls, value: str | None) -> str | None:
        # An empty JWT_ISSUER= in an env file means unset, not "require an empty iss".
        return (value or "").strip() or None

    @field_validator("CORS_ORIGINS", mode="before")
    @classmethod
    def _origins(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("CORS_ORIGINS")
    @classmethod
    def _origins_are_origins(cls, value: list[str]) -> list[str]:
        return [_origin(item) for item in value]

    @field_validator("CREDENTIALS_KEY")
    @classmethod
    def _fernet_key(cls, value: str | None) -> str | None:
        if value:
            try:
                Fernet(value.encode())
            except ValueError as exc:
                raise ValueError("must be a Fernet key (Fernet.generate_key())") from exc
        return value or None

    @model_validator(mode="after")
    def _ocr_jobs_outlive_their_pages(self) -> Self:
        # The reaper takes back a job claimed longer ago than OCR_JOB_TIMEOUT_SECONDS: a live
        # read of every page at its longest must fit in it, or live jobs would be run twice.
        longest = self.OCR_MAX_PAGES * self.OCR_MAX_PAGE_SECONDS + 10
        if self.OCR_JOB_TIMEOUT_SECONDS <= longest:
            raise ValueError(
                f"OCR_JOB_TIMEOUT_SECONDS must exceed OCR_MAX_PAGES x OCR_MAX_PAGE_SECONDS + 10 "
                f"({longest:g} s)"
            )
        return self

    @model_validator(mode="after")
    def _no_placeholders_outside_dev(self) -> Self:
        if self.ENVIRONMENT == "dev":
            return self
        if self.JWT_SECRET == PLACEHOLDER_JWT_SECRET:
            raise ValueError("JWT_SECRET: set a real secret outside ENVIRONMENT=dev")
        if not self.CREDENTIALS_KEY:
            raise ValueError("CREDENTIALS_KEY: required outside ENVIRONMENT=dev")
        return self

    @property
    def introspection_enabled(self) -> bool:
        """Whether introspection is answered (GRAPHQL_INTROSPECTION, else not in production)."""
        if self.GRAPHQL_INTROSPECTION is not None:
            return self.GRAPHQL_INTROSPECTION
        return self.ENVIRONMENT != "production"

    @property
    def graphiql_enabled(self) -> bool:
        """Whether GET /graphql serves GraphiQL to browsers (GRAPHIQL, else not in production)."""
        if self.GRAPHIQL is not None:
            return self.GRAPHIQL
        return self.ENVIRONMENT != "production"

    @property
    def broker_url(self) -> str:
        """The Celery broker; the old system used REDIS_URL for it."""
        return self.CELERY_BROKER_URL or self.REDIS_URL

    @property
    def result_backend(self) -> str:
        """The Celery result backend, REDIS_URL unless set."""
        return self.CELERY_RESULT_BACKEND or self.REDIS_URL

    @property
    def uses_embedded_store(self) -> bool:
        """True when no MongoDB is configured and the local embedded store stands in."""
        return self.MONGODB_URL is None

    @property
    def mongodb_url(self) -> str:
        """The MongoDB to connect to: MONGODB_URL, else the embedded store's address."""
        if self.MONGODB_URL:
            return self.MONGODB_URL
        return f"mongodb://{self.LOCALDB_HOST}:{self.LOCALDB_PORT}/?directConnection=true"


def _origin(value: str) -> str:
    """`value` as browsers send it in an Origin header (lowercase, no default port), or an error:
    a path, a query, a wildcard or a scheme other than http(s) is not an origin."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{value!r} is not an origin like https://app.example.com") from exc
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or "@" in parts.netloc  # user or password: not part of an origin
        or "*" in value
    ):
        raise ValueError(f"{value!r} is not an origin like https://app.example.com")
    scheme = parts.scheme.lower()
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    default_port = 443 if scheme == "https" else 80
    return f"{scheme}://{host}" + (f":{port}" if port not in (None, default_port) else "")


settings = Settings()
