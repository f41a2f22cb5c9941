"""The child process that reads PDF words with PDFium, for `pdf_sandbox` (python -m this module).

PDFium is C code: a hostile PDF can make it allocate gigabytes (a colour profile or a shading
function that inflates), draw a form a million times, or abort. Run here, under an address
space limit set before the first PDF is read, that costs this process, never the scan's worker.

Protocol, on stdin and stdout: a request is a 4-byte big-endian length and that many bytes of
JSON ({"pages": N, "chars": N, "size": N}), then the PDF's `size` bytes; the answer is a 4-byte
length and JSON: {"pages": [[word, ...], ...], "sizes": [[width, height], ...]} with a word as
[text, x0, x1, top, bottom], or {"error": "..."} where PDFium refuses the file.
"""

from __future__ import annotations

import json
from typing import BinaryIO

import pypdfium2 as pdfium

from scanner.child_process import child_main, read_request, write_frame
from scanner.extraction.pdf_words import page_words


def read_words(payload: bytes, pages: int, chars: int) -> dict[str, object]:
    """The words of the first `pages` pages of a PDF (at most `chars` characters in all)."""
    try:
        document = pdfium.PdfDocument(payload)
    except pdfium.PdfiumError as exc:
        return {"error": str(exc)}
    words: list[list[list[object]]] = []
    sizes: list[list[float]] = []
    try:
        for index in range(min(pages, len(document))):
            page = document[index]
            try:
                found, read = page_words(page, chars)
                sizes.append([page.get_width(), page.get_height()])
            finally:
                page.close()
            words.append([[w.text, w.x0, w.x1, w.top, w.bottom] for w in found])
            chars -= read
            if chars <= 0:
                break
    except pdfium.PdfiumError as exc:
        return {"error": str(exc)}
    finally:
        document.close()
    return {"pages": words, "sizes": sizes}


def serve(requests: BinaryIO, answers: BinaryIO) -> None:
    """Answer requests until the parent closes the pipe."""
    while (request := read_request(requests)) is not None:
        header, payload = request
        answer = read_words(payload, header["pages"], header["chars"])
        write_frame(answers, json.dumps(answer).encode())


if __name__ == "__main__":
    child_main(serve)
