"""`invoicescan dev`'s refusals: a port another process listens on, a Redis another instance
claimed; and what it takes over: its own DATA_DIR's claim, a claim whose process is gone."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from core.dev_guard import CLAIM_KEY, DevConflict, RedisClaim, ensure_port_free


@pytest.fixture
def claims(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url.rsplit("/", 1)[0] + "/0")
    client.delete(CLAIM_KEY)
    yield client
    client.delete(CLAIM_KEY)
    client.close()


def test_a_port_with_a_listener_is_refused_naming_its_process() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(DevConflict) as refused:
            ensure_port_free("127.0.0.1", port, "LOCALDB_PORT")
    assert str(refused.value).startswith(f"port {port} on 127.0.0.1 (LOCALDB_PORT) is already in")
    assert f"by pid {os.getpid()} (" in str(refused.value)
    assert str(refused.value).endswith("set LOCALDB_PORT to a free port, or stop that process")
    ensure_port_free("127.0.0.1", port, "LOCALDB_PORT")  # closed: free again


def test_an_ipv6_port_and_a_host_that_is_no_address_are_one_line_each() -> None:
    with socket.socket(socket.AF_INET6) as listener:
        listener.bind(("::1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(DevConflict, match=rf"^port {port} on ::1 \(--port\) is already in use"):
            ensure_port_free("::1", port, "--port")
    with pytest.raises(DevConflict, match=r"^host no-such-host\.invalid \(--port\) is no address"):
        ensure_port_free("no-such-host.invalid", 8000, "--port")


def test_a_claim_is_refused_to_another_data_dir_and_released(
    claims: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    first = RedisClaim(redis_url, tmp_path / "a")
    first.claim()
    second = RedisClaim(redis_url, tmp_path / "b")
    with pytest.raises(DevConflict) as refused:
        second.claim()
    assert f"in use by another invoicescan dev (DATA_DIR {tmp_path / 'a'}, pid {os.getpid()})" in (
        str(refused.value)
    )
    assert 0 < claims.ttl(CLAIM_KEY) <= 15
    second.release()  # not its claim: it stays
    assert claims.exists(CLAIM_KEY)
    again = RedisClaim(redis_url, tmp_path / "a")
    again.claim()  # the same DATA_DIR: a run that was killed
    again.release()
    assert not claims.exists(CLAIM_KEY)


def test_a_claim_of_a_process_gone_is_taken_over(
    claims: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    holder = {"data_dir": "/elsewhere", "pid": int(gone.stdout), "host": socket.gethostname()}
    claims.set(CLAIM_KEY, json.dumps(holder), ex=15)
    mine = RedisClaim(redis_url, tmp_path / "mine")
    mine.claim()
    raw = claims.get(CLAIM_KEY)
    assert raw is not None
    assert json.loads(raw)["data_dir"] == str((tmp_path / "mine").resolve())
    mine.release()
    assert not claims.exists(CLAIM_KEY)


def test_a_claim_is_renewed_while_held_and_lost_to_another(
    claims: redis.Redis, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("core.dev_guard.CLAIM_RENEW_SECONDS", 0.05)
    mine = RedisClaim(redis_url, tmp_path / "mine")
    mine.claim()
    try:
        claims.expire(CLAIM_KEY, 2)
        deadline = time.monotonic() + 5
        while claims.ttl(CLAIM_KEY) <= 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert claims.ttl(CLAIM_KEY) > 2  # renewed by its thread, no caller needed
        # Ours lapsed and another instance claimed meanwhile: renewing must not overwrite it.
        theirs = json.dumps({"data_dir": "/theirs", "pid": 1, "host": "elsewhere"})
        claims.set(CLAIM_KEY, theirs, ex=15)
        assert mine.lost.wait(5)
        assert claims.get(CLAIM_KEY) == theirs.encode()
    finally:
        mine.release()
    assert claims.get(CLAIM_KEY) == theirs.encode()  # release leaves another's claim alone
