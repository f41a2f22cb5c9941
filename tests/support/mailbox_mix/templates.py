"""The generated (not invoice) mails of the large mailbox, as templates built once per process:
each is everything of a message but its Date, Message-ID and To, which every copy gets anew.

Kinds: plain text notes, HTML mails, newsletters (HTML with a text alternative), notifications
of web services, and mails with another attachment (tests/support/mailbox_mix/attachments.py).
"""

from __future__ import annotations

import functools
import random
import tomllib
from dataclasses import dataclass
from email.header import Header
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from tests.support.corpus.mime import POLICY, LargeParts
from tests.support.mailbox_mix.attachments import attachment_pool

VOCABULARY = Path(__file__).with_name("vocabulary.toml")
# Templates per kind: enough that neighbouring mails differ, few enough to build in a second.
TEMPLATES = {"plain": 150, "html": 80, "newsletter": 40, "notification": 60, "attachment": 150}


@dataclass(frozen=True)
class Template:
    """A message without its Date, Message-ID and To: `head` (From and Subject lines) and
    `body` (MIME-Version, the content headers, a blank line and the content)."""

    kind: str
    head: bytes
    body: bytes

    def message(self, to: bytes, date: bytes, message_id: bytes) -> bytes:
        """The whole message for one copy."""
        return (
            b"".join(
                (
                    self.head,
                    b"To: ",
                    to,
                    b"\r\nDate: ",
                    date,
                    b"\r\nMessage-ID: ",
                    message_id,
                    b"\r\n",
                )
            )
            + self.body
        )


@functools.cache
def vocabulary() -> dict[str, Any]:
    """The word lists of vocabulary.toml, by name."""
    with VOCABULARY.open("rb") as file:
        return tomllib.load(file)


def _header(value: str) -> str:
    """A header value as it goes on the wire: RFC 2047 words where it is not ASCII."""
    return value if value.isascii() else Header(value, "utf-8").encode()


def _template(
    kind: str, sender: str, subject: str, msg: EmailMessage, parts: LargeParts
) -> Template:
    head = f"From: {_header(sender)}\r\nSubject: {_header(subject)}\r\n".encode()
    return Template(kind, head, parts.as_bytes(msg))


def _body(rng: random.Random, sentences: int) -> str:
    return " ".join(rng.choice(vocabulary()["sentences"]) for _ in range(sentences))


def _person(rng: random.Random) -> tuple[str, str]:
    name = rng.choice(vocabulary()["people"])
    address = name.lower().replace(" ", ".").replace("'", "")
    return name, f"{name} <{address}@{rng.choice(vocabulary()['colleague_domains'])}>"


def _new() -> EmailMessage:
    msg = EmailMessage(policy=POLICY)
    msg["MIME-Version"] = "1.0"
    return msg


def plain(rng: random.Random) -> Template:
    name, sender = _person(rng)
    msg = _new()
    paragraphs = [_body(rng, rng.randint(2, 6)) for _ in range(rng.randint(2, 8))]
    msg.set_content("Hi,\r\n\r\n" + "\r\n\r\n".join(paragraphs) + f"\r\n\r\n{name}\r\n")
    return _template("plain", sender, rng.choice(vocabulary()["plain_subjects"]), msg, LargeParts())


def html(rng: random.Random) -> Template:
    name, sender = _person(rng)
    msg = _new()
    cells = "".join(
        f'<tr><td style="padding:8px;font-family:Arial">{_body(rng, 3)}</td></tr>'
        for _ in range(rng.randint(10, 45))
    )
    msg.set_content(
        f"<html><body><table>{cells}</table><p>{name}</p></body></html>", subtype="html"
    )
    return _template("html", sender, rng.choice(vocabulary()["plain_subjects"]), msg, LargeParts())


def newsletter(rng: random.Random) -> Template:
    words = vocabulary()
    title = rng.choice(words["newsletter_names"])
    topics = rng.sample(words["newsletter_topics"], 4)
    sections = [
        f'<h2 style="font:bold 20px Georgia">{topic}</h2><img src="https://cdn.news.example/'
        f'{rng.randrange(10**6)}.jpg" width="600"><p style="font:15px/1.5 Georgia">'
        f"{_body(rng, 30)}</p>"
        for topic in topics
    ]
    msg = _new()
    msg.set_content("\r\n\r\n".join(f"{topic}\r\n{_body(rng, 25)}" for topic in topics))
    footer = '<p><a href="https://news.example/unsubscribe">Unsubscribe</a></p>'
    msg.add_alternative(f"<html><body>{''.join(sections)}{footer}</body></html>", subtype="html")
    sender = f"{title} <hello@{title.lower().replace(' ', '')}.example>"
    return _template("newsletter", sender, f"{title}: {topics[0]}", msg, LargeParts())


def notification(rng: random.Random) -> Template:
    service, address = rng.choice(vocabulary()["services"])
    subject = rng.choice(vocabulary()["notification_subjects"]).format(service=service)
    text = f"{subject}\r\n\r\n{_body(rng, 4)}\r\n\r\nOpen {service}: https://{service.lower()}.example/\r\n"
    msg = _new()
    msg.set_content(text)
    padding = "".join(
        f"<p style='color:#555'>{_body(rng, 2)}</p>" for _ in range(rng.randint(3, 12))
    )
    msg.add_alternative(f"<html><body><h1>{subject}</h1>{padding}</body></html>", subtype="html")
    return _template("notification", f"{service} <{address}>", subject, msg, LargeParts())


def with_attachment(rng: random.Random, seed: int) -> Template:
    name, sender = _person(rng)
    attachment = rng.choice(attachment_pool(seed))
    msg = _new()
    msg.set_content(rng.choice(vocabulary()["attachment_texts"]).format(person=name))
    parts = LargeParts()
    parts.attach(msg, attachment.data, attachment.mimetype, attachment.filename)
    subject = rng.choice(vocabulary()["attachment_subjects"])
    return _template("attachment", sender, subject, msg, parts)


@functools.cache
def templates(seed: int) -> dict[str, tuple[Template, ...]]:
    """TEMPLATES[kind] templates of each kind, the same for the same seed."""
    rng = random.Random(seed)
    makers = {"plain": plain, "html": html, "newsletter": newsletter, "notification": notification}
    built = {
        kind: tuple(make(rng) for _ in range(TEMPLATES[kind])) for kind, make in makers.items()
    }
    built["attachment"] = tuple(with_attachment(rng, seed) for _ in range(TEMPLATES["attachment"]))
    return built
