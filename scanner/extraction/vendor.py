"""Who issued an invoice, when no e-invoice XML names the seller.

In order: the sender's display name when it names a company (not "no-reply", not a person, and
for a forwarded mail the original sender, not the one who forwarded it); else a company name in
the document's first or last lines (a line with a legal form: GmbH, Ltd, Inc, SARL, S.L., ...),
skipping the recipient's block; else the name in the sender's domain ("billing@acme.com": Acme).
"""

from __future__ import annotations

import re
from email.utils import parseaddr

from scanner.extraction.vocabulary import kind_of_name

_LEGAL_FORM = (
    r"GmbH\s*&\s*Co\.?(?:\s*KG)?|GmbH|gGmbH|mbH|mbB|AG|KG|KGaA|OHG|PartG|a\.\s?G\.|e\.\s?V\.|e\.\s?K\."
    r"|UG(?:\s*\(haftungsbeschränkt\))?|GbR|Ltd\.?|Limited|Pty\.?\s+Ltd\.?|Inc\.?|LLC|L\.L\.C\.|LLP"
    r"|PLC|plc|Corp\.?|Corporation|Co\.|Company|K\.K\.|SARL|S\.A\.R\.L\.|SAS|S\.A\.S\.|SASU|EURL"
    r"|SNC|SCP|SA|S\.A\.|SE|SCI|SRL|S\.R\.L\.|et\s+Cie|&\s+Cie|S\.L\.P\.|S\.L\.U?\.?|SLU?|S\.L\.N\.E\."
    r"|S\.Coop\.|BV|B\.V\.|NV|N\.V\.|Oy|AB|ApS|A/S|AS|S\.p\.A\.|S\.r\.l\."
)
_COMPANY = re.compile(rf"(?P<name>[A-ZÄÖÜÉ0-9][\w&.,'’\- ]{{0,60}}?\s(?:{_LEGAL_FORM}))(?![\w])")
_GENERIC = re.compile(
    r"\b(?:no[-_. ]?reply|do[-_. ]?not[-_. ]?reply|ne\s+pas\s+répondre|nicht\s+antworten"
    r"|no\s+responder|notifications?|billing|invoices?|invoicing"
    r"|receipts?|payments?|accounts?|accounting|buchhaltung|rechnung(?:en)?|rechnungsstelle"
    r"|facturation|factures?|facturas?|facturación|support|service|customer\s+service|team"
    r"|info|admin|mailer[-_ ]daemon|postmaster|hello|contact|kundenservice|sales|orders?)\b",
    re.IGNORECASE,
)
_RECIPIENT = re.compile(
    r"\b(?:bill(?:ed)?\s+to|invoice\s+to|ship\s+to|sold\s+to|customer|client|kunde|empfänger"
    r"|rechnungsempfänger|rechnungsadresse|lieferadresse|käufer|destinataire|facturé\s+à"
    r"|cliente|facturar\s+a)\b",
    re.IGNORECASE,
)
_FREE_MAIL = frozenset(
    "gmail googlemail yahoo hotmail outlook live msn icloud me mac aol gmx web t-online "
    "freenet posteo mailbox proton protonmail orange free laposte sfr wanadoo yandex mail zoho "
    # Reserved for examples (RFC 2606): they name no one.
    "example test invalid localhost".split()
)
_PERSON = re.compile(
    r"(?:[A-ZÄÖÜÉÁ][a-zäöüßéèáíóúñç'-]+|[A-Z]\.)(?:\s+[A-ZÄÖÜÉÁ][a-zäöüßéèáíóúñç'-]+){1,2}"
)
# Frequent first names of the four languages' countries: a display name that starts with one
# and reads like a name ("Anna Muster") is a person, even where the domain carries the surname.
_FIRST_NAMES = frozenset(
    "james john robert michael william david richard joseph thomas charles mary patricia jennifer "
    "linda elizabeth barbara susan jessica sarah karen emma olivia sophie rebecca lucy anna "
    "peter paul mark daniel matthew andrew chris christopher tom oliver jack harry george "
    "hans klaus jürgen michael stefan andreas thomas markus frank uwe jan tim lukas jonas "
    "maria ursula monika petra sabine julia katrin jana laura lena lea hannah marie anja "
    "jean pierre michel philippe alain nicolas françois luc julien antoine louis "
    "sophie isabelle nathalie catherine camille claire juliette chloé manon élodie "
    "josé antonio manuel francisco javier carlos jesús miguel pedro pablo alejandro luis "
    "carmen lucía lucia ana isabel pilar dolores elena cristina marta sara paula".split()
)
# "Receipt from Notion Labs, Inc.": the company is what follows.
_INTRODUCTION = re.compile(
    r"^(?:(?:your\s+)?(?:receipt|invoice|bill|payment)\s+(?:from|to)|(?:rechnung|quittung|beleg)"
    r"\s+von|(?:facture|reçu)\s+de|(?:factura|recibo)\s+de|thanks?\s+(?:you\s+)?for\s+\w+\s+with"
    r"|danke\s+für\s+\w+\s+\w+\s+bei|merci\s+pour\s+\w+\s+\w+\s+chez)\s+",
    re.IGNORECASE,
)
_EDGE_LINES = 15
# A recipient's block: the label, a name, a street, a town and a country.
_RECIPIENT_LINES = 5
_CLOSING = re.compile(
    r"^\s*(?:(?:kind|best|warm)\s+regards|regards|best|thanks|thank\s+you|sincerely|cheers"
    r"|(?:mit\s+)?(?:freundlichen|besten|viele|herzliche|liebe)\s+grüßen?|(?:viele\s+)?grüße"
    r"|(?:bien\s+)?cordialement|salutations(?:\s+distinguées)?|bien\s+à\s+vous|merci"
    r"|(?:un\s+)?saludos?|atentamente|cordialmente|gracias)\b[^\n]{0,30}$",
    re.IGNORECASE,
)
_GREETING = re.compile(
    r"^(?:hello|hi|dear|hallo|guten|sehr|liebe|lieber|bonjour|madame|monsieur|hola|estimad[oa]"
    r"|buenos|buenas)\b",
    re.IGNORECASE,
)
_JOINERS = frozenset({"&", "und", "and", "et", "y", "de", "du", "des", "del", "la", "le", "von"})


def sender_company(sender: str) -> str | None:
    """The sender's display name when it names a company; None for persons and role names."""
    name, address = parseaddr(sender)
    name = " ".join(name.replace('"', " ").split())
    local, _, domain = address.lower().partition("@")
    if " via " in name.lower():
        return None  # "Jane via Group": a person writing through a list
    if _COMPANY.fullmatch(name):
        return name
    cleaned = " ".join(_GENERIC.sub(" ", name).split()).strip(" -|:,")
    if not cleaned or not re.search(r"[^\W\d_]", cleaned):
        return None
    tokens = [t for t in re.split(r"[^\w]+", cleaned.lower()) if len(t) >= 3]
    if _is_person(cleaned) or (_PERSON.fullmatch(cleaned) and any(t in local for t in tokens)):
        return None
    if any(token in domain for token in tokens):
        return cleaned
    if _organisation(domain) in _FREE_MAIL:
        return None
    return None if _PERSON.fullmatch(cleaned) else cleaned


def from_person(sender: str) -> bool:
    """Whether a person wrote from this address (a colleague, a freelancer), not a system."""
    name, address = parseaddr(sender)
    local, _, domain = address.lower().partition("@")
    name = " ".join(name.replace('"', " ").split())
    tokens = [t for t in re.split(r"[^\w]+", name.lower()) if len(t) >= 3]
    if _is_person(name) or (_PERSON.fullmatch(name) and any(t in local for t in tokens)):
        return True
    return _organisation(domain) in _FREE_MAIL and not _GENERIC.search(local)


def domain_company(sender: str) -> str | None:
    """A company name read from the sender's domain, None for free-mail providers."""
    _, address = parseaddr(sender)
    organisation = _organisation(address.lower().partition("@")[2])
    if not organisation or organisation in _FREE_MAIL:
        return None
    return " ".join(part.capitalize() for part in re.split(r"[-_]+", organisation) if part)


def document_company(lines: list[str]) -> str | None:
    """A company name with its legal form in a document's first or last lines, not the
    recipient's (the lines after a "Bill to" label); else the letterhead: a first line that
    is only a name."""
    recipient: set[int] = set()
    for index, line in enumerate(lines):
        if _RECIPIENT.search(line):
            recipient.update(range(index, index + _RECIPIENT_LINES))
    head = [line for i, line in enumerate(lines[:_EDGE_LINES]) if i not in recipient]
    start = max(_EDGE_LINES, len(lines) - _EDGE_LINES)
    tail = [line for i, line in enumerate(lines[start:], start) if i not in recipient]
    for line in head + tail[::-1]:
        for part in re.split(r"\s*[·•|–]\s*|\t|\s{3,}", line):
            match = _COMPANY.match(_INTRODUCTION.sub("", part.strip()))
            if match:
                return match["name"].strip()
    return _signature(lines) or (head[0].strip() if head and _name_like(head[0]) else None)


def _signature(lines: list[str]) -> str | None:
    """The company under a mail's closing formula ("Kind regards,\nJane Doe\nAcme Studio"): the
    first line there that reads like a name and not like a person's."""
    closings = [i for i, line in enumerate(lines) if _CLOSING.match(line)]
    if not closings:
        return None
    for line in lines[closings[-1] + 1 : closings[-1] + 4]:
        if _name_like(line) and not _is_person(line.strip()):
            return line.strip()
    return None


def _name_like(line: str) -> bool:
    """A letterhead or signature line: a few capitalised words, no digits, no label, no
    greeting."""
    line = line.strip()
    words = line.split()
    if not 1 <= len(words) <= 6 or any(c.isdigit() or c in ":@/,!?" for c in line):
        return False
    if kind_of_name(line) is not None or _GREETING.match(line):
        return False
    return all(word[0].isupper() or word in _JOINERS for word in words)


def _is_person(name: str) -> bool:
    return bool(_PERSON.fullmatch(name)) and name.split()[0].lower() in _FIRST_NAMES


def top_level_domain(sender: str) -> str | None:
    """The top-level domain of the sender's address ("de" for billing@acme.de)."""
    _, address = parseaddr(sender)
    domain = address.rpartition("@")[2].lower().rstrip(".")
    return domain.rpartition(".")[2] or None if "." in domain else None


def _organisation(domain: str) -> str:
    """The registrable name of a domain: "acme" for mail.acme.co.uk."""
    labels = [label for label in domain.split(".") if label]
    if len(labels) >= 3 and labels[-2] in {"co", "com", "org", "net", "ac", "gov"}:
        return labels[-3]
    return labels[-2] if len(labels) >= 2 else ""
