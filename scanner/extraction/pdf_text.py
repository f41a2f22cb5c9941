"""What a PDF holds for the finder: its embedded e-invoice XML (Factur-X/ZUGFeRD/XRechnung) and
the layout of its first pages (words with their positions), within the scan's limits.

pypdf opens the PDF: it reads the embedded XML (`facturx.get_xml_from_pdf` would parse the PDF
a second time, load every embedded file whatever its name, and parse the XML with entity
resolution on), and it guards the layout's reading. pypdf 7's Configuration caps every
decompression filter's output, so `limits.max_decompressed_bytes` bounds each stream against
compression bombs. PDFium (`pdf_words`), which reads the words and their boxes, has no such
limit, so pypdf first decodes the streams PDFium reads for a page's text (its contents, form
XObjects, fonts), bounded per stream and in all; and PDFium itself runs in a child process held
to an address space and a time limit (`pdf_sandbox`), against what the guard does not foresee.
A PDF that cannot be read is Unreadable, whatever the exception: hostile or truncated files
raise far more than PyPdfError from deep inside the parser, and one bad attachment must not
cost the mail.
"""

from __future__ import annotations

import logging
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO

from pypdf import PageObject, PdfReader, apply_configuration
from pypdf.errors import DependencyError, DeprecationError, PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

from scanner.extraction.layout import MAX_TEXT_CHARS, Layout, Row, layout_of_text, rows_from_words
from scanner.extraction.pdf_sandbox import PdfiumRefused, read_page_words
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
# How deep forms and Type 3 fonts may nest resources before the guard stops following them.
_MAX_RESOURCE_DEPTH = 8
_FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")


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
        self._payload = payload
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
        """The text of the first `limits.max_pdf_pages` pages as pypdf extracts it, without
        positions ("" for a scanned image): the reading before layouts, kept as the fallback
        for a PDF that PDFium refuses and for the benchmarks' side-by-side measure."""
        parts: list[str] = []
        length = 0
        with self._guarded("unreadable page text"):
            for page in self._reader.pages[: self._limits.max_pdf_pages]:
                part = page.extract_text() or ""
                parts.append(part)
                length += len(part)
                if length > MAX_TEXT_CHARS:
                    break
        return "\n".join(parts)

    def layout(self) -> Layout:
        """The words of the first `limits.max_pdf_pages` pages as rows of cells, with positions
        (no rows for a scanned image). Each page's streams are decoded within the limits first."""
        with self._guarded("unreadable page text"):
            pages = self._reader.pages[: self._limits.max_pdf_pages]
            budget = self._limits.max_decompressed_bytes
            seen: set[int] = set()
            for page in pages:
                budget -= _decoded_size(page, seen, budget)
        try:
            read = read_page_words(
                self._payload,
                len(pages),
                MAX_TEXT_CHARS,
                self._limits.max_pdf_seconds,
                self._limits.max_pdf_reader_bytes,
            )
        except PdfiumRefused:
            return layout_of_text(self.text())  # pypdf reads what PDFium refuses
        rows: list[Row] = []
        for index, words in enumerate(read.pages):
            rows.extend(rows_from_words(words, index))
        return Layout(rows, read.sizes)

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


def _decoded_size(page: PageObject, seen: set[int], budget: int) -> int:
    """The bytes of every stream PDFium reads for `page`'s text, decoded by pypdf within its
    per-stream limit; raises Unreadable when they pass `budget` in all. Streams in `seen` (a
    font shared by all pages) are not decoded again."""
    total = 0
    for stream in _text_streams(page, seen):
        total += len(stream.get_data())
        if total > budget:
            raise Unreadable(f"page streams decompress to over {budget} bytes")
    return total


def _text_streams(page: PageObject, seen: set[int]) -> Iterator[StreamObject]:
    """The page's content streams, and those of the forms and fonts its resources name."""
    yield from _streams(page.get("/Contents"), seen)
    yield from _resource_streams(page.get("/Resources"), seen, 0)


def _resource_streams(resources: object, seen: set[int], depth: int) -> Iterator[StreamObject]:
    resources = _resolved(resources)
    if not isinstance(resources, DictionaryObject) or depth > _MAX_RESOURCE_DEPTH:
        return
    for xobject in _values(resources.get("/XObject")):
        form = _resolved(xobject)
        if isinstance(form, StreamObject) and form.get("/Subtype") == "/Form":
            yield from _streams(xobject, seen)
            yield from _resource_streams(form.get("/Resources"), seen, depth + 1)
    for font_ref in _values(resources.get("/Font")):
        font = _resolved(font_ref)
        if not isinstance(font, DictionaryObject):
            continue
        yield from _streams(font.get("/ToUnicode"), seen)
        for descendant in [font, *(_resolved(d) for d in _values(font.get("/DescendantFonts")))]:
            descriptor = (
                _resolved(descendant.get("/FontDescriptor"))
                if isinstance(descendant, DictionaryObject)
                else None
            )
            if isinstance(descriptor, DictionaryObject):
                for key in _FONT_FILES:
                    yield from _streams(descriptor.get(key), seen)
        for glyph in _values(font.get("/CharProcs")):  # a Type 3 font draws its glyphs
            yield from _streams(glyph, seen)
        yield from _resource_streams(font.get("/Resources"), seen, depth + 1)


def _streams(value: object, seen: set[int]) -> Iterator[StreamObject]:
    """The streams `value` is or lists, each once."""
    items = _resolved(value)
    for item in items if isinstance(items, ArrayObject) else [value]:
        if isinstance(item, IndirectObject):
            if item.idnum in seen:
                continue
            seen.add(item.idnum)
        stream = _resolved(item)
        if isinstance(stream, StreamObject):
            yield stream


def _values(value: object) -> list[object]:
    resolved = _resolved(value)
    if isinstance(resolved, DictionaryObject):
        return [resolved.raw_get(key) for key in resolved]
    if isinstance(resolved, ArrayObject):
        return list(resolved)
    return []


def _resolved(value: object) -> object:
    return value.get_object() if isinstance(value, IndirectObject) else value
