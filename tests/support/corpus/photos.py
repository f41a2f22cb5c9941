"""Mails with photos: large JPEG attachments that are plainly not invoices.

They make most of the corpus's bytes, as photos do in a real mailbox, which is what gives a
"fetch only the parts you need" measure its meaning. The pixels are seeded noise, the worst case
for JPEG, so a small image already makes a camera-sized file; the EXIF names a phone camera.
"""

from __future__ import annotations

import datetime
import io
import random

from PIL import Image

from tests.support.corpus.data import entries
from tests.support.corpus.mime import LargeParts, new_message, sent_at
from tests.support.corpus.model import CorpusMail

# Bytes per pixel of a noise JPEG at quality 100 without chroma subsampling: about 4.1.
_BYTES_PER_PIXEL = 4.1
_EXIF_MAKE, _EXIF_MODEL, _EXIF_DATETIME = 0x010F, 0x0110, 0x0132


def _jpeg(seed: str, megabytes: float, taken: datetime.datetime) -> bytes:
    pixels = megabytes * 1_000_000 / _BYTES_PER_PIXEL
    width = int((pixels * 4 / 3) ** 0.5)
    height = int(pixels / width)
    noise = random.Random(seed).randbytes(width * height * 3)
    image = Image.frombytes("RGB", (width, height), noise)
    exif = Image.Exif()
    exif[_EXIF_MAKE], exif[_EXIF_MODEL] = "Google", "Pixel 8"
    exif[_EXIF_DATETIME] = taken.strftime("%Y:%m:%d %H:%M:%S")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=100, subsampling=0, exif=exif)
    return out.getvalue()


def photo_mails() -> list[CorpusMail]:
    """Ten mails with one or two photos each, 0.3 to 4.6 MB a photo."""
    mails = []
    for album in entries("not_invoices", "album"):
        name = album["name"]
        when = sent_at(name)
        msg = new_message(name, album["sender"], album["subject"], when)
        msg.set_content(album["body"])
        large = LargeParts()
        for filename, megabytes in album["photos"]:
            photo = _jpeg(f"{name}/{filename}", megabytes, when - datetime.timedelta(hours=2))
            large.attach(msg, photo, "image/jpeg", filename)
        mails.append(CorpusMail(name, large.as_bytes(msg), "not_invoice", ()))
    return mails
