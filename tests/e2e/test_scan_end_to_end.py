"""One real scan through the whole path: GraphQL over HTTP → Celery worker process → Dovecot →
the store → Redis pub/sub → a graphql-transport-ws subscription."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from models import Invoice
from tests.support.graphql import Subscription, data_of, gql, imap_account, token_for
from tests.support.mail import pdf_invoice, plain_mail, text_invoice

IN_WINDOW = 500
OUTSIDE_WINDOW = 25
TEXT_INVOICES = 30
PDF_INVOICES = 20

ADD_ACCOUNT = """
mutation Add($input: AddEmailAccountInput!) {
  addEmailAccount(input: $input) { id email imapHost imapPort security username }
}"""
START_SCAN = """
mutation Start($accountId: ID!) {
  startScan(accountId: $accountId, months: 3) {
    message taskId status estimatedDurationSeconds task { id status progress currentStatus }
  }
}"""
FOLLOW = """
subscription Follow($taskId: ID!) {
  taskProgress(taskId: $taskId) {
    id status progress currentStatus emailsTotal emailsScanned invoicesFound errorCount
    startedAt finishedAt actualDurationSeconds
  }
}"""


def mailbox_contents() -> list[tuple[bytes, datetime]]:
    now = datetime.now(UTC)
    messages: list[tuple[bytes, datetime]] = []
    for index in range(IN_WINDOW):
        when = now - timedelta(days=1 + index % 60, minutes=index)
        if index < TEXT_INVOICES:
            raw = text_invoice(index, when)
        elif index < TEXT_INVOICES + PDF_INVOICES:
            raw = pdf_invoice(index, when)
        else:
            raw = plain_mail(index, when)
        messages.append((raw, when))
    for index in range(OUTSIDE_WINDOW):
        when = now - timedelta(days=200 + index)
        messages.append((text_invoice(10_000 + index, when), when))
    return messages


async def test_scan_500_messages_end_to_end(dovecot, worker, api_url, http, database) -> None:
    dovecot.add_user("alice@example.com", "alice-pw")
    dovecot.append("alice@example.com", "alice-pw", mailbox_contents())
    token = token_for("alice")

    added = data_of(
        await gql(
            http,
            ADD_ACCOUNT,
            {"input": imap_account("alice@example.com", "alice-pw", dovecot.port)},
            token=token,
        )
    )["addEmailAccount"]
    assert added["username"] == "alice@example.com"
    assert added["security"] == "NONE"

    async with Subscription(api_url, token) as ws:
        started = data_of(await gql(http, START_SCAN, {"accountId": added["id"]}, token=token))
        payload = started["startScan"]
        assert payload["message"] == "Email scan started for 3 months"
        assert payload["status"] == "PENDING"
        assert payload["task"]["id"] == payload["taskId"]

        op = await ws.start(FOLLOW, {"taskId": payload["taskId"]})
        updates = []
        async with asyncio.timeout(120):
            async for message in ws.messages(op):
                assert "errors" not in message, message
                updates.append(message["data"]["taskProgress"])

    progress = [update["progress"] for update in updates]
    assert progress == sorted(progress), f"progress decreased: {progress}"
    final = updates[-1]
    assert final["status"] == "SUCCESS"
    assert final["progress"] == 100
    assert final["currentStatus"] == "Done"
    assert final["emailsTotal"] == IN_WINDOW
    assert final["emailsScanned"] == IN_WINDOW
    assert final["invoicesFound"] == TEXT_INVOICES + PDF_INVOICES
    assert final["errorCount"] == 0
    assert final["actualDurationSeconds"] > 0
    assert all(update["status"] != "SUCCESS" for update in updates[:-1])
    assert any(update["status"] == "PROGRESS" for update in updates)

    stored = await Invoice.find(Invoice.account_id == added["id"]).to_list()
    assert len(stored) == TEXT_INVOICES + PDF_INVOICES
    assert {invoice.task_id for invoice in stored} == {payload["taskId"]}
    text_totals = {inv.total_amount for inv in stored if inv.attachment_name is None}
    assert {str(total) for total in text_totals} == {"119.00"}
    assert {inv.currency for inv in stored if inv.attachment_name is None} == {"EUR"}


HOSTILE_CHARSET = (
    b"From: x@example.org\r\nSubject: Invoice 1\r\nMessage-ID: <hostile@x>\r\n"
    b"Content-Type: text/plain; charset*=\"x''\"\r\n\r\nTotal: 5 EUR\r\n"
)


async def test_a_hostile_mail_is_counted_and_the_scan_goes_on(
    dovecot, worker, api_url, http, database
) -> None:
    dovecot.add_user("hostile@example.com", "pw-h")
    now = datetime.now(UTC)
    dovecot.append(
        "hostile@example.com",
        "pw-h",
        [
            (HOSTILE_CHARSET, now - timedelta(days=1)),
            (text_invoice(1, now - timedelta(days=2)), now - timedelta(days=2)),
            (plain_mail(2, now - timedelta(days=3)), now - timedelta(days=3)),
        ],
    )
    token = token_for("hostile")
    account = data_of(
        await gql(
            http,
            ADD_ACCOUNT,
            {"input": imap_account("hostile@example.com", "pw-h", dovecot.port)},
            token=token,
        )
    )["addEmailAccount"]
    async with Subscription(api_url, token) as ws:
        started = data_of(await gql(http, START_SCAN, {"accountId": account["id"]}, token=token))
        op = await ws.start(FOLLOW, {"taskId": started["startScan"]["taskId"]})
        async with asyncio.timeout(60):
            updates = [m["data"]["taskProgress"] async for m in ws.messages(op)]
    final = updates[-1]
    assert (final["status"], final["emailsScanned"], final["errorCount"]) == ("SUCCESS", 3, 1)
    assert final["invoicesFound"] == 1
