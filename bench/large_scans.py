"""What the large-mailbox benchmark (bench/large_mailbox.py) does with one scan: start it, wait
for it, measure the CPU of every process meanwhile, and check its invoices against the mailbox's
expected ones.

To run one large scan by hand against a stack: `start_scan(http, user, account_id)` (bench/scans.py)
then `wait_finished(task_id, timeout)`; `ScanClock` does both and measures.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx

from bench.procstat import child_pid, tree_cpu_seconds
from bench.scans import start_scan
from bench.stack import Stack
from tests.support.corpus.score import FIELDS, same
from tests.support.environment import uses_real_mongodb
from tests.support.mailbox_mix import LargeMailbox


async def wait_status(task_id: str, done: Any, timeout: float, poll: float = 0.1) -> Any:
    """The stored ScanTask `task_id` once `done(task)` holds; TimeoutError after `timeout` s."""
    from models import ScanTask

    async with asyncio.timeout(timeout):
        while True:
            task = await ScanTask.get(task_id)
            if task is not None and done(task):
                return task
            await asyncio.sleep(poll)


async def wait_finished(task_id: str, timeout: float) -> Any:
    """The ScanTask once it is SUCCESS, FAILURE or CANCELLED."""
    return await wait_status(task_id, lambda task: task.status.is_terminal, timeout, poll=0.25)


def dovecot_master(stack: Stack) -> int:
    """The pid of Dovecot's master process (its IMAP sessions run below it)."""
    return int((stack.dovecot.base / "run" / "master.pid").read_text().split()[0])


def process_roots(stack: Stack, worker_pids: list[int]) -> dict[str, list[int]]:
    """The process trees whose CPU a scan is measured with."""
    roots = {"API": [child_pid(stack.services, "api")], "Dovecot": [dovecot_master(stack)]}
    if not uses_real_mongodb():
        roots["store"] = [child_pid(stack.services, "localdb")]
    roots["workers"] = worker_pids
    return roots


def cpu_now(roots: dict[str, list[int]]) -> dict[str, float]:
    return {name: sum(tree_cpu_seconds(pid) for pid in pids) for name, pids in roots.items()}


def cpu_text(seconds: dict[str, float], wall: float) -> str:
    """'API 12 s (3% of a core), ...': CPU seconds of each group over `wall` seconds."""
    return ", ".join(
        f"{name} {used:.1f} s ({used / max(wall, 1e-9):.0%} of a core)"
        for name, used in seconds.items()
    )


@dataclass
class InvoiceCheck:
    """Stored invoices against expected ones, by (Message-ID, attachment) and fields."""

    expected: int
    stored: int
    missing: int
    extra: int
    twice: int
    wrong_fields: int

    @property
    def exact(self) -> bool:
        return self.stored == self.expected and not (
            self.missing or self.extra or self.twice or self.wrong_fields
        )

    def text(self) -> str:
        return (
            f"{self.stored} invoices stored of {self.expected} expected ({self.missing} missing, "
            f"{self.extra} extra, {self.twice} twice, {self.wrong_fields} with a wrong field)"
        )


async def check_invoices(account_id: str, box: LargeMailbox) -> InvoiceCheck:
    """Whether the account holds exactly the mailbox's invoices, each once, fields as expected."""
    from models import Invoice

    stored = await Invoice.find(Invoice.account_id == account_id).to_list()
    keys = Counter((invoice.message_id, invoice.attachment_name) for invoice in stored)
    expected = {(copy.message_id, copy.expected.attachment_name): copy for copy in box.invoices}
    wrong = 0
    for invoice in stored:
        copy = expected.get((invoice.message_id, invoice.attachment_name))
        if copy is None:
            continue
        found = {name: getattr(invoice, name) for name in FIELDS}
        found["source"] = invoice.source.value
        wrong += any(not same(name, getattr(copy.expected, name), found[name]) for name in FIELDS)
    return InvoiceCheck(
        expected=len(expected),
        stored=len(stored),
        missing=len(expected.keys() - keys.keys()),
        extra=len(keys.keys() - expected.keys()),
        twice=sum(count - 1 for count in keys.values() if count > 1),
        wrong_fields=wrong,
    )


@dataclass
class ScanRun:
    """One large scan, startScan to its end."""

    task: Any  # the final ScanTask
    seconds: float
    cpu: dict[str, float]
    invoices: InvoiceCheck

    @property
    def rate(self) -> float:
        return self.task.emails_scanned / self.seconds

    def text(self) -> str:
        return (
            f"{self.task.status.value} in {self.seconds:.1f} s, {self.rate:.0f} messages/s, "
            f"{self.task.bytes_fetched / 1e6:.0f} MB fetched; {self.invoices.text()}"
        )


class ScanClock:
    """A scan started now: `finish` waits for its end and measures it. The CPU of each process
    tree is read at startScan and at the end."""

    def __init__(self, stack: Stack, worker_pids: list[int]) -> None:
        self.roots = process_roots(stack, worker_pids)
        self.task_id = ""
        self._before: dict[str, float] = {}
        self.began = 0.0

    async def start(self, http: httpx.AsyncClient, user: str, account_id: str) -> str:
        self._before = cpu_now(self.roots)
        self.began = time.perf_counter()
        self.task_id = await start_scan(http, user, account_id)
        return self.task_id

    async def finish(self, account_id: str, box: LargeMailbox, timeout: float) -> ScanRun:
        final = await wait_finished(self.task_id, timeout)
        seconds = time.perf_counter() - self.began
        after = cpu_now(self.roots)
        cpu = {name: after[name] - self._before[name] for name in self.roots}
        return ScanRun(final, seconds, cpu, await check_invoices(account_id, box))
