"""The child process that reads pages with Tesseract, for `scanner.ocr.sandbox`
(python -m this module MEMORY_BYTES).

Decoding hostile images (Pillow's and PDFium's C code) and Tesseract itself run here, under an
address-space limit set before the first request, so what they allocate or crash with costs
this process, never the worker.

Protocol: a request is a frame of JSON ({"kind": "pdf" | "image", "pages": N, "pixels": N,
"language": "de", "size": N}) followed by the document's `size` bytes. The answer is a frame
per page read, {"words": [[text, x0, x1, top, bottom, confidence], ...], "size": [w, h]}, then
{"done": "eng+deu"} (the models that read it), or {"error": reason} when it cannot be read.

Languages: the first page is read with every installed model at once, and its text's language
(`language_of`) then chooses English plus that language's model for the other pages (eleven
models at once read 1.6 to 1.8 times slower than eng+deu). The mail's language is no guide to
the document's: a first pass with English alone lost the umlauts of German pages ("Wahrung",
"Verkaufer"), which then read as Danish, and the labels that tell the seller from the buyer
were lost with them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import BinaryIO

from scanner.child_process import child_main, read_request, write_frame
from scanner.extraction.language import language_of
from scanner.extraction.record import Unreadable
from scanner.ocr.engine import BASE_MODEL, every_model, model_of
from scanner.ocr.pages import PageImage, image_pages, pdf_pages
from scanner.ocr.recognise import OcrWord, Recogniser
from scanner.ocr.upright import upright


def models_for(language: str) -> str:
    """The Tesseract models that read `language`: English and its own, when installed."""
    model = model_of(language)
    return BASE_MODEL if model in (None, BASE_MODEL) else f"{BASE_MODEL}+{model}"


def read_document(
    recogniser: Recogniser, request: dict[str, object], payload: bytes
) -> Iterator[dict[str, object]]:
    """The answer frames for one document (see the module)."""
    pages, pixels = int(str(request["pages"])), int(str(request["pixels"]))
    opened = (pdf_pages if request["kind"] == "pdf" else image_pages)(payload, pages, pixels)
    models = every_model()
    try:
        for index, page in enumerate(opened):
            image = upright(page.image, recogniser.orientation)
            words = recogniser.words(image, models, page.points_per_pixel)
            if index == 0:
                hint = str(request.get("language") or "en")
                models = models_for(language_of(" ".join(word.text for word in words), hint))
            yield _page(words, image.size, page)
    except Unreadable as exc:
        yield {"error": str(exc)}
        return
    except MemoryError:
        yield {"error": "page too large to read within the OCR reader's memory"}
        return
    except RuntimeError as exc:  # tesserocr cannot load a model or read the image
        yield {"error": f"OCR failed ({exc})"}
        return
    yield {"done": models}


def _page(words: list[OcrWord], size: tuple[int, int], page: PageImage) -> dict[str, object]:
    scale = page.points_per_pixel
    return {
        "words": [[w.text, w.x0, w.x1, w.top, w.bottom, w.confidence] for w in words],
        "size": [size[0] * scale, size[1] * scale],
    }


def serve(requests: BinaryIO, answers: BinaryIO) -> None:
    """Answer requests until the parent closes the pipe."""
    recogniser = Recogniser()
    while (request := read_request(requests)) is not None:
        header, payload = request
        for answer in read_document(recogniser, header, payload):
            write_frame(answers, json.dumps(answer).encode())


if __name__ == "__main__":
    child_main(serve)
