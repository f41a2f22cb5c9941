"""Scanned and photographed invoices (issue 15): the real invoices of tests/corpora printed,
scanned a little askew with noise and JPEG artefacts, as image-only PDFs and phone photos
(tests/support/scanned.py), read by OCR and scored as the text path is scored
(tests/support/realdocs.py): detection >= 0.90 and each field >= 0.85.

All 62 documents are read, in a pool of two processes with one Tesseract thread each."""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2
import pytest
from PIL import Image

from tests.support.realdocs import SCORED, RealScore, real_documents, score
from tests.support.scanned import (
    DPIS,
    MAX_ANGLE,
    ScannedDoc,
    read_all,
    scanned_documents,
)

MIN_DETECTION, MIN_FIELD = 0.90, 0.85


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[ScannedDoc, ...]:
    return scanned_documents(real_documents(), tmp_path_factory.mktemp("scanned"))


def test_the_corpus_is_scanned_as_the_issue_says(
    scanned: tuple[ScannedDoc, ...], tmp_path: Path
) -> None:
    made = [doc.made for doc in scanned]
    assert len(scanned) == 62
    assert {m.dpi for m in made} == set(DPIS)
    assert all(abs(m.angle) <= MAX_ANGLE for m in made)
    assert {m.turn for m in made} == {0, 90, 180}
    assert sum(m.photo for m in made) >= 5 and sum(not m.photo for m in made) >= 40
    for doc in scanned:
        payload = doc.path.read_bytes()
        if doc.made.photo:
            assert Image.open(io.BytesIO(payload)).format == "JPEG"
            continue
        pdf = pypdfium2.PdfDocument(payload)
        assert len(pdf) == doc.pages
        # Image-only: not one character of text on any page.
        assert all(page.get_textpage().count_chars() == 0 for page in pdf), doc.name
    # The same document is the same file, made again elsewhere.
    first = next(doc for doc in scanned if doc.made.turn == 90)
    origin = [
        doc
        for doc in real_documents()
        if (doc.source, doc.name) == (first.truth.source, first.original)
    ]
    again = scanned_documents(origin, tmp_path, processes=1)
    assert again[0].path.read_bytes() == first.path.read_bytes()


def test_scanned_invoices_are_read_by_ocr(scanned: tuple[ScannedDoc, ...]) -> None:
    readings = read_all(scanned, processes=2)
    result = score([doc.truth for doc in scanned], lambda doc: readings[doc.name].found)
    refused = {name: r.error for name, r in readings.items() if r.error is not None}
    print(_report(result, refused))  # noqa: T201 - the figures are this test's report
    assert result.documents == 62
    assert result.detection >= MIN_DETECTION, (refused, result.misses)
    low = {
        name: round(result.fields[name].accuracy, 3)
        for name in SCORED
        if result.fields[name].accuracy < MIN_FIELD
    }
    assert low == {}, result.misses


def _report(result: RealScore, refused: dict[str, str]) -> str:
    fields = ", ".join(f"{name} {result.fields[name].accuracy:.3f}" for name in SCORED)
    lines = [
        f"scanned: detected {result.detected}/{result.documents}, {fields}",
        *(f"  refused {name}: {error}" for name, error in refused.items()),
        *(f"  miss {miss}" for miss in result.misses),
    ]
    return "\n".join(lines)
