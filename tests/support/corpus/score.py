"""Scoring a finder against the corpus: detection precision and recall, and field accuracy.

Within one mail, found and expected invoices are paired by attachment name (None: the body). A
found invoice without an expected partner is a false positive, an expected one without a found
partner a false negative. Fields are compared only within pairs:

* a field counts as expected when its expected value is not None, over all expected invoices
  (so a missed invoice costs recall on each of its fields);
* a field counts as extracted when the found value is not None, in paired invoices; a value
  where None was expected is a precision miss;
* vendors match case-insensitively with whitespace collapsed, amounts as decimals (119.00 ==
  119), everything else by plain equality.

A `found_of` that raises is recorded in `errors` and treated as finding nothing; the mails
meant to be unreadable are expected to raise or find nothing, and are listed in
`missed_errors` when they yield invoices.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from tests.support.corpus.model import CorpusMail, ExpectedInvoice

FIELDS = (
    "source",
    "vendor",
    "invoice_number",
    "issue_date",
    "due_date",
    "total_amount",
    "currency",
)


class Found(Protocol):
    """What a finder reports per invoice (the scanner's FoundInvoice has these and more)."""

    @property
    def source(self) -> Any: ...
    @property
    def attachment_name(self) -> str | None: ...
    @property
    def vendor(self) -> str | None: ...
    @property
    def invoice_number(self) -> str | None: ...
    @property
    def issue_date(self) -> Any: ...
    @property
    def due_date(self) -> Any: ...
    @property
    def total_amount(self) -> Any: ...
    @property
    def currency(self) -> str | None: ...


@dataclass
class FieldScore:
    """One field's counts: `correct` of `extracted` values, `expected` values to find."""

    precision: float = 0.0
    recall: float = 0.0
    correct: int = 0
    extracted: int = 0
    expected: int = 0


@dataclass
class Score:
    """Detection and field figures for one run, with the mismatches behind them.

    `precision`, `recall` and `f1` are about detection (which invoices were found at all);
    `field_accuracy` is correct fields over expected non-null fields of all expected invoices.
    """

    precision: float = 0.0
    recall: float = 0.0
    f1: float = 0.0
    field_accuracy: float = 0.0
    fields: dict[str, FieldScore] = field(default_factory=dict)
    true_positives: int = 0
    false_positives: list[str] = field(default_factory=list)
    false_negatives: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    missed_errors: list[str] = field(default_factory=list)


def _ratio(part: int, whole: int) -> float:
    # Nothing claimed is nothing wrong, and nothing to find is nothing missed.
    return part / whole if whole else 1.0


def _normal_vendor(value: object) -> str:
    return re.sub(r"\s+", " ", str(value)).strip().casefold()


def _amount(value: object) -> Decimal | None:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def same(name: str, expected: object, found: object) -> bool:
    """Whether `found` is right for the field `name` whose ground truth is `expected`."""
    if expected is None or found is None:
        return expected is None and found is None
    if name == "vendor":
        return _normal_vendor(expected) == _normal_vendor(found)
    if name == "total_amount":
        return _amount(found) == _amount(expected)
    if name in ("source", "currency"):
        return str(found) == str(expected)
    return bool(found == expected)


def _pair(
    expected: Sequence[ExpectedInvoice], found: Sequence[Found]
) -> tuple[list[tuple[ExpectedInvoice, Found]], list[ExpectedInvoice], list[Found]]:
    pairs, missing, extra = [], [], list(found)
    for invoice in expected:
        match = next((f for f in extra if f.attachment_name == invoice.attachment_name), None)
        if match is None:
            missing.append(invoice)
        else:
            extra.remove(match)
            pairs.append((invoice, match))
    return pairs, missing, extra


def _label(mail: CorpusMail, attachment_name: str | None) -> str:
    return f"{mail.name} [{attachment_name or 'body'}]"


def _run(
    mail: CorpusMail, found_of: Callable[[bytes], Sequence[Found]], score: Score
) -> list[Found]:
    try:
        found = list(found_of(mail.raw))
    except Exception as error:  # the finder's failure is a result here, not a crash
        score.errors.append(f"{mail.name}: {type(error).__name__}: {error}")
        return []
    if mail.unreadable and found:
        score.missed_errors.append(mail.name)
    return found


def score(corpus: list[CorpusMail], found_of: Callable[[bytes], Sequence[Found]]) -> Score:
    """Run `found_of` on every mail's bytes and score what it finds against the ground truth."""
    result = Score(fields={name: FieldScore() for name in FIELDS})
    for mail in corpus:
        pairs, missing, extra = _pair(mail.expected, _run(mail, found_of, result))
        result.true_positives += len(pairs)
        result.false_negatives += [_label(mail, e.attachment_name) for e in missing]
        result.false_positives += [_label(mail, f.attachment_name) for f in extra]
        for invoice in mail.expected:
            for name in FIELDS:
                result.fields[name].expected += getattr(invoice, name) is not None
        for invoice, found in pairs:
            for name in FIELDS:
                want, got = getattr(invoice, name), getattr(found, name, None)
                counts = result.fields[name]
                counts.extracted += got is not None
                if same(name, want, got):
                    counts.correct += want is not None
                else:
                    label = _label(mail, invoice.attachment_name)
                    result.mismatches.append(f"{label} {name}: expected {want!r}, found {got!r}")
    _finish(result)
    return result


def _finish(result: Score) -> None:
    positives = result.true_positives
    result.precision = _ratio(positives, positives + len(result.false_positives))
    result.recall = _ratio(positives, positives + len(result.false_negatives))
    p, r = result.precision, result.recall
    result.f1 = 2 * p * r / (p + r) if p + r else 0.0
    for counts in result.fields.values():
        counts.precision = _ratio(counts.correct, counts.extracted)
        counts.recall = _ratio(counts.correct, counts.expected)
    correct = sum(counts.correct for counts in result.fields.values())
    expected = sum(counts.expected for counts in result.fields.values())
    result.field_accuracy = _ratio(correct, expected)
