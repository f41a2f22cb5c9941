"""Scanned and photographed invoices made from the real PDFs of tests/corpora, and their reading.

Each real invoice (tests/support/realdocs.py, embedded files removed as on the text path, so no
attachment icon is drawn) is rendered with PDFium at a resolution of DPIS, turned a little as a
sheet lies on a scanner (and a few a quarter or half turn: a sideways scan), given Gaussian
noise and JPEG artefacts, and wrapped as a scanner or a phone would:
* an image-only PDF of its pages (Pillow's PDF writer, one JPEG per page), or
* a JPEG "photo" of its only page: only single-page invoices are photographed, since the total
  of a longer one is on a later page, which a photo of the first would not show.

Every page is rendered, not the first few: most multi-page invoices of the corpus state their
total on the last page (up to the sixth). Everything is drawn from a generator seeded with the
document's name, so a document is the same file on every run; the files are cached in a folder
the caller names (a session's temporary directory), keyed by what made them.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import multiprocessing
import os
import random
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy
import pypdfium2
from PIL import Image

from scanner.extraction.fields import TextHints
from scanner.invoices import FoundInvoice
from scanner.limits import DEFAULT_LIMITS
from tests.support.realdocs import (
    NEUTRAL_FILENAME,
    NEUTRAL_SENDER,
    NEUTRAL_SUBJECT,
    RealDoc,
    without_embedded_files,
)

DPIS = (150, 200, 300)
MAX_ANGLE = 3.0  # degrees either way: a sheet laid on the glass by hand
TURNED_SHARE = 0.1  # scanned a quarter or half turn round
PHOTO_SHARE = 0.6  # of the single-page invoices
NOISE_SIGMA = (3.0, 10.0)  # grey levels
JPEG_QUALITY = (50, 85)
PHOTO_FILENAME = "photo.jpg"  # neutral, like NEUTRAL_FILENAME: no number, no vendor
SEED = "issue-15"
# Changing how documents are made changes this, so a stale cache is never read.
_VERSION = "1"
# Pillow stamps a PDF with the time it is written; a fixed one keeps the bytes the same.
_PDF_DATE = time.strptime("2026-01-01", "%Y-%m-%d")


@dataclass(frozen=True)
class Degradation:
    """How one document is scanned."""

    dpi: int
    angle: float  # degrees, counter-clockwise, of the small skew
    turn: int  # 0, 90 or 180: a sideways or upside-down scan
    noise: float  # standard deviation of the Gaussian noise, in grey levels
    quality: int  # JPEG quality of the page images
    photo: bool  # a JPEG of the page rather than an image-only PDF
    seed: int  # of the noise

    def describe(self) -> str:
        turned = f"+{self.turn}" if self.turn else ""
        kind = "photo" if self.photo else "pdf"
        return (
            f"{kind} {self.dpi}dpi {self.angle:+.1f}deg{turned} noise {self.noise:.0f} "
            f"q{self.quality}"
        )


@dataclass(frozen=True)
class ScannedDoc:
    """A scanned real invoice: `truth` is the real document's, renamed after the scan."""

    truth: RealDoc
    original: str  # the name of the real PDF it was made from
    path: Path
    filename: str
    content_type: str
    pages: int
    made: Degradation

    @property
    def name(self) -> str:
        return self.truth.name


def degradation(doc: RealDoc, pages: int, dpi: int | None = None) -> Degradation:
    """The scan of `doc` (of `pages` pages), drawn from a generator seeded with its name;
    `dpi` forces the resolution (the benchmark's 200) and leaves the rest as it is."""
    rng = random.Random(f"{SEED}:{doc.source}:{doc.name}")
    drawn = rng.choice(DPIS)
    angle = round(rng.uniform(-MAX_ANGLE, MAX_ANGLE), 2)
    turn = rng.choice((90, 180)) if rng.random() < TURNED_SHARE else 0
    noise = round(rng.uniform(*NOISE_SIGMA), 1)
    quality = rng.randint(*JPEG_QUALITY)
    photo = pages == 1 and rng.random() < PHOTO_SHARE
    seed = rng.getrandbits(63)
    return Degradation(dpi or drawn, angle, turn, noise, quality, photo, seed)


def scanned_documents(
    docs: Iterable[RealDoc], folder: Path, dpi: int | None = None, processes: int = 2
) -> tuple[ScannedDoc, ...]:
    """`docs` scanned (see the module), their files in `folder`: made there in a pool of
    `processes`, or found there from an earlier call."""
    planned = [_plan(doc, folder, dpi) for doc in docs]
    jobs = [
        (pdf, scanned.made, scanned.path) for scanned, pdf in planned if not scanned.path.exists()
    ]
    if jobs:
        folder.mkdir(parents=True, exist_ok=True)
        with _pool(processes) as pool:
            list(pool.map(_make, *zip(*jobs, strict=True)))
    return tuple(scanned for scanned, _ in planned)


def _plan(doc: RealDoc, folder: Path, dpi: int | None) -> tuple[ScannedDoc, bytes]:
    pdf = doc.pdf  # its embedded files are removed where it is made, in the pool
    pages = len(pypdfium2.PdfDocument(pdf))
    made = degradation(doc, pages, dpi)
    key = hashlib.sha256(f"{_VERSION}:{made}".encode() + pdf).hexdigest()[:16]
    suffix = ".jpg" if made.photo else ".pdf"
    stem = doc.name.rsplit(".", 1)[0]
    name = f"{stem}@{made.dpi}dpi{suffix}"
    scanned = ScannedDoc(
        truth=replace(doc, name=name, pdf=b""),
        original=doc.name,
        path=folder / f"{key}-{name}",
        filename=PHOTO_FILENAME if made.photo else NEUTRAL_FILENAME,
        content_type="image/jpeg" if made.photo else "application/pdf",
        pages=pages,
        made=made,
    )
    return scanned, pdf


def _make(pdf: bytes, made: Degradation, path: Path) -> None:
    """Scan `pdf` as `made` says into `path` (written whole or not at all)."""
    noise = numpy.random.default_rng(made.seed)
    document = pypdfium2.PdfDocument(without_embedded_files(pdf))
    images = [_page_image(page, made, noise) for page in document]
    out = io.BytesIO()
    if made.photo:
        images[0].save(out, "JPEG", quality=made.quality)
    else:
        images[0].save(
            out,
            "PDF",
            save_all=True,
            append_images=images[1:],
            resolution=float(made.dpi),
            quality=made.quality,
            creationDate=_PDF_DATE,
            modDate=_PDF_DATE,
        )
    partial = path.with_suffix(".part")
    partial.write_bytes(out.getvalue())
    partial.rename(path)


def _page_image(
    page: pypdfium2.PdfPage, made: Degradation, noise: numpy.random.Generator
) -> Image.Image:
    # A scanner's PDF is grey; a phone's photo is in colour.
    image = page.render(scale=made.dpi / 72, grayscale=not made.photo).to_pil()
    image = image.convert("RGB" if made.photo else "L")
    if made.turn:
        turn = Image.Transpose.ROTATE_90 if made.turn == 90 else Image.Transpose.ROTATE_180
        image = image.transpose(turn)
    white = (255, 255, 255) if made.photo else 255
    image = image.rotate(
        made.angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=white
    )
    pixels = numpy.asarray(image, dtype=numpy.float32)
    pixels = pixels + noise.standard_normal(pixels.shape, dtype=numpy.float32) * made.noise
    # The JPEG artefacts come from the encoder, at made.quality, when the page is written.
    return Image.fromarray(numpy.clip(pixels, 0, 255).astype(numpy.uint8), image.mode)


def hints(doc: ScannedDoc) -> TextHints:
    """What the mail tells the reader about a scanned document: as on the text path, a neutral
    sender and subject, and the document's neutral file name."""
    return TextHints(NEUTRAL_SUBJECT, "example", doc.filename, NEUTRAL_SENDER)


@dataclass(frozen=True)
class Reading:
    """What reading one scanned document gave, and how long it took."""

    found: FoundInvoice | None
    seconds: float
    error: str | None = None  # the Unreadable's message, when it was refused


def read_scanned(doc: ScannedDoc) -> Reading:
    """Read `doc` with the OCR reader as the scanner reads an attachment of a neutral mail."""
    from scanner.extraction.record import Unreadable
    from scanner.ocr.reader import read_ocr_invoice

    payload = doc.path.read_bytes()
    started = time.perf_counter()
    try:
        found = read_ocr_invoice(
            payload, doc.filename, doc.content_type, hints(doc), DEFAULT_LIMITS
        )
    except Unreadable as error:
        return Reading(None, time.perf_counter() - started, str(error))
    return Reading(found, time.perf_counter() - started)


def read_all(
    docs: Iterable[ScannedDoc], processes: int, warm_up: bool = False
) -> dict[str, Reading]:
    """Every document of `docs` read in a pool of `processes`, each on one core, by name.
    `warm_up` first reads the first document once, unscored, so that loading the language
    models is not timed with it (exactly so in a pool of one)."""
    docs = list(docs)
    with _pool(processes) as pool:
        if warm_up and docs:
            pool.submit(read_scanned, docs[0]).result()
        readings = pool.map(read_scanned, docs)
        return {doc.name: reading for doc, reading in zip(docs, readings, strict=True)}


@contextlib.contextmanager
def _pool(processes: int) -> Iterator[ProcessPoolExecutor]:
    """A pool of fresh processes (not forked from a process running threads), whose Tesseract
    keeps to one thread each: OpenMP reads OMP_THREAD_LIMIT when it loads, in the child."""
    before = os.environ.get("OMP_THREAD_LIMIT")
    os.environ["OMP_THREAD_LIMIT"] = "1"
    try:
        with ProcessPoolExecutor(
            processes, mp_context=multiprocessing.get_context("spawn")
        ) as pool:
            yield pool  # its processes start on demand, within, while the variable is set
    finally:
        if before is None:
            os.environ.pop("OMP_THREAD_LIMIT", None)
        else:
            os.environ["OMP_THREAD_LIMIT"] = before
