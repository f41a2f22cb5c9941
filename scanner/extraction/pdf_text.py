"""What a PDF holds for the finder: its embedded e-invoice XML (Factur-X/ZUGFeRD/XRechnung) and
the text of its first pages, read with pypdf within the scan's limits.

One PdfReader serves both, so a PDF is parsed once; `facturx.get_xml_from_pdf` would parse it a
second time, load every embedded file (photos, appendices) whatever its name, and parse the XML
with entity resolution on. pypdf 7's Configuration caps every decompression filter's output, so
`limits.max_decompressed_bytes` bounds each stream against compression bombs. A PDF pypdf cannot
read is Unreadable, whatever the exception: hostile or truncated files raise far more than
PyPdfError from deep inside the parser, and one bad attachment must not cost the mail.
"""

from __future__ import annotations

import logging
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO

from pypdf import PdfReader, apply_configuration
from pypdf.errors import DependencyError, DeprecationError, PyPdfError

from scanner.extraction.record import Unreadable
from scanner.limits import ScanLimits

# pypdf logs a warning for every flaw of a broken PDF, a line per hostile attachment in the
# worker's log; the finder reports such a PDF as unreadable itself.
logging.getLogger("pypdf").setLevel(logging.ERROR)
# The names the Factur-X, ZUGFeRD (1 and 2) and XRechnung specifications give the invoice XML.
_E_INVOICE_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml", "order-x.xml")
# What pypdf raises on malformed input besides its own errors (found by fuzzing real PDFs).
_PDF_ERRORS = (
    PyPdfError,
    DeprecationError,  # an abbreviated filter name pypdf 7 no longer reads
    DependencyError,  # an encryption that needs a library not installed
    ValueError,  # with UnicodeError and binascii.Error
    LookupError,
    TypeError,
    AttributeError,
    AssertionError,
    ArithmeticError,
    RuntimeError,  # with RecursionError, and NotImplementedError for an unknown filter
    EOFError,
    struct.error,
    zlib.error,
)
# The longest text worth reading from one PDF (see fields.MAX_TEXT_CHARS).
_MAX_TEXT_CHARS = 60_000


def looks_like_pdf(filename: str, content_type: str, payload: bytes = b"") -> bool:
    """Whether a part is a PDF by its type, name or first bytes."""
    return (
        content_type in {"application/pdf", "application/x-pdf"}
        or filename.lower().endswith(".pdf")
        or payload[:1024].lstrip().startswith(b"%PDF")
    )


class PdfDocument:
    """A PDF opened once; each reading is bounded by `limits` and raises only Unreadable."""

    def __init__(self, payload: bytes, limits: ScanLimits) -> None:
        self._limits = limits
        with self._guarded("not a readable PDF"):
            self._reader = PdfReader(BytesIO(payload), strict=False)
            if self._reader.is_encrypted and not self._reader.decrypt(""):
                raise Unreadable("encrypted PDF")

    def e_invoice_xml(self) -> bytes | None:
        """The embedded e-invoice XML, None when the PDF has none (an ordinary PDF). The names the
        specifications give come first; another embedded .xml is the second choice."""
        with self._guarded("broken embedded files"):
            named = [a for a in self._reader.attachment_list if a.name.lower().endswith(".xml")]
            named.sort(key=lambda attachment: attachment.name.lower() not in _E_INVOICE_NAMES)
            if not named:
                return None
            # One XML is read: a Factur-X PDF has one, and each costs a decompression.
            size = named[0].size
            if size is not None and size > self._limits.max_decompressed_bytes:
                raise Unreadable(f"embedded {named[0].name} of {size} bytes, over the limit")
            return named[0].content

    def text(self) -> str:
        """The text of the first `limits.max_pdf_pages` pages ("" for a scanned image)."""
        parts: list[str] = []
        length = 0
        with self._guarded("unreadable page text"):
            for page in self._reader.pages[: self._limits.max_pdf_pages]:
                part = page.extract_text() or ""
                parts.append(part)
                length += len(part)
                if length > _MAX_TEXT_CHARS:
                    break
        return "\n".join(parts)

    @contextmanager
    def _guarded(self, reason: str) -> Iterator[None]:
        limit = self._limits.max_decompressed_bytes
        try:
            with apply_configuration(
                zlib_maximum_output_length=limit,
                lzw_maximum_output_length=limit,
                run_length_maximum_output_length=limit,
                jbig2_maximum_output_length=limit,
                brotli_maximum_output_length=limit,
                array_based_stream_maximum_output_length=limit,
                maximum_declared_stream_length=limit,
                image_maximum_buffer_size=limit,
                stream_decoding_work_maximum_length=limit * 4,
            ):
                yield
        except Unreadable:
            raise
        except _PDF_ERRORS as exc:
            raise Unreadable(f"{reason} ({type(exc).__name__})") from None
