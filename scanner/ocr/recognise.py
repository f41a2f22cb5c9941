"""Tesseract's words on a page image: each word's text, box and confidence, in points.

Runs in the OCR child. One tesserocr API per set of models is kept (loading eng+deu costs about
a tenth of a second), and one for orientation detection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import tesserocr
from PIL import Image

from scanner.ocr.engine import tessdata
from scanner.ocr.upright import MIN_ORIENTATION_CONFIDENCE

# A word Tesseract is this unsure of, with no letter or digit in it, is a speck of noise.
_NOISE_CONFIDENCE = 40.0
# A capital O touching a digit in a word of four digits or more is a zero Tesseract misread
# ("RO005532486"): invoice numbers and amounts mix letters and digits, words never do so.
_ZERO_READ_AS_O = re.compile(r"O(?=\d)|(?<=\d)O")
_DIGITS = re.compile(r"\d")
# APIs kept loaded: the mail's languages change rarely within a mailbox.
_KEPT_APIS = 3


@dataclass(frozen=True, slots=True)
class OcrWord:
    """A word read: its text, its box in points from the page's top left, and Tesseract's
    confidence in it (0-100)."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    confidence: float


class Recogniser:
    """Tesseract's readers, loaded as they are first needed."""

    def __init__(self) -> None:
        self._apis: dict[str, tesserocr.PyTessBaseAPI] = {}
        self._osd: tesserocr.PyTessBaseAPI | None = None

    def orientation(self, image: Image.Image) -> int | None:
        """Degrees to turn `image` counter-clockwise so it reads upright; None when OSD cannot
        tell (too little text)."""
        if self._osd is None:
            self._osd = tesserocr.PyTessBaseAPI(
                path=tessdata(), lang="osd", psm=tesserocr.PSM.OSD_ONLY
            )
        self._osd.SetImage(image)
        found = self._osd.DetectOrientationScript()
        if not found or found["orient_conf"] < MIN_ORIENTATION_CONFIDENCE:
            return None
        return int(found["orient_deg"])

    def words(self, image: Image.Image, models: str, points_per_pixel: float) -> list[OcrWord]:
        """The words Tesseract reads on `image` with `models` ("eng+deu")."""
        api = self._api(models)
        api.SetImage(image)
        api.Recognize()
        level = tesserocr.RIL.WORD
        found: list[OcrWord] = []
        iterator = api.GetIterator()
        for word in tesserocr.iterate_level(iterator, level):
            text = (word.GetUTF8Text(level) or "").strip()
            box = word.BoundingBox(level)
            if not text or box is None:
                continue
            confidence = float(word.Confidence(level))
            if confidence < _NOISE_CONFIDENCE and not any(char.isalnum() for char in text):
                continue
            if len(_DIGITS.findall(text)) >= 4:
                text = _ZERO_READ_AS_O.sub("0", text)
            x0, top, x1, bottom = (value * points_per_pixel for value in box)
            found.append(OcrWord(text, x0, x1, top, bottom, confidence))
        return found

    def _api(self, models: str) -> tesserocr.PyTessBaseAPI:
        api = self._apis.pop(models, None)
        if api is None:
            if len(self._apis) >= _KEPT_APIS:
                oldest = next(iter(self._apis))
                self._apis.pop(oldest).End()
            api = tesserocr.PyTessBaseAPI(path=tessdata(), lang=models, psm=tesserocr.PSM.AUTO)
        self._apis[models] = api  # most recently used last
        return api
