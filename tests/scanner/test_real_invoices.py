"""Real invoices no one here wrote (tests/corpora), and invoices of fourteen languages in the
layouts vendors use (tests/support/layouts): detection and every field, on the text path (the
printed page) and the XML path, and a confidence that tells the doubtful fields."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from core.settings import Settings
from models.enums import InvoiceSource
from scanner.extraction.record import Confidence
from scanner.invoices import FoundInvoice
from tests.support.layouts import layout_documents
from tests.support.realdocs import (
    SCORED,
    RealScore,
    confidence_pairs,
    found_in,
    read_layout,
    real_documents,
    score,
)

MIN_DETECTION, MIN_FIELD, MIN_XML_FIELD = 0.97, 0.90, 0.99
THRESHOLD = Settings.model_fields["REVIEW_CONFIDENCE_THRESHOLD"].default


def accuracies(result: RealScore) -> dict[str, float]:
    return {name: round(result.fields[name].accuracy, 3) for name in SCORED}


def test_the_text_path_reads_real_invoices() -> None:
    result = score(real_documents(), lambda doc: found_in(doc, "text"))
    assert result.documents == 62
    assert result.detection >= MIN_DETECTION, result.misses
    low = {name: value for name, value in accuracies(result).items() if value < MIN_FIELD}
    assert low == {}, result.misses


def test_the_xml_path_stays_exact() -> None:
    result = score(real_documents(), lambda doc: found_in(doc, "xml"))
    assert result.detection == 1.0
    low = {name: value for name, value in accuracies(result).items() if value < MIN_XML_FIELD}
    assert low == {}, result.misses


def test_invoices_of_fourteen_languages_in_common_layouts() -> None:
    docs = layout_documents()
    assert {doc.language for doc in docs} == {
        "en",
        "de",
        "fr",
        "es",
        "nl",
        "it",
        "pt",
        "pl",
        "sv",
        "da",
        "no",
        "cs",
        "sk",
        "fi",
    }
    result = score(docs, lambda doc: found_in(doc, "text"))
    assert result.detection == 1.0, result.misses
    low = {name: value for name, value in accuracies(result).items() if value < MIN_FIELD}
    assert low == {}, result.misses


def test_low_confidence_fields_are_the_wrong_ones_more_often() -> None:
    """Over the real and the generated invoices, as printed and with their labels blotted out
    (a wording the vocabulary does not know): fields below the review threshold are wrong
    several times as often as those above it."""
    pairs = []
    for doc in (*real_documents(), *layout_documents()):
        for blot in (False, True):
            pairs += confidence_pairs(doc, read_layout(doc, blot_labels=blot))
    low = [right for confidence, right in pairs if confidence < THRESHOLD]
    high = [right for confidence, right in pairs if confidence >= THRESHOLD]
    wrong_low, wrong_high = low.count(False) / len(low), high.count(False) / len(high)
    assert len(low) >= 50 and len(high) >= 300
    assert wrong_low > 2 * wrong_high, (wrong_low, wrong_high)


def test_an_invoice_needs_review_when_a_field_is_missing_or_doubtful() -> None:
    sure = Confidence(0.9, 0.95, 0.9, None, 0.97, 0.9)
    found = FoundInvoice(
        "body",
        InvoiceSource.PDF,
        None,
        "Acme Ltd",
        "7",
        date(2026, 3, 5),
        None,
        Decimal("10.00"),
        "EUR",
        sure,
    )
    assert not found.needs_review(THRESHOLD)  # a receipt states no due date
    assert replace(found, vendor=None).needs_review(THRESHOLD)
    assert replace(found, confidence=replace(sure, vendor=0.4)).needs_review(THRESHOLD)
    assert replace(found, due_date=date(2026, 4, 4)).needs_review(THRESHOLD)  # no confidence
