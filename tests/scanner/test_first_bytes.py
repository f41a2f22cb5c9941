"""Judging a part by its first bytes: the prefix decoded though cut anywhere, then checked
against the kinds it claims to be (scanner/signatures.toml)."""

from __future__ import annotations

import base64
import binascii
import io
import random
import zipfile

import pytest
from PIL import Image

from scanner.extraction.pdf_text import looks_like_pdf
from scanner.extraction.structured import looks_like_xml
from scanner.first_bytes import PEEK_BYTES, claimed_kinds, decoded_prefix, kinds, mismatch
from scanner.ocr.decide import IMAGE_SUFFIXES, IMAGE_TYPES

NOISE = random.Random(21).randbytes(4096)
PDF_REASON = "not a PDF: its first bytes are not %PDF-"


def image(format_: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, format_)
    return out.getvalue()


def office_document() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("word/media/image1.png", NOISE)  # a large one: its first 2 KB all ZIP
    return out.getvalue()


def test_base64_cut_mid_line_decodes_to_the_parts_own_bytes() -> None:
    payload = b"%PDF-1.7\n" + NOISE
    encoded = base64.encodebytes(payload).replace(b"\n", b"\r\n")  # 76 per line, as mail has it
    for cut in (PEEK_BYTES, 1001, 77, 78, 79, 5):
        first = decoded_prefix(encoded[:cut], "base64")
        assert first is not None and first == payload[: len(first)]
        assert len(first) >= (cut - 2 * (cut // 78) - 3) * 3 // 4  # at most one quantum lost
    assert decoded_prefix(base64.b64encode(b"tiny"), "BASE64") == b"tiny"  # padding kept


def test_base64_with_stray_characters_and_padding_in_the_middle() -> None:
    assert decoded_prefix(b"JVBE\r\n Ri0x\t!!", "base64") == b"%PDF-1"
    # Padding ends the data, as for the decoder that reads the part whole (binascii's).
    assert decoded_prefix(b"JV==JVBE", "base64") == b"%"
    assert decoded_prefix(b"J===", "base64") is None  # no decoder makes bytes of it


def test_quoted_printable_cut_inside_an_escape() -> None:
    encoded = binascii.b2a_qp(b"<?xml version='1.0'?>\xef\xbb\xbf=tail", istext=False)
    assert decoded_prefix(encoded, "quoted-printable") == b"<?xml version='1.0'?>\xef\xbb\xbf=tail"
    cut = encoded[: encoded.index(b"=BB") + 2]  # "...=EF=B": the last escape half there
    assert decoded_prefix(cut, "quoted-printable") == b"<?xml version='1.0'?>\xef"
    assert decoded_prefix(b"%PDF-1.4 line=\r", "quoted-printable") == b"%PDF-1.4 line"


def test_identity_encodings_as_is_and_unknown_ones_undecided() -> None:
    for encoding in ("7bit", "8bit", "binary", ""):
        assert decoded_prefix(b"\x89PNG", encoding) == b"\x89PNG"
    assert decoded_prefix(b"begin 644 invoice.pdf", "x-uuencode") is None


def test_random_bytes_and_an_office_document_named_pdf_are_not_pdfs() -> None:
    assert mismatch("invoice.pdf", "application/pdf", NOISE) == PDF_REASON
    assert mismatch("invoice.pdf", "application/octet-stream", office_document()) == PDF_REASON
    assert mismatch("Rechnung", "application/pdf; name=Rechnung", NOISE) == PDF_REASON


def test_pdf_header_within_the_first_1024_bytes() -> None:
    assert mismatch("invoice.pdf", "application/pdf", b"%PDF-1.7\n" + NOISE) is None
    assert mismatch("invoice.pdf", "application/pdf", NOISE[:500] + b"%PDF-1.4" + NOISE) is None
    assert mismatch("invoice.pdf", "application/pdf", NOISE[:1019] + b"%PDF-1.4") is None
    assert mismatch("invoice.pdf", "application/pdf", NOISE[:1020] + b"%PDF-1.4") == PDF_REASON


def test_too_few_bytes_to_tell_is_no_verdict_unless_they_are_all() -> None:
    short = NOISE[:600]  # a quoted-printable prefix can decode to less than 1024 bytes
    assert mismatch("invoice.pdf", "application/pdf", short) is None
    assert mismatch("invoice.pdf", "application/pdf", short, complete=True) == PDF_REASON


@pytest.mark.parametrize(
    "first",
    [
        b"<?xml version='1.0' encoding='UTF-8'?><rsm:CrossIndustryInvoice/>",
        b"\xef\xbb\xbf\r\n  <?xml version='1.0'?><Invoice/>",
        b"<Invoice xmlns='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'/>",
        b"<!-- exported by ERP --><Invoice/>",
        "\ufeff<?xml version='1.0' encoding='UTF-16'?>".encode("utf-16-le"),
        " <Invoice/>".encode("utf-16-be"),
    ],
)
def test_xml_may_start_with_a_bom_and_whitespace(first: bytes) -> None:
    assert mismatch("factur-x.xml", "application/xml", first + b" " * 2048) is None


def test_xml_that_is_not() -> None:
    reason = mismatch("invoice.xml", "text/xml", b"%PDF-1.4\n" + NOISE)
    assert reason == (
        "not an XML document: its first bytes are not < (after a byte-order mark and whitespace)"
    )


@pytest.mark.parametrize(
    ("filename", "content_type", "format_"),
    [
        ("invoice.jpg", "image/jpeg", "JPEG"),
        ("IMG_2041.JPEG", "image/pjpeg", "JPEG"),
        ("scan.png", "image/png", "PNG"),
        ("scan.tif", "image/tiff", "TIFF"),
        ("photo.webp", "image/webp", "WEBP"),
    ],
)
def test_images_match_their_kind(filename: str, content_type: str, format_: str) -> None:
    first = image(format_)
    assert mismatch(filename, content_type, first + NOISE) is None
    assert mismatch(filename, content_type, NOISE).startswith("not a")  # type: ignore[union-attr]


def test_an_image_named_as_another_image_is_still_an_image() -> None:
    assert mismatch("invoice.jpg", "image/jpeg", image("PNG") + NOISE) is None
    assert mismatch("scan.png", "application/octet-stream", image("JPEG") + NOISE) is None
    assert mismatch("invoice.jpg", "image/jpeg", b"%PDF-1.4" + NOISE) == (
        "not a JPEG image: its first bytes are not FF D8 FF"
    )


def test_big_endian_tiff_and_a_riff_that_is_not_webp() -> None:
    assert mismatch("scan.tiff", "image/tiff", b"MM\x00*" + NOISE) is None
    assert mismatch("photo.webp", "image/webp", b"RIFF\x10\x00\x00\x00WAVEfmt " + NOISE) == (
        "not a WebP image: its first bytes are not RIFF....WEBP"
    )


def test_a_part_claiming_two_kinds_may_be_either() -> None:
    jpeg = image("JPEG") + NOISE
    assert mismatch("invoice.jpg", "application/pdf", jpeg) is None
    assert mismatch("invoice.jpg", "application/pdf", NOISE) == (
        "not a PDF or a JPEG image: its first bytes are not %PDF- or FF D8 FF"
    )


def test_a_part_claiming_no_known_kind_is_not_judged() -> None:
    assert mismatch("invoice", "application/octet-stream", NOISE) is None


def test_every_type_and_suffix_a_scan_fetches_claims_a_kind() -> None:
    types = [*IMAGE_TYPES, "application/pdf", "application/x-pdf", "application/xml", "text/xml"]
    for content_type in types:
        assert claimed_kinds("", content_type), content_type
        assert (
            looks_like_pdf("", content_type)
            or looks_like_xml("", content_type)
            or (content_type in IMAGE_TYPES)
        )
    for suffix in (*IMAGE_SUFFIXES, ".pdf", ".xml"):
        assert claimed_kinds(f"invoice{suffix.upper()}", ""), suffix
    assert [kind.name for kind in kinds()] == [
        "a PDF",
        "an XML document",
        "a JPEG image",
        "a PNG image",
        "a TIFF image",
        "a WebP image",
    ]
