"""Parsing whole messages within the limits: forwarded mails, deep nesting, large parts."""

from __future__ import annotations

from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

from scanner.limits import ScanLimits
from scanner.messages import add_part, parse_headers, parse_message


def invoice_mail(sender: str, subject: str, pdf: bytes = b"%PDF-1.4 x") -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["Subject"] = sender, subject
    msg["Message-ID"] = f"<{subject.replace(' ', '-')}@x>"
    msg["To"], msg["Cc"] = "Me <me@x.example>", "ap@x.example, Finance <fin@x.example>"
    msg.set_content("Please find the invoice attached.")
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename="inv.pdf")
    return msg


def test_forwarded_mail_keeps_its_own_headers_and_parts() -> None:
    outer = invoice_mail("Me <me@x>", "Fwd: Invoice 5")
    outer.add_attachment(invoice_mail("Acme GmbH <b@acme.example>", "Invoice 5"))
    parsed = parse_message(outer.as_bytes())
    assert [a.filename for a in parsed.attachments] == ["inv.pdf"]
    [forwarded] = parsed.forwarded
    assert (forwarded.sender, forwarded.subject) == ("Acme GmbH <b@acme.example>", "Invoice 5")
    assert forwarded.message_id == "<Invoice-5@x>"
    assert [a.payload for a in forwarded.attachments] == [b"%PDF-1.4 x"]
    assert "ap@x.example" in ", ".join(parsed.recipients)


def test_nesting_past_the_limit_is_flagged_not_followed() -> None:
    part: MIMEText | MIMEMultipart = MIMEText("Invoice total 5 EUR")
    for _ in range(60):
        outer = MIMEMultipart()
        outer.attach(part)
        part = outer
    parsed = parse_message(part.as_bytes(), ScanLimits(max_depth=20))
    assert parsed.too_deep and parsed.text_body == ""


def test_attachment_over_the_limit_is_skipped_with_a_reason() -> None:
    raw = invoice_mail("Acme <b@a>", "Invoice 6", pdf=b"x" * 5000).as_bytes()
    parsed = parse_message(raw, ScanLimits(max_attachment_bytes=4096))
    assert parsed.attachments == []
    [skipped] = parsed.skipped
    assert skipped.filename == "inv.pdf" and "5000 bytes" in skipped.reason


def test_unknown_charset_is_read_as_utf8() -> None:
    raw = (
        b"From: s@x\r\nSubject: Receipt\r\nMessage-ID: <c@x>\r\n"
        b"Content-Type: text/plain; charset=x-unknown-42\r\n\r\nTotal: 5,00 \xe2\x82\xac\r\n"
    )
    assert parse_message(raw).text_body.strip() == "Total: 5,00 €"


def test_parts_fetched_one_by_one_read_like_the_whole_message() -> None:
    msg = invoice_mail("Acme <b@a>", "Invoice 7")
    whole = parse_message(msg.as_bytes())
    parsed = parse_headers(msg.as_bytes().split(b"\n\n", 1)[0], fallback_id="<unused@x>")
    for part in msg.iter_parts():
        header, _, body = part.as_bytes().partition(b"\n\n")
        add_part(parsed, header, body)
    assert parsed.message_id == whole.message_id
    assert parsed.text_body == whole.text_body
    assert parsed.attachments == whole.attachments
    assert parsed.attachments[0].part_key == whole.attachments[0].part_key
