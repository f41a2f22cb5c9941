"""PDFium reads in a process of its own: a PDF that would take the worker's memory or time is
unreadable, the process that read it is replaced, and the next PDF is read as before."""

from __future__ import annotations

import os
import signal
import zlib

import pytest

from scanner.extraction import pdf_sandbox
from scanner.extraction.pdf_text import PdfDocument
from scanner.extraction.record import Unreadable
from scanner.invoices import find_invoices
from scanner.limits import DEFAULT_LIMITS, ScanLimits
from tests.scanner.test_extraction_pdf import DE, make_pdf, message_with
from tests.support.pdfs import pdf_of

TEXT = b"BT /F1 12 Tf 72 720 Td (Invoice No. 12 Total 12.00 EUR) Tj ET\n"


def flate(dictionary: bytes, data: bytes) -> bytes:
    packed = zlib.compress(data, 9)
    return (
        b"<< %s /Filter /FlateDecode /Length %d >>\nstream\n"
        % (
            dictionary,
            len(packed),
        )
        + packed
        + b"\nendstream"
    )


def forms_drawing_forms(depth: int, fan_out: int) -> bytes:
    """A page that draws a form that draws the next one `fan_out` times, `depth` deep: a file
    of two kilobytes that PDFium expands to fan_out ** depth drawings."""
    forms = []
    for level in range(depth):
        number = 6 + level
        if level < depth - 1:
            resources = b"/XObject << /X %d 0 R >>" % (number + 1)
            content = b"/X Do\n" * fan_out
        else:
            resources, content = b"", b"0 0 1 1 re f\n"
        forms.append(
            flate(
                b"/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << %s >>"
                % resources,
                content,
            )
        )
    return pdf_of(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> /XObject << /X 6 0 R >> >> >>",
            flate(b"", TEXT + b"/X Do\n"),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            *forms,
        ]
    )


def test_a_pdf_that_takes_too_much_memory_is_unreadable_and_the_next_is_read() -> None:
    hostile = forms_drawing_forms(depth=8, fan_out=10)
    assert len(hostile) < 4000
    limits = ScanLimits(max_pdf_reader_bytes=512 * 1024 * 1024)
    with pytest.raises(Unreadable, match="ran out of memory or crashed"):
        PdfDocument(hostile, limits).layout()
    layout = PdfDocument(make_pdf(DE), limits).layout()
    assert "Rechnungsnummer: R0018823941" in layout.lines


def test_a_pdf_that_takes_too_long_is_unreadable_and_the_next_is_read() -> None:
    slow = forms_drawing_forms(depth=6, fan_out=10)  # a million drawings: about half a second
    limits = ScanLimits(max_pdf_seconds=0.1)
    findings = find_invoices(message_with(("invoice.pdf", slow), subject="Invoice 1"), limits)
    assert findings.invoices == []
    assert findings.unreadable == ["invoice.pdf: PDF not read within 0.1 s"]
    assert PdfDocument(make_pdf(DE), DEFAULT_LIMITS).layout().rows


def test_a_reader_killed_between_pdfs_is_replaced() -> None:
    PdfDocument(make_pdf(DE), DEFAULT_LIMITS).layout()
    child = pdf_sandbox._child
    assert child is not None and child.process.poll() is None
    os.kill(child.process.pid, signal.SIGKILL)
    child.process.wait()
    assert PdfDocument(make_pdf(DE), DEFAULT_LIMITS).layout().rows
    assert pdf_sandbox._child is not None and pdf_sandbox._child is not child
