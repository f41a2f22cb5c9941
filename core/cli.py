"""The `invoicescan` command line: run the pieces, serve local stores, mint tokens, print SDL."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from pydantic import ValidationError

from core.processes import celery_beat_args, celery_worker_args, uvicorn_args


def _load_settings():  # type: ignore[no-untyped-def]
    """Import the settings, turning a bad value into one clear line naming the setting."""
    try:
        from core.settings import settings
    except ValidationError as exc:
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"]) or "settings"
            print(f"invoicescan: invalid setting {name}: {error['msg']}", file=sys.stderr)
        raise SystemExit(2) from None
    return settings


def cmd_api(args: argparse.Namespace) -> None:
    _load_settings()
    os.execvp(sys.executable, [sys.executable, "-m", *uvicorn_args(args.host, args.port)])


def cmd_worker(args: argparse.Namespace) -> None:
    settings = _load_settings()
    # An OCR worker has its own default: OCR is CPU-bound, seconds a page.
    only_ocr = args.queues.split(",") == ["ocr"]
    default = settings.OCR_WORKER_CONCURRENCY if only_ocr else settings.CELERY_WORKER_CONCURRENCY
    concurrency = args.concurrency or default
    worker = celery_worker_args(concurrency, args.queues, args.hostname)
    os.execvp(sys.executable, [sys.executable, "-m", *worker])


def cmd_beat(args: argparse.Namespace) -> None:
    _load_settings()  # refuses to start on invalid settings, before beat does
    os.execvp(sys.executable, [sys.executable, "-m", *celery_beat_args()])


def cmd_localdb(args: argparse.Namespace) -> None:
    from core.localdb import serve_localdb

    settings = _load_settings()
    path = Path(args.path) if args.path else settings.DATA_DIR / "localdb.sqlite3"
    asyncio.run(
        serve_localdb(args.host or settings.LOCALDB_HOST, args.port or settings.LOCALDB_PORT, path)
    )


def cmd_dev(args: argparse.Namespace) -> None:
    from core.dev import run_dev

    raise SystemExit(run_dev(_load_settings(), host=args.host, port=args.port))


def cmd_token(args: argparse.Namespace) -> None:
    settings = _load_settings()
    from core.auth import issue_token

    longest = settings.JWT_MAX_LIFETIME_SECONDS
    if not 1 <= args.ttl <= longest:
        # A longer token would be refused by the API: say so now, not at its first request.
        raise SystemExit(f"--ttl must be between 1 and {longest} s (JWT_MAX_LIFETIME_SECONDS)")
    print(issue_token(args.user, admin=args.admin, ttl_seconds=args.ttl))


def cmd_export_schema(args: argparse.Namespace) -> None:
    from graph.schema import schema

    print(schema.as_str())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="invoicescan", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    dev = commands.add_parser("dev", help="local stores as needed, a worker, beat and the API")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8000)
    dev.set_defaults(run=cmd_dev)

    api = commands.add_parser("api", help="the GraphQL API under uvicorn")
    api.add_argument("--host", default="127.0.0.1")
    api.add_argument("--port", type=int, default=8000)
    api.set_defaults(run=cmd_api)

    worker = commands.add_parser("worker", help="a Celery worker for scans (--queues ocr: OCR)")
    worker.add_argument(
        "--concurrency",
        type=int,
        help="default: CELERY_WORKER_CONCURRENCY (OCR_WORKER_CONCURRENCY for --queues ocr)",
    )
    worker.add_argument("--hostname", help="Celery node name, e.g. worker1@%%h")
    worker.add_argument("--queues", default="email_scanning")
    worker.set_defaults(run=cmd_worker)

    beat = commands.add_parser("beat", help="Celery beat (periodic housekeeping)")
    beat.set_defaults(run=cmd_beat)

    localdb = commands.add_parser("localdb", help="serve the embedded MongoDB-compatible store")
    localdb.add_argument("--host", help="default: LOCALDB_HOST")
    localdb.add_argument("--port", type=int, help="default: LOCALDB_PORT")
    localdb.add_argument("--path", help="SQLite file; default: DATA_DIR/localdb.sqlite3")
    localdb.set_defaults(run=cmd_localdb)

    token = commands.add_parser("token", help="print a JWT signed with JWT_SECRET")
    token.add_argument("--user", required=True)
    token.add_argument("--admin", action="store_true")
    token.add_argument("--ttl", type=int, default=3600, help="seconds (default 3600)")
    token.set_defaults(run=cmd_token)

    export = commands.add_parser("export-schema", help="print the GraphQL SDL")
    export.set_defaults(run=cmd_export_schema)
    return parser


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `invoicescan` console script."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    args = build_parser().parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    main()
