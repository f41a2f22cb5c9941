"""`invoicescan dev`: starts the stores it needs, serves GraphiQL, stops every child on SIGTERM,
and keeps its data across restarts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from core.processes import port_open
from tests.support.graphql import token_for
from tests.support.services import free_port, wait_for_log_line


def start_dev(env: dict[str, str], api_port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "core.cli", "dev", "--port", str(api_port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    wait_for_log_line(log, "GraphiQL:", process, 60)
    return process


def stop_dev(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(45)


def graphql(api_port: int, query: str, variables: dict | None = None) -> dict:
    response = httpx.post(
        f"http://127.0.0.1:{api_port}/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token_for('dev-user')}"},
        timeout=30,
    )
    return response.json()


def dev_environment(data_dir: Path) -> tuple[dict[str, str], int, int]:
    """The environment of a `dev` with its own data, Redis and store ports: (env, redis port,
    store port)."""
    redis_port, localdb_port = free_port(), free_port()
    env = {key: value for key, value in os.environ.items() if key != "MONGODB_URL"}
    env.update(
        ENVIRONMENT="dev",
        DATA_DIR=str(data_dir),
        REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
        LOCALDB_PORT=str(localdb_port),
    )
    return env, redis_port, localdb_port


def test_dev_serves_graphiql_stops_cleanly_and_keeps_data(tmp_path: Path) -> None:
    api_port = free_port()
    env, redis_port, localdb_port = dev_environment(tmp_path / "data")
    log = tmp_path / "dev-1.log"

    started = time.monotonic()
    dev = start_dev(env, api_port, log)
    try:
        page = httpx.get(f"http://127.0.0.1:{api_port}/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "graphiql" in page.text.lower()
        assert time.monotonic() - started < 60
        banner = log.read_text()
        assert f"http://127.0.0.1:{api_port}/graphql" in banner
        assert "Bearer ey" in banner  # the dev admin token
        assert port_open("127.0.0.1", redis_port), "dev started no redis-server"
        assert port_open("127.0.0.1", localdb_port), "dev started no embedded store"
        added = graphql(
            api_port,
            """mutation { addEmailAccount(input: {email: "d@example.com",
            imapHost: "127.0.0.1", security: NONE, password: "pw", verify: false}) { id } }""",
        )
        account_id = added["data"]["addEmailAccount"]["id"]
    finally:
        code = stop_dev(dev)
    assert code == 0, log.read_text()[-3000:]
    for port in (api_port, redis_port, localdb_port):
        assert not port_open("127.0.0.1", port), f"a child still serves port {port}"

    dev = start_dev(env, api_port, tmp_path / "dev-2.log")
    try:
        listed = graphql(api_port, "{ emailAccounts { id email } }")
        assert listed["data"]["emailAccounts"] == [{"id": account_id, "email": "d@example.com"}]
    finally:
        assert stop_dev(dev) == 0


def refusal(env: dict[str, str], api_port: int) -> tuple[int, str, float]:
    """Run a second `dev` that must refuse: its exit code, its stderr and its seconds."""
    started = time.monotonic()
    finished = subprocess.run(
        [sys.executable, "-m", "core.cli", "dev", "--port", str(api_port)],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    return finished.returncode, finished.stderr, time.monotonic() - started


def refusal_line(stderr: str) -> str:
    """The one line a refusal prints (logging aside)."""
    lines = [line for line in stderr.splitlines() if line.startswith("invoicescan dev:")]
    assert len(lines) == 1, stderr
    return lines[0]


def test_a_second_dev_beside_a_running_one_refuses_what_is_taken(tmp_path: Path) -> None:
    api_port = free_port()
    env, redis_port, localdb_port = dev_environment(tmp_path / "first")
    first = start_dev(env, api_port, tmp_path / "first.log")
    try:
        second = {**env, "DATA_DIR": str(tmp_path / "second")}
        code, stderr, seconds = refusal(second, api_port)
        line = refusal_line(stderr)
        assert code == 1 and seconds < 5, (code, seconds, stderr)
        assert f"port {localdb_port} " in line and "set LOCALDB_PORT to a free port" in line
        assert "core.cli localdb" in line  # who holds it: the first instance's store
        assert "pid " in line

        second["LOCALDB_PORT"] = str(free_port())
        code, stderr, seconds = refusal(second, api_port)
        line = refusal_line(stderr)
        assert code == 1 and seconds < 5, (code, seconds, stderr)
        assert f"port {api_port} " in line and "pass --port with a free port" in line

        code, stderr, seconds = refusal(second, free_port())
        line = refusal_line(stderr)
        assert code == 1 and seconds < 5, (code, seconds, stderr)
        assert f"REDIS_URL redis://127.0.0.1:{redis_port}/0" in line
        assert f"DATA_DIR {(tmp_path / 'first').resolve()}" in line
        assert not (tmp_path / "second" / "localdb.sqlite3").exists()  # nothing was started
        # The first instance still serves.
        page = httpx.get(f"http://127.0.0.1:{api_port}/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200
    finally:
        assert stop_dev(first) == 0
