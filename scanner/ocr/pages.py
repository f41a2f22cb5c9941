"""Page images to read: a PDF's pages rendered with PDFium (poppler's pdftoppm when PDFium
refuses the file), or an image's frames opened with Pillow, each refused before its pixels are
decoded when it is larger than the limit.

Runs in the OCR child (`scanner.ocr.child`): decoding hostile images is C code too. Pillow reads
an image's size from its header without decoding it, so a decompression bomb (a 60,000 x 60,000
PNG of a few KB) or a 20,000 x 20,000 TIFF is refused by its size; `Image.MAX_IMAGE_PIXELS` is set
to the same limit as a second guard on every path that decodes.
"""

from __future__ import annotations

import io
import resource
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageOps, ImageSequence

from scanner.extraction.record import Unreadable

# Pages are rendered at this resolution: enough for Tesseract on an invoice's 8-10 pt print
# (its models want letters about 20-30 pixels high), and a fifth of 450 dpi's pixels and time.
DPI = 200
POINTS_PER_INCH = 72
# An image that says less (or something absurd) is taken to be a scan at this resolution.
_MIN_DPI, _MAX_DPI = 50, 1200
# What an image attachment may be (a phone's multi-picture JPEG opens as JPEG).
IMAGE_FORMATS = ("JPEG", "PNG", "TIFF", "WEBP")
# pdftoppm's time for a document, as wall clock and as CPU seconds: the CPU limit is the
# kernel's, so it holds even when the parent kills this child and pdftoppm is left behind. Its
# memory is this child's address-space limit, which it inherits.
_POPPLER_SECONDS = 30


@dataclass(slots=True)
class PageImage:
    """One page as a greyscale image, and how many points one of its pixels is."""

    image: Image.Image
    points_per_pixel: float


def pdf_pages(payload: bytes, max_pages: int, max_pixels: int) -> Iterator[PageImage]:
    """The first `max_pages` pages of a PDF rendered at DPI (less for a page so large that DPI
    would pass `max_pixels`)."""
    refused: str | None = None
    try:
        document = pdfium.PdfDocument(payload)
    except pdfium.PdfiumError as exc:
        refused = str(exc)
    if refused is not None:
        yield from poppler_pages(payload, max_pages, max_pixels, refused=refused)
        return
    try:
        for index in range(min(max_pages, len(document))):
            page = document[index]
            try:
                width, height = page.get_size()
                scale = DPI / POINTS_PER_INCH
                area = max(width * height, 1.0) * scale * scale
                if area > max_pixels:
                    scale *= (max_pixels / area) ** 0.5
                image = page.render(scale=scale, grayscale=True).to_pil().convert("L")
            finally:
                page.close()
            yield PageImage(image, 1 / scale)
    except pdfium.PdfiumError as exc:
        raise Unreadable(f"PDF page not rendered ({exc})") from None
    finally:
        document.close()


def poppler_pages(
    payload: bytes, max_pages: int, max_pixels: int, *, refused: str
) -> Iterator[PageImage]:
    """The pages as poppler's pdftoppm renders them at DPI, for a PDF that PDFium `refused`:
    another parser reads some damaged files PDFium does not. Unreadable when poppler is not
    installed or fails too."""
    tool = shutil.which("pdftoppm")
    if tool is None:
        raise Unreadable(f"not a readable PDF ({refused})")
    with tempfile.TemporaryDirectory(prefix="invoicescan-poppler-") as folder:
        command = [tool, "-r", str(DPI), "-gray", "-png", "-f", "1", "-l", str(max_pages)]
        try:
            subprocess.run(
                [*command, "-", str(Path(folder) / "page")],
                input=payload,
                capture_output=True,
                timeout=_POPPLER_SECONDS,
                check=True,
                preexec_fn=_limit_cpu,
            )
        except (subprocess.SubprocessError, OSError):
            raise Unreadable(f"not a readable PDF ({refused}; poppler failed too)") from None
        rendered = sorted(Path(folder).glob("page*.png"))  # page-1.png ... (zero-padded)
        if not rendered:
            raise Unreadable(f"not a readable PDF ({refused}; poppler rendered no page)")
        for path in rendered:
            for page in image_pages(path.read_bytes(), 1, max_pixels):
                yield PageImage(page.image, POINTS_PER_INCH / DPI)


def _limit_cpu() -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (_POPPLER_SECONDS, _POPPLER_SECONDS))


def image_pages(payload: bytes, max_pages: int, max_pixels: int) -> Iterator[PageImage]:
    """The first `max_pages` frames of an image (a multi-page TIFF has several), upright as its
    EXIF orientation says, refused when a frame has more than `max_pixels` pixels."""
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Only the formats OCR reads: Pillow would otherwise try every parser it has (EPS
            # among them, which runs Ghostscript where installed) on hostile bytes.
            image = Image.open(io.BytesIO(payload), formats=IMAGE_FORMATS)
            for index, frame in enumerate(ImageSequence.Iterator(image)):
                if index >= max_pages:
                    break
                width, height = frame.size
                if width * height > max_pixels:
                    raise Unreadable(
                        f"image of {width} x {height} pixels, over the limit of {max_pixels}"
                    )
                upright = ImageOps.exif_transpose(frame.convert("L"))
                yield PageImage(upright, POINTS_PER_INCH / _dpi(image))
    except Unreadable:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Unreadable(f"image over the limit of {max_pixels} pixels") from None
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
        # UnidentifiedImageError is an OSError; a truncated or corrupt stream raises the others.
        raise Unreadable(f"not a readable image ({type(exc).__name__})") from None


def _dpi(image: Image.Image) -> float:
    """The image's resolution as it states it, else DPI."""
    stated = image.info.get("dpi")
    try:
        dpi = float(stated[0]) if stated else 0.0
    except (TypeError, ValueError, IndexError):
        dpi = 0.0
    return dpi if _MIN_DPI <= dpi <= _MAX_DPI else DPI
