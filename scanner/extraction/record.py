"""The fields every reader returns, whatever it read them from, with how sure it is of each."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import date
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Found[T]:
    """A value a reader found and its confidence, 0 (a guess) to 1 (read exactly)."""

    value: T
    confidence: float


@dataclass(frozen=True, slots=True)
class Confidence:
    """How sure the reader is of each field, 0..1; None where the field was not found."""

    vendor: float | None = None
    invoice_number: float | None = None
    issue_date: float | None = None
    due_date: float | None = None
    total_amount: float | None = None
    currency: float | None = None

    def as_dict(self) -> dict[str, float | None]:
        """The confidences by field name."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


# The fields of an invoice, as Confidence names them.
FIELD_NAMES = tuple(f.name for f in fields(Confidence))


@dataclass(frozen=True, slots=True)
class InvoiceFields:
    """The fields of one invoice as far as its source told them; None where it did not."""

    vendor: str | None = None
    invoice_number: str | None = None
    issue_date: date | None = None
    due_date: date | None = None
    total_amount: Decimal | None = None
    currency: str | None = None
    confidence: Confidence = field(default_factory=Confidence, compare=False)

    def or_else(self, other: InvoiceFields) -> InvoiceFields:
        """These fields, each missing one (with its confidence) taken from `other`."""
        taken = {
            name: (getattr(self, name), getattr(self.confidence, name))
            if _present(getattr(self, name))
            else (getattr(other, name), getattr(other.confidence, name))
            for name in FIELD_NAMES
        }
        return replace(
            self,
            **{name: value for name, (value, _) in taken.items()},
            confidence=Confidence(**{name: score for name, (_, score) in taken.items()}),
        )

    @classmethod
    def exact(cls, **values: object) -> InvoiceFields:
        """Fields read exactly (an e-invoice's XML): confidence 1 for each one present."""
        return cls(
            **values,  # type: ignore[arg-type]
            confidence=Confidence(
                **{name: 1.0 for name in FIELD_NAMES if _present(values.get(name))}
            ),
        )


def _present(value: object) -> bool:
    return value is not None and value != ""


class Unreadable(Exception):
    """A part that should hold an invoice but cannot be read; the message says why."""
