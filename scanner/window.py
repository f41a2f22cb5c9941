"""The date window of a scan: the last N calendar months up to today."""

from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta


def window_start(months: int, today: date) -> date:
    """First day inside the window: the same day `months` calendar months ago (clamped to
    the month's end, so 31 May minus 3 months is 28 or 29 February)."""
    if months < 1:
        raise ValueError("months must be at least 1")
    return today - relativedelta(months=months)
