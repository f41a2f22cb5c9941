"""PDFium at arm's length: a child process per worker process reads PDF words (`pdf_child`),
held to an address-space limit and, per PDF, a time limit.

The child is started at the first PDF and kept for the next ones (starting it costs about a
fifth of a second). A PDF that makes it die or overrun (it is killed then) is Unreadable and
the next PDF gets a new child; the worker, its scan and its other mails go on. A process that
forked (a Celery pool process) starts a child of its own.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import threading
from dataclasses import dataclass

from scanner.child_process import LENGTH, ChildProcess
from scanner.extraction.layout import Word
from scanner.extraction.record import Unreadable

log = logging.getLogger(__name__)


class PdfiumRefused(Exception):
    """PDFium cannot open or read the file (it is no PDF to it): another reader may."""


@dataclass(frozen=True, slots=True)
class PageWords:
    """The words of each page read, and each page's size in points."""

    pages: list[list[Word]]
    sizes: list[tuple[float, float]]


_lock = threading.Lock()
_child: ChildProcess | None = None


def read_page_words(
    payload: bytes, pages: int, chars: int, seconds: float, memory_bytes: int
) -> PageWords:
    """The words of the first `pages` pages of a PDF, read in the child within `seconds` and
    `memory_bytes`; Unreadable when it overruns either, PdfiumRefused when PDFium refuses."""
    global _child
    header = json.dumps({"pages": pages, "chars": chars, "size": len(payload)}).encode()
    request = LENGTH.pack(len(header)) + header + payload
    with _lock:
        if _child is not None and _child.owner != os.getpid():
            _child.forget()  # a forked copy's child belongs to the process that started it
            _child = None
        if _child is not None and _child.args != (str(memory_bytes),):
            _child.stop()
            _child = None
        if _child is not None and _child.process.poll() is not None:
            _child.stop()  # ended since the last PDF (killed from outside): start another
            _child = None
        if _child is None:
            _child = ChildProcess("scanner.extraction.pdf_child", str(memory_bytes))
        child, answered = _child, False
        try:
            answer = json.loads(child.ask(request, seconds))
            answered = True
        except TimeoutError:
            raise Unreadable(f"PDF not read within {seconds:g} s") from None
        except (EOFError, OSError) as exc:
            code = child.process.poll()
            log.warning("PDF reader ended (%s, exit code %s)", type(exc).__name__, code)
            raise Unreadable("PDF reader ran out of memory or crashed on this PDF") from None
        finally:
            if not answered:  # overran, died, or interrupted mid-answer: never reuse it
                child.stop()
                _child = None
    if "error" in answer:
        raise PdfiumRefused(answer["error"])
    return PageWords(
        pages=[[Word(*word) for word in page] for page in answer["pages"]],
        sizes=[(width, height) for width, height in answer["sizes"]],
    )


@atexit.register
def _stop_child() -> None:
    if _child is not None and _child.owner == os.getpid():
        _child.stop()
