"""How long a scan will take in all, from the account's recent successful scans, or else from the
scan's own pace.

Three moments: at startScan only the window is known (seconds per month of recent scans times
`months`, from the pace a worker stores on the account after each successful scan); once the
mailbox is searched, the messages to read are known (elapsed time plus those
messages at the account's recent pace); with no history, the running scan's own pace once it has
read a few messages.
"""

from __future__ import annotations

from models import EmailAccount, ScanTask
from models.email_account import ScanPace
from models.enums import TaskStatus

HISTORY_SIZE = 5
# A pace measured over fewer messages or less time than this says more about the connection
# than about the mailbox.
MIN_OWN_MESSAGES = 20
MIN_OWN_SECONDS = 1.0


async def remember_pace(account: EmailAccount) -> None:
    """Store on `account` the pace of its recent successful scans, which the next startScan
    estimates from; a worker calls it after each successful scan."""
    await account.set({EmailAccount.recent_pace: await recent_pace(str(account.id))})


async def recent_pace(account_id: str) -> ScanPace:
    """The pace of the account's last HISTORY_SIZE successful scans that took measurable time."""
    recent = (
        await ScanTask.find(
            {
                "account_id": account_id,
                "status": TaskStatus.SUCCESS.value,
                "actual_duration_seconds": {"$gt": 0},
            }
        )
        .sort("-created_at")
        .limit(HISTORY_SIZE)
        .to_list()
    )
    return pace_of(recent)


def pace_of(tasks: list[ScanTask]) -> ScanPace:
    """Seconds per month (the mean over `tasks`) and messages per second (over the scans that
    read messages: their messages over their time, so a large scan weighs more)."""
    timed = [(t, t.actual_duration_seconds) for t in tasks if t.actual_duration_seconds]
    if not timed:
        return ScanPace()
    per_month = sum(seconds / max(t.months, 1) for t, seconds in timed) / len(timed)
    reading = [(t.emails_scanned, seconds) for t, seconds in timed if t.emails_scanned > 0]
    rate = sum(n for n, _ in reading) / sum(s for _, s in reading) if reading else None
    return ScanPace(seconds_per_month=per_month, messages_per_second=rate)


def at_start(pace: ScanPace, months: int) -> float | None:
    """Before the mailbox is searched: the account's seconds per month times `months`."""
    if pace.seconds_per_month is None:
        return None
    return _rounded(pace.seconds_per_month * months)


def when_planned(pace: ScanPace, elapsed_seconds: float, remaining: int) -> float | None:
    """Once the messages left to read are known: time so far plus those at the recent pace."""
    if not pace.messages_per_second:
        return None
    return _rounded(elapsed_seconds + remaining / pace.messages_per_second)


def from_own_rate(
    *, elapsed_seconds: float, run_seconds: float, run_done: int, remaining: int
) -> float | None:
    """From this run's own pace (`run_done` messages in `run_seconds`), once it means something."""
    if run_done < MIN_OWN_MESSAGES or run_seconds < MIN_OWN_SECONDS:
        return None
    return _rounded(elapsed_seconds + remaining * run_seconds / run_done)


def _rounded(seconds: float) -> float:
    return round(max(seconds, 0.0), 1)
