"""Images built to hurt a reader, for the OCR tests: a decompression-bomb PNG and a TIFF whose
header claims more pixels than it carries."""

from __future__ import annotations

import struct
import zlib


def png_bomb(side: int) -> bytes:
    """A 1-bit PNG of `side` x `side` white pixels: a few hundred KB that decode to gigabytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * (side // 8)
    data = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    chunks = chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def huge_tiff(side: int) -> bytes:
    """An uncompressed 8-bit TIFF whose header says `side` x `side` pixels (its strip is short:
    a reader that trusts the header allocates the whole image)."""
    entries = [
        (256, 4, side),  # ImageWidth
        (257, 4, side),  # ImageLength
        (258, 3, 8),  # BitsPerSample
        (259, 3, 1),  # no compression
        (262, 3, 1),  # black is zero
        (273, 4, 8 + 2 + 12 * 9 + 4),  # StripOffsets: just after the directory
        (277, 3, 1),  # SamplesPerPixel
        (278, 4, side),  # RowsPerStrip
        (279, 4, side * side),  # StripByteCounts
    ]
    directory = struct.pack("<H", len(entries))
    for tag, kind, value in entries:
        directory += struct.pack("<HHI", tag, kind, 1) + (
            struct.pack("<HH", value, 0) if kind == 3 else struct.pack("<I", value)
        )
    return b"II*\x00" + struct.pack("<I", 8) + directory + b"\x00" * 4 + b"\xff" * 4096
