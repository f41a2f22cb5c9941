"""The other attachments of the large mailbox: photos, office documents and calendar files of 20
to 300 KB, made once per process from a seed and shared by every mail that carries one.

Real formats, so a scanner that looks inside gets what a mailbox would give it: JPEG and PNG
images (seeded noise under a colour gradient: photo-like sizes), .docx/.xlsx zip packages with
their XML parts, and iCalendar files.
"""

from __future__ import annotations

import functools
import io
import random
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from PIL import Image

# A noise JPEG at quality 90 takes about 2.3 bytes a pixel, a noise PNG about 3.
_JPEG_BYTES_PER_PIXEL = 2.3
_PNG_BYTES_PER_PIXEL = 3.0
# (kind, KB): weighted toward the small end, as a mailbox's attachments are.
SIZES_KB = {
    "jpeg": (24, 30, 40, 55, 80, 120, 300),
    "png": (20, 35, 60, 150),
    "docx": (20, 28, 45, 90),
    "xlsx": (20, 32, 60),
    "ics": (20, 26),
}
MIME_TYPES = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ics": "text/calendar",
}
FILE_NAMES = {
    "jpeg": "IMG_{n:04d}.jpg",
    "png": "screenshot-{n}.png",
    "docx": "notes-{n}.docx",
    "xlsx": "schedule-{n}.xlsx",
    "ics": "invite-{n}.ics",
}


@dataclass(frozen=True)
class Attachment:
    """One file to attach: its bytes, MIME type and file name."""

    kind: str
    data: bytes
    mimetype: str
    filename: str


def _dimensions(kilobytes: int, bytes_per_pixel: float) -> tuple[int, int]:
    pixels = kilobytes * 1024 / bytes_per_pixel
    width = int((pixels * 4 / 3) ** 0.5)
    return width, max(1, int(pixels / width))


def _image(seed: int, kilobytes: int, fmt: str) -> bytes:
    per_pixel = _JPEG_BYTES_PER_PIXEL if fmt == "JPEG" else _PNG_BYTES_PER_PIXEL
    size = _dimensions(kilobytes, per_pixel)
    noise = Image.frombytes("RGB", size, random.Random(seed).randbytes(size[0] * size[1] * 3))
    gradient = Image.linear_gradient("L").resize(size).convert("RGB")
    out = io.BytesIO()
    Image.blend(noise, gradient, 0.3).save(out, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return out.getvalue()


def _zip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts.items():
            # A fixed date: the same seed gives the same bytes.
            package.writestr(zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0)), data)
    return out.getvalue()


def _office(seed: int, kilobytes: int, kind: str) -> bytes:
    """A .docx or .xlsx package: its XML parts and, as office files do, an embedded picture."""
    rng = random.Random(seed)
    if kind == "docx":
        body = "".join(f"<w:p><w:r><w:t>Paragraph {n}: notes.</w:t></w:r></w:p>" for n in range(40))
        main = {"word/document.xml": f"<w:document><w:body>{body}</w:body></w:document>".encode()}
        media = "word/media/image1.jpeg"
    else:
        rows = "".join(
            f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>Shift {r}</t></is></c>'
            f'<c r="B{r}"><v>{rng.randint(1, 9)}</v></c></row>'
            for r in range(1, 60)
        )
        sheet = f"<worksheet><sheetData>{rows}</sheetData></worksheet>"
        main = {"xl/worksheets/sheet1.xml": sheet.encode()}
        media = "xl/media/image1.jpeg"
    parts = {"[Content_Types].xml": b"<Types/>", "_rels/.rels": b"<Relationships/>", **main}
    picture_kb = max(1, kilobytes - len(_zip(parts)) // 1024)
    return _zip({**parts, media: _image(seed, picture_kb, "JPEG")})


def _calendar(seed: int, kilobytes: int) -> bytes:
    """An iCalendar file with as many weekly events as make `kilobytes`."""
    rng = random.Random(seed)
    start = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//invoicescan bench//EN"]
    week = 0
    while sum(len(line) + 2 for line in lines) < kilobytes * 1024:
        when = start + timedelta(weeks=week, hours=rng.randint(0, 8))
        lines += [
            "BEGIN:VEVENT",
            f"UID:{seed}-{week}@bench.example",
            f"DTSTART:{when:%Y%m%dT%H%M%SZ}",
            f"DTEND:{when + timedelta(hours=1):%Y%m%dT%H%M%SZ}",
            f"SUMMARY:Design review, week {week}",
            "LOCATION:Meeting room 2",
            "DESCRIPTION:Walk through the open drafts and agree on next steps.",
            "END:VEVENT",
        ]
        week += 1
    return "\r\n".join([*lines, "END:VCALENDAR", ""]).encode()


def _make(kind: str, seed: int, kilobytes: int) -> bytes:
    if kind in ("jpeg", "png"):
        return _image(seed, kilobytes, kind.upper())
    if kind in ("docx", "xlsx"):
        return _office(seed, kilobytes, kind)
    return _calendar(seed, kilobytes)


@functools.cache
def attachment_pool(seed: int) -> tuple[Attachment, ...]:
    """Every attachment the mailbox uses, one per (kind, size) of SIZES_KB."""
    pool: list[Attachment] = []
    for kind, sizes in SIZES_KB.items():
        for n, kilobytes in enumerate(sizes):
            data = _make(kind, seed * 1000 + len(pool), kilobytes)
            filename = FILE_NAMES[kind].format(n=1000 + 37 * len(pool) + n)
            pool.append(Attachment(kind, data, MIME_TYPES[kind], filename))
    return tuple(pool)
