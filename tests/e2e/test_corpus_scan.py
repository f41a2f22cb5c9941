"""The whole corpus through a real scan: the invoices stored are exactly the expected ones, every
hostile mail is survived and counted, and a second scan of the same window reads nothing new."""

from __future__ import annotations

import asyncio
import imaplib
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from typing import Any

from models import Invoice
from models.enums import InvoiceSource
from tests.support.corpus import CorpusMail, build_corpus
from tests.support.graphql import data_of, gql, imap_account, token_for

ADD = """mutation($input: AddEmailAccountInput!) { addEmailAccount(input: $input) { id } }"""
START = """mutation($id: ID!) { startScan(accountId: $id, months: 2) { taskId } }"""
TASK = """query($id: ID!) { task(taskId: $id) {
  status emailsTotal emailsScanned invoicesFound errorCount bytesFetched error } }"""
TO_REVIEW = """query($a: ID, $r: Boolean) { invoices(accountId: $a, needsReview: $r, first: 100) {
  totalCount edges { node { needsReview confidence { vendor totalAmount } } } } }"""


async def scan(http: Any, account_id: str, token: str) -> dict[str, Any]:
    task_id = data_of(await gql(http, START, {"id": account_id}, token=token))["startScan"][
        "taskId"
    ]
    async with asyncio.timeout(240):
        while True:
            task = data_of(await gql(http, TASK, {"id": task_id}, token=token))["task"]
            if task["status"] not in ("PENDING", "PROGRESS"):
                return task
            await asyncio.sleep(0.25)


def expected_keys(corpus: list[CorpusMail]) -> set[tuple[str, str | None]]:
    keys = set()
    for mail in corpus:
        message_id = str(message_from_bytes(mail.raw, policy=policy.default)["Message-ID"] or "")
        for invoice in mail.expected:
            keys.add((message_id.strip() or mail.name, invoice.attachment_name))
    return keys


async def add_account(http: Any, dovecot: Any, user: str, password: str, token: str) -> str:
    variables = {"input": imap_account(user, password, dovecot.port)}
    return str(data_of(await gql(http, ADD, variables, token=token))["addEmailAccount"]["id"])


async def test_corpus_scan_finds_exactly_the_expected_invoices(
    dovecot, worker, api_url, http, database
) -> None:
    corpus = build_corpus()
    user, password = "corpus@example.com", "pw-corpus"
    dovecot.add_user(user, password)
    now = datetime.now(UTC)
    in_window = [(mail.raw, now - timedelta(days=1 + i % 40)) for i, mail in enumerate(corpus)]
    dovecot.append(user, password, in_window)
    # An invoice outside the window is not read.
    dovecot.append(user, password, [(corpus[0].raw, now - timedelta(days=120))])
    token = token_for("corpus-user")
    account_id = await add_account(http, dovecot, user, password, token)

    first = await scan(http, account_id, token)

    expected_total = sum(len(mail.expected) for mail in corpus)
    assert first["status"] == "SUCCESS", first
    assert first["emailsTotal"] == first["emailsScanned"] == len(corpus)
    assert first["errorCount"] == sum(mail.unreadable for mail in corpus)
    assert first["invoicesFound"] == expected_total
    stored = await Invoice.find(Invoice.account_id == account_id).to_list()
    # Mails without a Message-ID get a content id; they are named by the corpus instead.
    named = {
        (inv.message_id if not inv.message_id.startswith("<sha256-") else "", inv.attachment_name)
        for inv in stored
    }
    wanted = {(mid if mid.startswith("<") else "", name) for mid, name in expected_keys(corpus)}
    assert named == wanted
    assert len(stored) == expected_total
    # Each invoice is stored with its confidences; an e-invoice's fields are read exactly.
    exact = [inv for inv in stored if inv.source in (InvoiceSource.FACTURX, InvoiceSource.UBL)]
    assert exact and all(
        inv.confidence.total_amount == 1.0 for inv in exact if inv.total_amount is not None
    )
    flagged = data_of(await gql(http, TO_REVIEW, {"a": account_id, "r": True}, token=token))
    clear = data_of(await gql(http, TO_REVIEW, {"a": account_id, "r": False}, token=token))
    assert flagged["invoices"]["totalCount"] == sum(inv.needs_review for inv in stored)
    assert flagged["invoices"]["totalCount"] + clear["invoices"]["totalCount"] == len(stored)
    assert all(edge["node"]["needsReview"] for edge in flagged["invoices"]["edges"])
    assert not any(edge["node"]["needsReview"] for edge in clear["invoices"]["edges"])
    full_download = sum(len(raw) for raw, _ in in_window)
    assert first["bytesFetched"] <= 0.35 * full_download, (first["bytesFetched"], full_download)

    second = await scan(http, account_id, token)
    assert second == {
        "status": "SUCCESS",
        "emailsTotal": 0,
        "emailsScanned": 0,
        "invoicesFound": 0,
        "errorCount": 0,
        "bytesFetched": 0,
        "error": None,
    }


async def test_a_new_uidvalidity_starts_the_folder_over(
    dovecot, worker, api_url, http, database
) -> None:
    corpus = [mail for mail in build_corpus() if mail.category == "invoice"][:6]
    user, password = "uidvalidity@example.com", "pw-uv"
    dovecot.add_user(user, password)
    now = datetime.now(UTC)
    dovecot.append(user, password, [(mail.raw, now - timedelta(days=2)) for mail in corpus])
    token = token_for("uidvalidity-user")
    account_id = await add_account(http, dovecot, user, password, token)
    first = await scan(http, account_id, token)
    assert first["status"] == "SUCCESS" and first["emailsScanned"] == len(corpus)

    # Dovecot keeps UIDs in dovecot-uidlist: without it (a restored backup, a migrated server)
    # the folder gets a new UIDVALIDITY and new UIDs, and old UIDs mean nothing any more.
    before = uidvalidity(dovecot, user, password)
    maildir = dovecot.base / "mail" / user / "Maildir"
    for stale in [maildir / "dovecot-uidlist", *maildir.glob("dovecot.index*")]:
        stale.unlink()
    await asyncio.sleep(1.1)  # UIDVALIDITY is a timestamp in seconds
    assert uidvalidity(dovecot, user, password) != before

    again = await scan(http, account_id, token)
    assert again["status"] == "SUCCESS"
    assert again["emailsScanned"] == len(corpus)  # read again, under the new UIDVALIDITY
    assert again["invoicesFound"] == 0  # but nothing stored twice
    assert await Invoice.find(Invoice.account_id == account_id).count() == sum(
        len(mail.expected) for mail in corpus
    )


def uidvalidity(dovecot: Any, user: str, password: str) -> int:
    client = imaplib.IMAP4(dovecot.host, dovecot.port)
    client.login(user, password)
    client.select("INBOX", readonly=True)
    [value] = client.response("UIDVALIDITY")[1]
    client.logout()
    return int(value)
