"""BODYSTRUCTURE into numbered parts, and the search criteria of a GROUPS scan."""

from __future__ import annotations

from imapclient.response_parser import parse_fetch_response

from scanner.folders import any_of
from scanner.structure import structure_of

# A mail with a text/html alternative, a PDF named with RFC 2231, and a forwarded mail holding
# a text body and an XML attachment; as Dovecot answers FETCH BODYSTRUCTURE.
RESPONSE = (
    b'1 (UID 9 BODYSTRUCTURE ((("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 12 1 NIL NIL NIL)'
    b'("text" "html" ("charset" "utf-8") NIL NIL "quoted-printable" 40 2 NIL NIL NIL) "alternative"'
    b' ("boundary" "b2") NIL NIL)'
    b'("application" "pdf" NIL NIL NIL "base64" 4000 NIL ("attachment" ("filename*"'
    b" \"utf-8''Rechnung%20M%C3%A4rz.pdf\")) NIL)"
    b'("message" "rfc822" NIL NIL NIL "7bit" 900 (NIL "Invoice 5" NIL NIL NIL NIL NIL NIL NIL NIL)'
    b' (("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 5 1 NIL NIL NIL)'
    b'("application" "xml" ("name" "inv.xml") NIL NIL "base64" 600 NIL NIL NIL) "mixed"'
    b' ("boundary" "b3") NIL NIL) 30 NIL ("attachment" NIL) NIL)'
    b' "mixed" ("boundary" "b1") NIL NIL))'
)


def test_sections_types_names_and_sizes() -> None:
    body = parse_fetch_response([RESPONSE])[9][b"BODYSTRUCTURE"]
    structure = structure_of(body, max_depth=20)
    assert not structure.single and not structure.too_deep
    plain, html, pdf, forwarded = structure.parts
    assert (plain.section, plain.content_type, plain.is_text_body) == ("1.1", "text/plain", True)
    assert (html.section, html.encoding) == ("1.2", "quoted-printable")
    assert (pdf.section, pdf.filename, pdf.decoded_size) == ("2", "Rechnung März.pdf", 3000)
    assert forwarded.section == "3" and forwarded.is_forwarded
    assert forwarded.nested_subject == "Invoice 5"
    assert [(p.section, p.filename) for p in forwarded.nested] == [("3.1", ""), ("3.2", "inv.xml")]


def test_nesting_beyond_the_limit_is_flagged() -> None:
    body = parse_fetch_response([RESPONSE])[9][b"BODYSTRUCTURE"]
    assert structure_of(body, max_depth=1).too_deep


def test_or_of_many_keys() -> None:
    terms = [["TO", "a"], ["TO", "b"], ["HEADER", "Delivered-To", "c"]]
    assert any_of(terms) == ["OR", "TO", "a", "OR", "TO", "b", "HEADER", "Delivered-To", "c"]
    assert any_of([["TO", "a"]]) == ["TO", "a"]
