"""The large benchmark mailbox (tests/support/mailbox_mix), written straight into the Maildir, is
what Dovecot serves: every message, at the received time set, in the mix the issue asks for."""

from __future__ import annotations

import imaplib
import re
import time
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from typing import Any

from tests.support.corpus import build_corpus
from tests.support.mailbox_mix import SHARES, corpus_mails, write_mailbox
from tests.support.maildir import maildir_of

MESSAGES = 300
# A share of 300 messages may round by one message either way; the mix is drawn, not dealt.
TOLERANCE = 0.01
OTHER_ATTACHMENTS = ("image/jpeg", "image/png", "text/calendar", "application/vnd.openxmlformats")
_FETCHED = re.compile(rb'UID (\d+) INTERNALDATE "([^"]+)"')


def served(dovecot: Any, user: str, since: datetime) -> tuple[list[int], dict[int, int]]:
    """SEARCH SINCE `since` (UIDs), and every message's INTERNALDATE in epoch seconds by UID."""
    client = imaplib.IMAP4(dovecot.host, dovecot.port)
    try:
        client.login(user, "pw")
        client.select("INBOX", readonly=True)
        _, found = client.uid("SEARCH", "SINCE", since.strftime("%d-%b-%Y"))
        _, fetched = client.uid("FETCH", "1:*", "(INTERNALDATE)")
    finally:
        client.logout()
    dates = {}
    for line in fetched:
        assert isinstance(line, bytes)
        match = _FETCHED.search(line)
        assert match, line
        stamp = imaplib.Internaldate2tuple(b'INTERNALDATE "' + match[2] + b'"')
        assert stamp is not None
        dates[int(match[1])] = int(time.mktime(stamp))
    return [int(uid) for uid in found[0].split()], dates


def kind_of(raw: bytes, invoice_ids: set[str]) -> str:
    msg = message_from_bytes(raw, policy=policy.default)
    if str(msg["Message-ID"]) in invoice_ids:
        return "invoice"
    types = [part.get_content_type() for part in msg.walk()]
    return "attachment" if any(t.startswith(OTHER_ATTACHMENTS) for t in types) else "other"


def test_dovecot_serves_the_written_mailbox_in_its_mix(dovecot) -> None:
    now = datetime.now(UTC)
    began = time.perf_counter()
    box = write_mailbox(dovecot, "mix@example.com", MESSAGES, now=now)
    assert time.perf_counter() - began < 10

    uids, dates = served(dovecot, "mix@example.com", now - timedelta(days=61))
    files = sorted((maildir_of(dovecot, "mix@example.com") / "cur").iterdir())
    assert len(uids) == len(files) == MESSAGES
    # UIDs follow the received times, and each INTERNALDATE is the file's mtime.
    mtimes = sorted(int(path.stat().st_mtime) for path in files)
    assert [dates[uid] for uid in sorted(uids)] == mtimes
    assert box.first_received > now - timedelta(days=61) and box.last_received < now

    invoice_ids = {copy.message_id for copy in box.invoices}
    kinds = [kind_of(path.read_bytes(), invoice_ids) for path in files]
    for kind in ("invoice", "attachment"):
        assert abs(kinds.count(kind) / MESSAGES - SHARES[kind]) <= TOLERANCE, kind
    # Every invoice copy is one message, with as many expected invoices as its corpus mail.
    assert len(invoice_ids) == kinds.count("invoice") == box.kinds["invoice"]
    expected_per_mail = {mail.name: len(mail.expected) for mail in build_corpus()}
    copies = {copy.message_id: copy.corpus_name for copy in box.invoices}
    assert len(box.invoices) == sum(expected_per_mail[name] for name in copies.values())
    assert {mail.category for mail in corpus_mails()[0]} == {"invoice"}
