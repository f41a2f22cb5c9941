"""Hand-made PDFs for the tests that need a file no PDF writer would produce."""

from __future__ import annotations


def pdf_of(objects: list[bytes], version: bytes = b"1.7") -> bytes:
    """A PDF whose numbered objects are `objects` (object 1 is the catalog), with an exact
    cross-reference table, so a reader takes it as well formed."""
    out = bytearray(b"%PDF-" + version + b"\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
