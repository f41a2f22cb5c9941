"""Scanned and photographed invoices read by OCR (issue 15): accuracy, and seconds per page.

Documents: the 62 real invoice PDFs of tests/corpora scanned by tests/support/scanned.py
(skewed up to 3 degrees, a few turned 90 or 180, Gaussian noise, JPEG quality 50-85; image-only
PDFs, and JPEG photos of single-page invoices), read with `scanner.ocr.read_ocr_invoice` as an
attachment of a mail from a neutral sender, scored as the text path of bench/real_invoices.py.
* accuracy: the test's corpus (150, 200 and 300 dpi), read in a pool of two processes;
* speed: the same documents all at 200 dpi, read one after the other in one process with one
  Tesseract thread (OMP_THREAD_LIMIT=1); a document's seconds (rasterised pages, OCR and field
  reading, after one unscored warm-up read) are shared evenly among its pages.
Targets (issue 15): detection >= 0.90 and every field >= 0.85 on the test's corpus.
"""

from __future__ import annotations

import asyncio
import statistics

from bench.figures import percentile
from bench.stack import Stack
from tests.support.realdocs import SCORED, RealScore, real_documents, score
from tests.support.scanned import Reading, ScannedDoc, read_all, scanned_documents

TARGET_DETECTION, TARGET_FIELD = 0.90, 0.85
SPEED_DPI = 200


async def run(stack: Stack) -> tuple[str, bool]:
    return await asyncio.to_thread(_run, stack)


def _run(stack: Stack) -> tuple[str, bool]:
    real = real_documents()
    mixed = scanned_documents(real, stack.base / "scanned")
    at_200 = scanned_documents(real, stack.base / f"scanned-{SPEED_DPI}dpi", dpi=SPEED_DPI)
    mixed_result = _score(mixed, read_all(mixed, processes=2))
    timed = read_all(at_200, processes=1, warm_up=True)
    timed_result = _score(at_200, timed)
    per_page = [timed[doc.name].seconds / doc.pages for doc in at_200 for _ in range(doc.pages)]
    met = mixed_result.detection >= TARGET_DETECTION and all(
        tally.accuracy >= TARGET_FIELD for tally in mixed_result.fields.values()
    )
    photos = sum(doc.made.photo for doc in mixed)
    lines = [
        "## Scanned invoices (OCR)",
        "",
        f"The {len(real)} real invoice PDFs of tests/corpora printed and scanned "
        "(tests/support/scanned.py): skewed up to 3°, a few turned 90° or 180°, Gaussian "
        f"noise and JPEG artefacts (quality 50-85); {len(mixed) - photos} image-only PDFs and "
        f"{photos} JPEG photos of single-page invoices, read by OCR as an attachment of a mail "
        "from a neutral sender and scored as the text path above. Targets: detection ≥ "
        f"{TARGET_DETECTION} and every field ≥ {TARGET_FIELD}.",
        "",
        "| documents | detected | " + " | ".join(SCORED) + " | all fields |",
        "|---|---|" + "---|" * len(SCORED) + "---|",
        _score_row("150/200/300 dpi (the test's)", mixed_result),
        _score_row(f"all at {SPEED_DPI} dpi", timed_result),
        "",
        f"Seconds per page at {SPEED_DPI} dpi on one core (one process, one Tesseract "
        "thread; rendering, OCR and field reading of each document shared among its "
        f"{sum(doc.pages for doc in at_200)} pages):",
        "",
        "| pages | median s | p95 s | max s |",
        "|---|---|---|---|",
        f"| {len(per_page)} | {statistics.median(per_page):.2f} | "
        f"{percentile(per_page, 95):.2f} | {max(per_page):.2f} |",
    ]
    return "\n".join(lines), met


def _score(docs: tuple[ScannedDoc, ...], readings: dict[str, Reading]) -> RealScore:
    return score([doc.truth for doc in docs], lambda doc: readings[doc.name].found)


def _score_row(documents: str, result: RealScore) -> str:
    fields = " | ".join(f"{result.fields[name].accuracy:.3f}" for name in SCORED)
    return (
        f"| {documents} | {result.detected}/{result.documents} | {fields} | "
        f"**{result.field_accuracy:.3f}** |"
    )
