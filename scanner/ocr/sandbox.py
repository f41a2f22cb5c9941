"""Tesseract at arm's length: a child process per worker process (`scanner.ocr.child`) reads a
document's pages, held to an address-space limit and to a time limit per page.

The child is kept between documents (Tesseract's models load once). A document that makes it
die, run out of memory or overrun a page's time is Unreadable, the child is killed, and the
next document gets a new one; the worker goes on. A forked process starts a child of its own.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import threading
from dataclasses import dataclass

from scanner.child_process import ChildProcess, frame
from scanner.extraction.record import Unreadable
from scanner.ocr.recognise import OcrWord

log = logging.getLogger(__name__)

_MODULE = "scanner.ocr.child"
# The first page also waits for the child to start and load its models.
_START_SECONDS = 10.0
# Tesseract runs its own threads (OpenMP) unless told: an OCR worker process uses one core.
_ENV = {"OMP_THREAD_LIMIT": "1"}


@dataclass(frozen=True, slots=True)
class OcrPages:
    """The words of each page read, each page's size in points, and the models that read them."""

    pages: list[list[OcrWord]]
    sizes: list[tuple[float, float]]
    models: str


_lock = threading.Lock()
_child: ChildProcess | None = None


def read_pages(
    payload: bytes,
    kind: str,
    language: str,
    *,
    pages: int,
    pixels: int,
    page_seconds: float,
    memory_bytes: int,
) -> OcrPages:
    """The words of the first `pages` pages of a PDF (`kind` "pdf") or image ("image"), read in
    the child, each page within `page_seconds`; `language` is the mail's. Unreadable when the
    document is not readable or overruns a limit."""
    header = json.dumps(
        {"kind": kind, "pages": pages, "pixels": pixels, "language": language, "size": len(payload)}
    ).encode()
    with _lock:
        child = _fresh_child(memory_bytes)
        finished = False
        try:
            child.send(frame(header) + payload)
            result = _answers(child, page_seconds)
            finished = True  # an answer, or the child's own refusal: it stays usable
        except TimeoutError:
            raise Unreadable(f"page not read by OCR within {page_seconds:g} s") from None
        except (EOFError, OSError) as exc:
            log.warning(
                "OCR reader ended (%s, exit code %s)", type(exc).__name__, child.process.poll()
            )
            raise Unreadable("OCR reader ran out of memory or crashed on this document") from None
        finally:
            if not finished:  # overran, died, or interrupted mid-answer: never reuse it
                _discard(child)
    if isinstance(result, str):
        raise Unreadable(result)
    return result


def _answers(child: ChildProcess, page_seconds: float) -> OcrPages | str:
    """The pages the child reads, or its reason why the document cannot be read."""
    pages: list[list[OcrWord]] = []
    sizes: list[tuple[float, float]] = []
    seconds = page_seconds + _START_SECONDS
    while True:
        answer = json.loads(child.answer(seconds))
        seconds = page_seconds
        if "error" in answer:
            return str(answer["error"])
        if "done" in answer:
            return OcrPages(pages, sizes, answer["done"])
        pages.append([OcrWord(*word) for word in answer["words"]])
        width, height = answer["size"]
        sizes.append((width, height))


def _fresh_child(memory_bytes: int) -> ChildProcess:
    global _child
    if _child is not None and _child.owner != os.getpid():
        _child.forget()  # a forked copy's child belongs to the process that started it
        _child = None
    if _child is not None and (_child.args != (str(memory_bytes),) or not _child.alive()):
        _child.stop()
        _child = None
    if _child is None:
        _child = ChildProcess(_MODULE, str(memory_bytes), env=_ENV)
    return _child


def _discard(child: ChildProcess) -> None:
    global _child
    child.stop()
    if _child is child:
        _child = None


@atexit.register
def _stop_child() -> None:
    if _child is not None and _child.owner == os.getpid():
        _child.stop()
