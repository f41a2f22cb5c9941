"""What /proc says about a process: resident memory, CPU time used, its open-files limit."""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Awaitable
from pathlib import Path

from tests.support.services import Services

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    """Resident set size (VmRSS) of `pid`."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time `pid` has used so far."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The command name may hold spaces: the fields that follow start after its closing paren.
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def tree_cpu_seconds(root: int) -> float:
    """CPU time of `root` and every process below it, including those that ended meanwhile:
    each live process's own time plus the time of the children it has waited for (cutime and
    cstime), where an ended pool process or IMAP session leaves its time."""
    total = 0.0
    for pid in descendants(root):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:  # it ended meanwhile: its time is now its parent's
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        total += sum(int(value) for value in fields[11:15]) / CLOCK_TICKS
    return total


def _cpu_or_zero(pid: int) -> float:
    try:
        return cpu_seconds(pid)
    except OSError:  # a pool process that ended: its time is gone with it
        return 0.0


def open_files_limit(pid: int) -> int:
    """The soft RLIMIT_NOFILE of `pid`: how many sockets it can hold."""
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max open files"):
            return int(line.split()[3])
    raise RuntimeError(f"no open-files limit for process {pid}")


def raise_open_files_limit() -> int:
    """Raise this process's soft RLIMIT_NOFILE to its hard limit and return it. Children inherit
    it, so call this before starting the API whose socket count a benchmark measures."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


class CpuMeter:
    """CPU used by named processes between `start` and `stop`, as a share of one core."""

    def __init__(self, pids: dict[str, list[int]]) -> None:
        self.pids = pids
        self._began: dict[str, float] = {}
        self._wall = 0.0

    def _now(self) -> dict[str, float]:
        return {name: sum(_cpu_or_zero(pid) for pid in pids) for name, pids in self.pids.items()}

    def start(self, wall: float) -> None:
        self._began, self._wall = self._now(), wall

    def stop(self, wall: float) -> dict[str, float]:
        """Per name, CPU seconds used per wall-clock second (1.0 = one core busy)."""
        elapsed = max(wall - self._wall, 1e-9)
        return {name: (used - self._began[name]) / elapsed for name, used in self._now().items()}


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it (a Celery worker and its pool), from /proc."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # it ended meanwhile
            continue
        ppid = int(text[text.rindex(")") + 2 :].split()[1])
        parents.setdefault(ppid, []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += parents.get(current, [])
    return found


def cpu_summary(shares: dict[str, float]) -> str:
    """'API 85%, store 40%, ...' from CpuMeter.stop()."""
    return ", ".join(f"{name} {share:.0%}" for name, share in shares.items())


def child_pid(services: Services, name: str) -> int:
    """The pid of the running child `name` of the stack's services (the newest, should it have
    been restarted)."""
    alive = [p.pid for n, p in services.children.children if n == name and p.poll() is None]
    return alive[-1]


async def with_cpu[T](pids: dict[str, list[int]], work: Awaitable[T]) -> tuple[T, dict[str, float]]:
    """Await `work`; its result and the CPU share each group of processes used meanwhile."""
    meter = CpuMeter(pids)
    meter.start(time.perf_counter())
    result = await work
    return result, meter.stop(time.perf_counter())
