"""How the field readers weigh evidence in the cases a first reading got wrong: a sender that
names the vendor, names that begin with letters beyond ASCII, a credit applied on an invoice,
days that are no payment term, a number repeated inside another, and the label files."""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from core.settings import settings
from models.enums import InvoiceSource
from scanner.extraction import labels
from scanner.extraction.date_fields import LETTER_DATE
from scanner.extraction.fields import TextHints, read_fields
from scanner.extraction.layout import layout_of_text
from scanner.extraction.numbers import find_number
from scanner.extraction.parties import is_company
from scanner.extraction.record import InvoiceFields
from scanner.invoices import FoundInvoice

ACME = (
    "Acme Widgets Ltd\n1 High Street\nLondon\nInvoice No. INV-1\nInvoice date 05/03/2026\n"
    "Total £120.00\n"
)


def read(text: str, sender: str = "", tld: str | None = None) -> InvoiceFields:
    return read_fields(layout_of_text(text), TextHints(tld=tld, sender=sender))


def test_the_vendors_own_sender_name_agrees_with_its_letterhead() -> None:
    own = read(ACME, '"Acme Widgets" <billing@acmewidgets.co.uk>', "uk")
    neutral = read(ACME, '"Your invoice" <noreply@mailer.example>', "uk")
    other = read(ACME, '"Paddle" <help@paddle.com>', "com")
    assert own.vendor == neutral.vendor == other.vendor == "Acme Widgets Ltd"
    assert own.confidence.vendor and neutral.confidence.vendor and other.confidence.vendor
    # The sender's own name backs the page's; another company's name is a rival.
    assert own.confidence.vendor > neutral.confidence.vendor > other.confidence.vendor
    assert own.confidence.vendor >= settings.REVIEW_CONFIDENCE_THRESHOLD


@pytest.mark.parametrize(
    "name",
    [
        "Škoda Transportation a.s.",
        "Čistírna Novák s.r.o.",
        "Žabka Polska Sp. z o.o.",
        "Øresund A/S",
    ],
)
def test_company_names_may_begin_with_any_capital_letter(name: str) -> None:
    assert is_company(name)
    text = f"{name}\nFaktura 2026-17\nDatum 05.03.2026\nCelkem 1 210,00 EUR\n"
    assert read(text).vendor == name


@pytest.mark.parametrize("place", ["Łódź", "Ålesund", "Český Krumlov", "Zürich"])
def test_a_letter_date_after_a_place_of_any_alphabet(place: str) -> None:
    text = f"Nowak Sp. z o.o.\nFaktura FV/7/2026\n{place}, 5 marca 2026\nDo zapłaty 123,00 zł\n"
    found = read(text, tld="pl")
    assert found.issue_date == date(2026, 3, 5)
    assert found.confidence.issue_date == LETTER_DATE


def test_a_credit_applied_on_an_invoice_keeps_its_total_positive() -> None:
    text = (
        "Acme Widgets Ltd\nInvoice No. INV-1\nInvoice date 05/03/2026\n"
        "Credit note CN-7 applied   -10.00\nAmount due 30.00 GBP\n"
    )
    assert read(text, tld="uk").total_amount == Decimal("30.00")


def test_a_credit_note_titled_so_is_negative() -> None:
    text = "Acme Widgets Ltd\nCredit note\nCredit note No. CN-7\nDate 05/03/2026\nTotal 30.00 GBP\n"
    found = read(text, tld="uk")
    assert (found.invoice_number, found.total_amount) == ("CN-7", Decimal("-30.00"))


@pytest.mark.parametrize(
    "line", ["Returns accepted within 30 days", "Delivery in 5 days", "Valid for 14 days"]
)
def test_days_that_are_no_payment_term_give_no_due_date(line: str) -> None:
    text = f"Acme Widgets Ltd\nReceipt No. R-1\nDate 05/03/2026\n{line}\nTotal 30.00 GBP\n"
    assert read(text, tld="uk").due_date is None


@pytest.mark.parametrize(
    ("line", "due"),
    [
        ("Payment terms: 30 days", date(2026, 4, 4)),
        ("Terms: Net 30", date(2026, 4, 4)),
        ("Payable within 14 days", date(2026, 3, 19)),
        ("Zahlbar innerhalb von 14 Tagen ohne Abzug", date(2026, 3, 19)),
    ],
)
def test_a_payment_term_gives_a_due_date_that_needs_no_review(line: str, due: date) -> None:
    text = (
        f"Acme Widgets Ltd\nInvoice No. INV-1\nInvoice date 05/03/2026\n{line}\nTotal 30.00 GBP\n"
    )
    found = read(text, '"Acme Widgets" <billing@acmewidgets.co.uk>', "uk")
    assert found.due_date == due
    invoice = FoundInvoice.of("invoice.pdf", InvoiceSource.PDF, "invoice.pdf", found)
    assert not invoice.needs_review(settings.REVIEW_CONFIDENCE_THRESHOLD), found.confidence


def test_a_number_inside_another_does_not_confirm_it() -> None:
    layout = layout_of_text("Acme Ltd\nInvoice 7\nTotal 5.00 EUR\n")  # a title's number: < 1
    alone = find_number(layout)
    inside = find_number(layout, subject="Your statement 2017", filename="scan-2017.pdf")
    repeated = find_number(layout, subject="Invoice 7", filename="invoice_7.pdf")
    assert alone and inside and repeated
    assert inside.confidence == alone.confidence < repeated.confidence


def test_every_language_file_is_loaded_with_every_concept() -> None:
    here = Path(labels.__file__).parent
    files = {path.stem for path in here.glob("*.toml")} - {"parties"}
    assert files == set(labels.LANGUAGES)
    for language in labels.LANGUAGES:
        data = tomllib.loads((here / f"{language}.toml").read_text(encoding="utf-8"))
        missing = {*labels.LABEL_CONCEPTS, *labels.HELPER_CONCEPTS} - set(data["label"])
        assert not missing, (language, missing)
