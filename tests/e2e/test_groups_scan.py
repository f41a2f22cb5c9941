"""A GROUPS scan reads the group's mail in every folder but Trash, Junk, Drafts and Sent, and
only mail addressed to a group address exactly."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from tests.support.graphql import data_of, gql, imap_account, token_for

ADD = """mutation($input: AddEmailAccountInput!) { addEmailAccount(input: $input) { id } }"""
START = """mutation($id: ID!, $type: ScanType!) {
  startScan(accountId: $id, scanType: $type, months: 2) { taskId } }"""
TASK = """query($id: ID!) { task(taskId: $id) {
  status scanType emailsTotal emailsScanned invoicesFound error } }"""


def mail(
    subject: str,
    *,
    to: str = "me@corp.example",
    cc: str | None = None,
    delivered_to: str | None = None,
    when: datetime,
) -> tuple[bytes, datetime]:
    msg = EmailMessage()
    msg["From"] = "Vendor <billing@vendor.example>"
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    if delivered_to:
        msg["Delivered-To"] = delivered_to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain="vendor.example")
    msg.set_content("Invoice number: G-1\nTotal: 50.00 EUR\n")
    return msg.as_bytes(), when


async def test_groups_scan_reads_group_mail_in_the_right_folders(http, dovecot, worker) -> None:
    user, password = "groupie@corp.example", "pw-groups"
    dovecot.add_user(user, password)
    recent = datetime.now(UTC) - timedelta(days=5)
    old = datetime.now(UTC) - timedelta(days=120)
    group = "ap@corp.example"
    dovecot.append(
        user,
        password,
        [
            mail("Invoice 1", to=group, when=recent),  # counted
            mail("Invoice 2", to="me@corp.example", cc=group, when=recent),  # counted (Cc)
            mail("Invoice 3", delivered_to=group, when=recent),  # counted (Delivered-To)
            mail("Invoice 4", to="me@corp.example", when=recent),  # not to the group
            mail("Invoice 5", to=group, when=old),  # outside the window
            # SEARCH TO matches substrings and finds this one; the exact check leaves it out.
            mail("Invoice 7", to=f"n{group}", when=recent),
        ],
    )
    dovecot.append(user, password, [mail("Invoice 6", to=group, when=recent)], folder="Finance")
    for skipped in ("Trash", "Sent", "Spam", "Drafts"):
        dovecot.append(
            user, password, [mail(f"Invoice in {skipped}", to=group, when=recent)], folder=skipped
        )

    token = token_for("groupie")
    account = data_of(
        await gql(
            http,
            ADD,
            {"input": imap_account(user, password, dovecot.port, groupAddresses=[group])},
            token=token,
        )
    )["addEmailAccount"]
    task_id = data_of(await gql(http, START, {"id": account["id"], "type": "GROUPS"}, token=token))[
        "startScan"
    ]["taskId"]
    async with asyncio.timeout(60):
        while True:
            task = data_of(await gql(http, TASK, {"id": task_id}, token=token))["task"]
            if task["status"] not in ("PENDING", "PROGRESS"):
                break
            await asyncio.sleep(0.2)
    assert task == {
        "status": "SUCCESS",
        "scanType": "GROUPS",
        "emailsTotal": 5,
        "emailsScanned": 5,
        "invoicesFound": 4,
        "error": None,
    }


async def test_groups_scan_needs_group_addresses(http) -> None:
    token = token_for("lonely")
    account = data_of(
        await gql(
            http,
            ADD,
            {"input": imap_account("lonely@corp.example", "pw", 1, verify=False)},
            token=token,
        )
    )["addEmailAccount"]
    body = await gql(http, START, {"id": account["id"], "type": "GROUPS"}, token=token)
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "scanType"}
