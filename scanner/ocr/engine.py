"""Tesseract 5 through tesserocr, and which of its language models are installed.

Binding chosen by measurement (6 real invoice pages of tests/corpora/real-dev at 200 dpi, one
core, words and boxes per page): tesserocr 2.13 (libtesseract 5.5.4 in its wheel, loaded once
per process) took 0.43 s median per page with `eng`, 0.56 s with `eng+deu`; pytesseract 0.3.13
(spawns Debian's tesseract 5.3 CLI per page, the image written to a temporary PNG, the models
loaded again each time) took 0.61 s and 0.78 s; with all eleven installed languages 0.91 s
against 2.04 s. The wheel brings its own libtesseract but no models: it reads Debian's
(tesseract-ocr-*), found at TESSDATA_PREFIX or /usr/share/tesseract-ocr/5/tessdata.
"""

from __future__ import annotations

import os
import tomllib
from functools import cache
from pathlib import Path

from scanner.extraction.labels import LANGUAGES

# Where Debian's tesseract-ocr packages put their models; TESSDATA_PREFIX overrides it.
DEBIAN_TESSDATA = "/usr/share/tesseract-ocr/5/tessdata"
# The model every page is read with: invoices mix English words into every language.
BASE_MODEL = "eng"


def tessdata() -> str:
    """The folder of Tesseract's models."""
    return os.environ.get("TESSDATA_PREFIX") or DEBIAN_TESSDATA


@cache
def models() -> dict[str, str]:
    """The Tesseract model name of each extraction language."""
    data = tomllib.loads((Path(__file__).with_name("languages.toml")).read_text("utf-8"))
    return {language: data["tesseract"][language] for language in LANGUAGES}


def installed_models() -> frozenset[str]:
    """The models present in the tessdata folder (osd included)."""
    folder = Path(tessdata())
    if not folder.is_dir():
        return frozenset()
    return frozenset(path.stem for path in folder.glob("*.traineddata"))


def model_of(language: str) -> str | None:
    """The installed model that reads `language`, None when its pack is not installed."""
    model = models().get(language)
    return model if model in installed_models() else None


def ocr_unavailable() -> str | None:
    """None when Tesseract and its models are usable, else one sentence saying why (the caller
    logs it once and leaves OCR off)."""
    try:
        import tesserocr  # noqa: F401  (a wheel without a libtesseract fails here)
    except ImportError as exc:
        return f"OCR is off: the tesserocr binding cannot be loaded ({exc})."
    missing = {BASE_MODEL, "osd"} - installed_models()
    if missing:
        return (
            f"OCR is off: Tesseract's {' and '.join(sorted(missing))} model is missing from "
            f"{tessdata()} (install Debian's tesseract-ocr, or set TESSDATA_PREFIX)."
        )
    return None
