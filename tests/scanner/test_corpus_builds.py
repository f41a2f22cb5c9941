"""The test corpus: its shape, its well-formedness, its ground truth's cross-checks, the scorer."""

from __future__ import annotations

import dataclasses
import datetime
import email
import time
from collections import Counter
from decimal import Decimal
from email import policy
from email.message import EmailMessage

import pytest

from models.enums import InvoiceSource
from tests.support.corpus import CorpusMail, ExpectedInvoice, build_corpus
from tests.support.corpus.model import CATEGORIES, LANGUAGES, SOURCES
from tests.support.corpus.samples import KNOWN_DISAGREEMENTS, fx_stems, fx_truth, ubl_file_truth
from tests.support.corpus.score import score

FIRST_DAY, LAST_DAY = datetime.date(2026, 6, 1), datetime.date(2026, 11, 20)
NO_MESSAGE_ID = {"es-hostile-no-message-id"}
BAD_DATE = {"de-hostile-bad-date-broken-base64"}


@pytest.fixture(scope="module")
def corpus() -> list[CorpusMail]:
    return build_corpus()


@pytest.fixture(scope="module")
def messages(corpus: list[CorpusMail]) -> dict[str, EmailMessage]:
    """Every mail parsed once: the photos and the 25 MB attachment make parsing cost a second."""
    parsed = {}
    for mail in corpus:
        msg = email.message_from_bytes(mail.raw, policy=policy.default)
        assert isinstance(msg, EmailMessage), mail.name
        parsed[mail.name] = msg
    return parsed


def test_size_and_categories(corpus: list[CorpusMail]) -> None:
    counts = Counter(mail.category for mail in corpus)
    assert len(corpus) >= 150
    assert counts["not_invoice"] >= 60
    assert set(counts) == set(CATEGORIES)
    assert len({mail.name for mail in corpus}) == len(corpus)


def test_ground_truth_fits_the_category(corpus: list[CorpusMail]) -> None:
    for mail in corpus:
        if mail.category == "invoice":
            assert mail.expected and not mail.unreadable, mail.name
        elif mail.category == "not_invoice":
            assert not mail.expected and not mail.unreadable, mail.name
        if mail.unreadable:
            assert mail.category == "hostile" and not mail.expected, mail.name
        for invoice in mail.expected:
            assert invoice.source in SOURCES and invoice.source in set(InvoiceSource)
            assert invoice.vendor and invoice.invoice_number and invoice.currency, mail.name
            assert invoice.issue_date is not None and invoice.total_amount is not None
            assert isinstance(invoice.total_amount, Decimal), mail.name
            assert len(invoice.currency) == 3 and invoice.currency.isupper(), mail.name


def test_every_carrier_in_every_language(
    corpus: list[CorpusMail], messages: dict[str, EmailMessage]
) -> None:
    by_source: dict[str, set[str]] = {source: set() for source in SOURCES}
    per_source = Counter(inv.source for mail in corpus for inv in mail.expected)
    for mail in corpus:
        for invoice in mail.expected:
            by_source[invoice.source].add(mail.language)
    assert all(per_source[source] >= 10 for source in SOURCES), per_source
    assert all(languages == set(LANGUAGES) for languages in by_source.values()), by_source
    forwarded = [
        mail
        for mail in corpus
        if mail.expected
        and any(p.get_content_type() == "message/rfc822" for p in messages[mail.name].walk())
    ]
    assert len(forwarded) >= 10
    assert any(len(mail.expected) == 2 for mail in corpus)


def test_every_language_in_every_category(corpus: list[CorpusMail]) -> None:
    for category in CATEGORIES:
        languages = {mail.language for mail in corpus if mail.category == category}
        assert languages == set(LANGUAGES), category


def test_every_mail_parses_with_its_headers(
    corpus: list[CorpusMail], messages: dict[str, EmailMessage]
) -> None:
    for mail in corpus:
        assert isinstance(mail.raw, bytes)
        msg = messages[mail.name]
        for part in msg.walk():
            part.get_content_type(), part.get_filename()
        sender = msg["From"]
        assert sender.addresses and sender.addresses[0].display_name, mail.name
        assert msg["To"] and msg["Subject"], mail.name
        assert (msg["Message-ID"] is None) == (mail.name in NO_MESSAGE_ID), mail.name
        if mail.name in BAD_DATE:
            assert msg["Date"].datetime is None
        else:
            assert FIRST_DAY <= msg["Date"].datetime.date() <= LAST_DAY, mail.name


def test_expected_attachments_are_in_the_mail(
    corpus: list[CorpusMail], messages: dict[str, EmailMessage]
) -> None:
    for mail in corpus:
        if mail.unreadable:
            continue
        names = {part.get_filename() for part in messages[mail.name].walk()}
        for invoice in mail.expected:
            if invoice.attachment_name is not None:
                assert invoice.attachment_name in names, (mail.name, invoice.attachment_name)


def test_photos_dominate_the_bytes(corpus: list[CorpusMail]) -> None:
    invoice_bytes = sum(len(mail.raw) for mail in corpus if mail.category == "invoice")
    other_bytes = sum(len(mail.raw) for mail in corpus if mail.category != "invoice")
    assert other_bytes > 2 * invoice_bytes


def test_facturx_samples_agree_with_their_ubl_twins() -> None:
    """The real Factur-X PDFs' truth (from their embedded XML) against the UBL files of the same
    invoices, made from the CII folder. Every disagreement must be a known one, and every known
    one must still occur."""
    stems = fx_stems()
    assert len(stems) == 26
    disagreements = {}
    for stem in stems:
        pdf, ubl = fx_truth(stem), ubl_file_truth(stem)
        for field in dataclasses.fields(pdf):
            mine, theirs = getattr(pdf, field.name), getattr(ubl, field.name)
            if field.name == "vendor":
                mine, theirs = str(mine).casefold(), str(theirs).casefold()
            if mine != theirs:
                disagreements[(stem, field.name)] = (mine, theirs)
    assert disagreements == KNOWN_DISAGREEMENTS


def test_build_is_deterministic_and_fast(corpus: list[CorpusMail]) -> None:
    started = time.perf_counter()
    again = build_corpus.__wrapped__()
    elapsed = time.perf_counter() - started
    assert [(m.name, m.raw, m.expected) for m in again] == [
        (m.name, m.raw, m.expected) for m in corpus
    ]
    assert elapsed < 5, f"building the corpus took {elapsed:.1f} s"


def test_score_of_the_ground_truth_is_perfect(corpus: list[CorpusMail]) -> None:
    truth = {mail.raw: list(mail.expected) for mail in corpus}
    result = score(corpus, lambda raw: truth[raw])
    assert result.precision == result.recall == result.f1 == 1.0
    assert result.field_accuracy == 1.0 and not result.mismatches
    assert result.missed_errors == []


def test_score_counts_misses_and_wrong_fields(corpus: list[CorpusMail]) -> None:
    invoices = [mail for mail in corpus if mail.category == "invoice"][:10]
    wrong_total = dataclasses.replace(invoices[0].expected[0], total_amount=Decimal("1"))
    extra = dataclasses.replace(invoices[1].expected[0], attachment_name="other.pdf")
    found = {
        invoices[0].raw: [wrong_total],
        invoices[1].raw: [*invoices[1].expected, extra],
        invoices[2].raw: [],
    }

    def finder(raw: bytes) -> list[ExpectedInvoice]:
        if raw == invoices[3].raw:
            raise ValueError("unreadable")
        return found.get(raw, list(next(m.expected for m in invoices if m.raw == raw)))

    result = score(invoices, finder)
    assert len(result.false_positives) == 1 and len(result.false_negatives) == 2
    assert result.errors == [f"{invoices[3].name}: ValueError: unreadable"]
    assert result.fields["total_amount"].correct == result.fields["total_amount"].expected - 3
    assert any("total_amount" in line for line in result.mismatches)
    assert result.precision < 1.0 and result.recall < 1.0
