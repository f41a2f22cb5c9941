"""The scanner against the corpus's ground truth: detection and every field, and the hostile
mails it must report as unreadable."""

from __future__ import annotations

from scanner.invoices import FoundInvoice, find_invoices
from scanner.messages import UnreadableMessage, parse_message
from tests.support.corpus import CorpusMail, build_corpus
from tests.support.corpus.score import FIELDS, score

# The corpus scores 1.000 in every figure; issue 12 asks that it stays there.
MIN_F1 = MIN_FIELD_ACCURACY = 1.0


def found_of(raw: bytes) -> list[FoundInvoice]:
    return find_invoices(parse_message(raw)).invoices


def is_unreadable(mail: CorpusMail) -> bool:
    try:
        return bool(find_invoices(parse_message(mail.raw)).unreadable)
    except UnreadableMessage:
        return True


def test_detection_and_every_field_meet_their_targets() -> None:
    result = score(build_corpus(), found_of)
    assert result.f1 >= MIN_F1, result.mismatches
    assert result.field_accuracy >= MIN_FIELD_ACCURACY, result.mismatches
    low = {
        name: round(result.fields[name].recall, 3)
        for name in FIELDS
        if result.fields[name].recall < MIN_FIELD_ACCURACY
    }
    assert low == {}, result.mismatches


def test_exactly_the_unreadable_mails_are_reported_unreadable() -> None:
    corpus = build_corpus()
    reported = {mail.name for mail in corpus if is_unreadable(mail)}
    assert reported == {mail.name for mail in corpus if mail.unreadable}
    assert len(reported) >= 4
