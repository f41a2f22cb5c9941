"""Dates printed on invoices, and whether "05/03/2026" means the 5th of March or May the 3rd.

The order of an all-numeric date is settled, in this order, by:
1. the document itself: a date such as 25/03/2026 or 03/25/2026 can be read one way only, and the
   other dates of the same document follow the same convention;
2. dots ("05.03.2026") are always day first: no month-first country writes dates with dots;
3. otherwise the document's language and currency: every language but English is day first,
   and so is English unless the currency is US dollars or the sender's domain is a US one
   (.us, .gov, .edu, .mil). US senders write month first; the UK, Ireland, Australia, India and
   English-writing European firms write day first.
Dates with a month name and ISO dates (2026-03-05) need none of this. The month names of the
invoice languages come from dateparser's locale data, which also reads each date found, told the
language and order so it never guesses among all of its languages (the slow path); the regular
expressions only find where dates are.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache

import dateparser
from dateparser.languages.loader import default_loader

from scanner.extraction.labels import LANGUAGES

# dateparser's names of the languages whose code differs from ours (Norwegian Bokmål).
DATEPARSER_LANGUAGE = {"no": "nb"}
_MONTH_KEYS = (
    "january february march april may june july august september october november december"
).split()


def _month_languages() -> dict[str, list[str]]:
    names: dict[str, list[str]] = {}
    for language in LANGUAGES:
        info = default_loader.get_locale(DATEPARSER_LANGUAGE.get(language, language)).info
        for key in _MONTH_KEYS:
            for name in info.get(key, []):
                found = names.setdefault(name.lower(), [])
                if language not in found:
                    found.append(language)
    return names


_MONTH_LANGUAGES = _month_languages()
_MONTH = "|".join(sorted(_MONTH_LANGUAGES, key=len, reverse=True))
_DAY = r"\d{1,2}(?:st|nd|rd|th|er|º|°|\.)?"
_NAMED = (
    rf"{_DAY}\s*(?:de\s+|-|\s)?(?:{_MONTH})\.?,?\s*(?:de\s+|-|\s)?\d{{4}}"
    rf"|(?:{_MONTH})\.?\s+{_DAY},?\s+\d{{4}}"
)
_NUMERIC = (
    r"\d{1,2}[/-]\d{1,2}[/-](?:\d{4}|\d{2})|\d{1,2} ?\. ?\d{1,2} ?\. ?(?:\d{4}|\d{2})"
    r"|\d{4}-\d{1,2}-\d{1,2}|\d{4}/\d{1,2}/\d{1,2}"
)
DATE = re.compile(rf"(?<![\w./-])(?:{_NAMED}|{_NUMERIC})(?![\w/-]|\.\d)", re.IGNORECASE)
_SLASHED = re.compile(r"(?<![\w./-])(\d{1,2})[/-](\d{1,2})[/-](?:\d{4}|\d{2})(?![\w/-])")
_DAY_FIRST_LANGUAGES = frozenset(LANGUAGES) - {"en"}
_US_TLDS = frozenset({"us", "gov", "edu", "mil"})
# Dates outside these years on an invoice are misreadings (a reference number, a birth date).
_YEARS = range(1990, 2100)


def day_first(text: str, language: str, currency: str | None, tld: str | None) -> bool:
    """Whether all-numeric dates in `text` put the day first (see the module's rules)."""
    day_votes = month_votes = 0
    for match in _SLASHED.finditer(text):
        first, second = int(match[1]), int(match[2])
        day_votes += first > 12 >= second
        month_votes += second > 12 >= first
    if day_votes != month_votes:
        return day_votes > month_votes
    if language in _DAY_FIRST_LANGUAGES:
        return True
    return not (currency == "USD" or tld in _US_TLDS)


def parse_date(raw: str, language: str, day_first_order: bool) -> date | None:
    """The date `raw` (one match of DATE) names, or None when it names none."""
    text = " ".join(raw.split())
    languages = _languages_of(text, language)
    text = re.sub(r"(?<=\d) ?\. ?(?=\d)", ".", text)  # "01 . 11 . 2024", as some PDFs print it
    order = "DMY" if day_first_order or re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{2,4}", text) else "MDY"
    if re.match(r"\d{4}", text):
        order = "YMD"
    parsed = _parse(text, languages, order)
    if parsed is None or parsed.year not in _YEARS:
        return None
    return parsed.date()


def _languages_of(text: str, language: str) -> tuple[str, ...]:
    for word in re.findall(r"[^\W\d_]+", text.lower()):
        if word in _MONTH_LANGUAGES:
            found = _MONTH_LANGUAGES[word]
            return (language,) if language in found else tuple(found)
    return (language,)


@lru_cache(maxsize=4096)
def _parse(text: str, languages: tuple[str, ...], order: str) -> datetime | None:
    # Invoices repeat the same few dates; the cache spares dateparser the same work twice.
    return dateparser.parse(
        text,
        languages=[DATEPARSER_LANGUAGE.get(language, language) for language in languages],
        settings={
            "DATE_ORDER": order,
            "PREFER_LOCALE_DATE_ORDER": False,
            "REQUIRE_PARTS": ["day", "month", "year"],
            "PARSERS": ["absolute-time"],
        },
    )
