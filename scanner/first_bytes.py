"""Judge a part by its first bytes before downloading it whole: does it begin the way the kind
of file it claims to be (by declared type and file name) must begin? A 6 MB file of random
bytes named invoice.pdf then costs a 2 KB peek, not 6 MB and a failed parse.

The kinds and their signatures are data (signatures.toml beside this module). Magic-number
libraries were measured against what a scan needs and did not fit: `filetype` (1.2.0, last
released 2022) and `puremagic` (2.2.0) both miss a PDF with junk before its header, which
readers accept, and XML that starts with a byte-order mark or without a declaration; puremagic
also takes about 1 ms per unknown prefix against filetype's 50 us.
"""

from __future__ import annotations

import binascii
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

# How much of a part a peek fetches, still transfer-encoded: base64 of 2048 bytes decodes to
# about 1500, enough for the PDF header's window of 1024 bytes.
PEEK_BYTES = 2048

_SIGNATURES_FILE = Path(__file__).with_name("signatures.toml")
_BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
_NOT_BASE64 = bytes(set(range(256)) - set(_BASE64_ALPHABET))
_AS_IS = frozenset({"", "7bit", "8bit", "binary"})


@dataclass(frozen=True, slots=True)
class Kind:
    """A kind of file a part may claim to be, and how its first bytes must look."""

    name: str  # "a PDF": the reason says "not a PDF"
    types: frozenset[str]
    suffixes: tuple[str, ...]
    signatures: tuple[re.Pattern[bytes], ...]
    window: int  # the signature lies wholly within the first `window` bytes
    boms: tuple[bytes, ...]
    skip: bytes
    shows: str

    @property
    def is_image(self) -> bool:
        return any(declared.startswith("image/") for declared in self.types)

    def matches(self, first: bytes, complete: bool) -> bool | None:
        """Whether `first` (decoded) begins as this kind must; None when too few bytes were
        seen to tell (and `complete` says they are not the whole part)."""
        for bom in self.boms:
            if first.startswith(bom):
                first = first[len(bom) :]
                break
        first = first.lstrip(self.skip)
        if any(pattern.search(first, 0, self.window) for pattern in self.signatures):
            return True
        return False if complete or len(first) >= self.window else None


@cache
def kinds() -> tuple[Kind, ...]:
    """Every kind of signatures.toml, in its order."""
    data = tomllib.loads(_SIGNATURES_FILE.read_text(encoding="utf-8"))
    return tuple(_kind(entry) for entry in data["kind"])


def _kind(entry: dict[str, object]) -> Kind:
    texts = _strings(entry["signatures"])
    longest = max(len(text.split()) for text in texts)
    return Kind(
        name=str(entry["name"]),
        types=frozenset(_strings(entry["types"])),
        suffixes=tuple(_strings(entry["suffixes"])),
        signatures=tuple(_pattern(text) for text in texts),
        window=max(int(str(entry.get("within", 0))), longest),
        boms=tuple(bytes.fromhex(bom) for bom in _strings(entry.get("boms", []))),
        skip=b"".join(bytes.fromhex(byte) for byte in _strings(entry.get("skip", []))),
        shows=str(entry["shows"]),
    )


def _strings(value: object) -> list[str]:
    if not isinstance(value, list):
        raise ValueError(f"signatures.toml: expected a list, found {value!r}")
    return [str(item) for item in value]


def _pattern(signature: str) -> re.Pattern[bytes]:
    """ "52 49 ?? 46" as a pattern of those bytes, "??" matching any one byte."""
    pieces = [
        b"." if byte == "??" else re.escape(bytes.fromhex(byte)) for byte in signature.split()
    ]
    return re.compile(b"".join(pieces), re.DOTALL)


def claimed_kinds(filename: str, content_type: str) -> list[Kind]:
    """The kinds a part claims to be, by its declared type and its file name's suffix."""
    declared = content_type.lower().split(";")[0].strip()
    name = filename.lower()
    return [kind for kind in kinds() if declared in kind.types or name.endswith(kind.suffixes)]


def mismatch(filename: str, content_type: str, first: bytes, complete: bool = False) -> str | None:
    """Why a part's decoded first bytes show it is none of the kinds it claims to be; None when
    they match one, when it claims no kind we know, or when too few bytes were seen to tell."""
    claimed = claimed_kinds(filename, content_type)
    accepted = list(claimed)
    if any(kind.is_image for kind in claimed):
        # A PNG named .jpg or sent as image/jpeg is common, and OCR opens an image by its
        # bytes: a part that claims to be an image may be any image.
        accepted += [kind for kind in kinds() if kind.is_image and kind not in claimed]
    if not claimed or any(kind.matches(first, complete) is not False for kind in accepted):
        return None
    names = " or ".join(kind.name for kind in claimed)
    shows = " or ".join(kind.shows for kind in claimed)
    return f"not {names}: its first bytes are not {shows}"


def decoded_prefix(prefix: bytes, encoding: str) -> bytes | None:
    """The start of a part decoded from its transfer encoding, though cut anywhere; None for an
    encoding not decoded here (x-uuencode and the like: the part is then fetched unjudged)."""
    encoding = encoding.lower().strip()
    if encoding == "base64":
        # Line breaks and stray characters are ignored by decoders; a quantum cut short is
        # dropped, so the bytes returned are only ever the part's own.
        chars = prefix.translate(None, _NOT_BASE64)
        chars = chars[: len(chars) - len(chars) % 4]
        try:
            return binascii.a2b_base64(chars)
        except binascii.Error:  # padding in the middle: not base64 a reader would decode
            return None
    if encoding == "quoted-printable":
        escape = prefix.rfind(b"=", max(len(prefix) - 2, 0))
        return binascii.a2b_qp(prefix if escape == -1 else prefix[:escape])
    if encoding in _AS_IS:
        return prefix
    return None
