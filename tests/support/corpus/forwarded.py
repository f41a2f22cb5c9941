"""Invoice mails that a colleague forwarded to the accounts mailbox as an attachment.

The forwarded mail travels whole as a message/rfc822 part with the supplier's PDF inside; the
expected invoice is that PDF (its filename, the original seller), not the colleague's mail.
One mail was forwarded twice, so the invoice sits two messages deep.
"""

from __future__ import annotations

import datetime
from dataclasses import replace
from email.message import EmailMessage

from tests.support.corpus.data import entries
from tests.support.corpus.mime import OWNER, as_bytes, new_message, sent_on
from tests.support.corpus.model import CorpusMail
from tests.support.corpus.pdf_mails import pdf_message, pdf_specs
from tests.support.corpus.wording import FORWARD_TEXTS

_COLLEAGUES = {
    "en": "James Whitfield <james.whitfield@keller-design.example>",
    "de": "Tom Becker <tom.becker@keller-design.example>",
    "fr": "Sophie Laurent <sophie.laurent@keller-design.example>",
    "es": "Lucía Gómez <lucia.gomez@keller-design.example>",
}


def _first_name(address: str) -> str:
    return address.split(" <")[0].split()[0]


def _forward(
    name: str, inner: EmailMessage, lang: str, sender: str, day: datetime.date, to: str = OWNER
) -> EmailMessage:
    subject, body = FORWARD_TEXTS[lang]
    outer = new_message(
        name, sender, subject.format(subject=inner["Subject"]), sent_on(day, name), to=to
    )
    outer.set_content(body.format(person=_first_name(sender), recipient=_first_name(to)))
    filename = f"{inner['Subject']}.eml".replace("/", "-")
    outer.add_attachment(inner, filename=filename)
    return outer


def forwarded_mails() -> list[CorpusMail]:
    """Ten forwarded invoice mails, one of them forwarded twice."""
    mails = []
    twice_forwarded = {e["name"] for e in entries("forwarded") if e.get("forwarded_twice")}
    for spec in pdf_specs("forwarded"):
        lang = spec.name.split("-", 1)[0]
        colleague = _COLLEAGUES[lang]
        twice = spec.name in twice_forwarded
        first_hand = _COLLEAGUES["de"] if twice else colleague
        inner, expected = pdf_message(replace(spec, to=first_hand))
        day = spec.first.issued + datetime.timedelta(days=1)
        if twice:
            inner = _forward(spec.name + "-first", inner, lang, first_hand, day, to=colleague)
            day += datetime.timedelta(days=2)
        outer = _forward(spec.name, inner, lang, colleague, day)
        mails.append(CorpusMail(spec.name, as_bytes(outer), "invoice", expected))
    return mails
