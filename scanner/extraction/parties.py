"""Companies, persons and roles: what a name or an address says about who it is.

A company name ends in a legal form ("Lieferant GmbH", "Au bon moulin SARL", "Bakker B.V.",
"Nowak Sp. z o.o."); a person's name starts with a frequent first name or a title ("Herrn",
"Mme", "Dhr."); a mailbox's display name may only name a role ("Billing", "no-reply"). The lists
are data (labels/parties.toml); the sender's address is the mail's evidence, weighed by
`vendor` after what the document itself prints.
"""

from __future__ import annotations

import re
import tomllib
from email.utils import parseaddr
from functools import cache
from pathlib import Path

from scanner.extraction.letters import LOWER, UPPER

_PARTIES = Path(__file__).parent / "labels" / "parties.toml"
_NAME_START = f"[{UPPER}0-9]"
_PERSON = re.compile(rf"(?:[{UPPER}][{LOWER}'-]+|[{UPPER}]\.)(?:\s+[{UPPER}][{LOWER}'-]+){{1,2}}")


@cache
def _data() -> dict[str, object]:
    return tomllib.loads(_PARTIES.read_text(encoding="utf-8"))


def _strings(key: str) -> list[str]:
    value = _data()[key]
    return value.split() if isinstance(value, str) else [str(item) for item in value]  # type: ignore[attr-defined]


@cache
def legal_form_pattern() -> str:
    """A legal form, as a regular expression (capital-only forms matched in capitals only)."""
    forms = sorted(_strings("legal_forms"), key=len, reverse=True)
    parts = []
    for form in forms:
        escaped = re.escape(form).replace(r"\ ", r"\s*")
        parts.append(escaped if form.isupper() else f"(?i:{escaped})")
    return "|".join(parts)


@cache
def company_pattern() -> re.Pattern[str]:
    """A company name: capitalised words up to a legal form, which ends it. A name holds a word
    of two letters or more: "1011 AB" is a Dutch postcode, not a Swedish company."""
    return re.compile(
        rf"(?P<name>(?=[^\n]{{0,60}}?[^\W\d_]{{2}}[^\n]{{0,60}}?[\s\-](?:{legal_form_pattern()}))"
        rf"{_NAME_START}[\w&.,'’+\- ]{{0,60}}?[\s\-](?:{legal_form_pattern()}))"
        r"(?![\w])"
    )


@cache
def _role_pattern() -> re.Pattern[str]:
    words = sorted(_strings("role_words"), key=len, reverse=True)
    return re.compile(
        r"\b(?:" + "|".join(re.escape(w).replace(r"\ ", r"[\s_.-]*") for w in words) + r")\b",
        re.IGNORECASE,
    )


@cache
def _person_title_pattern() -> re.Pattern[str]:
    titles = sorted(_strings("person_titles"), key=len, reverse=True)
    alternatives = "|".join(re.escape(t).replace(r"\ ", r"\s*") for t in titles)
    return re.compile(rf"^(?:{alternatives})(?:\s|$)", re.IGNORECASE)


@cache
def _first_names() -> frozenset[str]:
    return frozenset(_strings("first_names"))


@cache
def name_joiners() -> frozenset[str]:
    """The small words a company name holds in lower case ("Bakker en Zonen", "Maison du Pain")."""
    return frozenset(_strings("name_joiners"))


@cache
def countries() -> frozenset[str]:
    """Country names as printed in addresses."""
    return frozenset(_strings("countries"))


@cache
def _free_mail() -> frozenset[str]:
    return frozenset(_strings("free_mail"))


def is_company(text: str) -> bool:
    """Whether `text` is a company name with its legal form."""
    return company_pattern().fullmatch(text.strip()) is not None


def is_person(name: str) -> bool:
    """Whether `name` reads like a person's: a title first ("Herrn Max Muster"), or a frequent
    first name and one or two capitalised words."""
    name = name.strip()
    if _person_title_pattern().match(name):
        return True
    return bool(_PERSON.fullmatch(name)) and name.split()[0].lower() in _first_names()


def without_roles(name: str) -> str:
    """A display name without its role words: "Acme Billing" is "Acme"."""
    return " ".join(_role_pattern().sub(" ", name).split()).strip(" -|:,")


def sender_company(sender: str) -> str | None:
    """The sender's display name when it names a company; None for persons and role names."""
    name, address = parseaddr(sender)
    name = " ".join(name.replace('"', " ").split())
    local, _, domain = address.lower().partition("@")
    if " via " in name.lower():
        return None  # "Jane via Group": a person writing through a list
    if is_company(name):
        return name
    cleaned = without_roles(name)
    if not cleaned or not re.search(r"[^\W\d_]", cleaned):
        return None
    tokens = [t for t in re.split(r"[^\w]+", cleaned.lower()) if len(t) >= 3]
    if is_person(cleaned) or (_PERSON.fullmatch(cleaned) and any(t in local for t in tokens)):
        return None
    if any(token in domain for token in tokens):
        return cleaned
    if organisation(domain) in _free_mail():
        return None
    return None if _PERSON.fullmatch(cleaned) else cleaned


def from_person(sender: str) -> bool:
    """Whether a person wrote from this address (a colleague, a freelancer), not a system."""
    name, address = parseaddr(sender)
    local, _, domain = address.lower().partition("@")
    name = " ".join(name.replace('"', " ").split())
    tokens = [t for t in re.split(r"[^\w]+", name.lower()) if len(t) >= 3]
    if is_person(name) or (_PERSON.fullmatch(name) and any(t in local for t in tokens)):
        return True
    return organisation(domain) in _free_mail() and not _role_pattern().search(local)


def domain_company(sender: str) -> str | None:
    """A company name read from the sender's domain, None for free-mail providers."""
    _, address = parseaddr(sender)
    name = organisation(address.lower().partition("@")[2])
    if not name or name in _free_mail():
        return None
    return " ".join(part.capitalize() for part in re.split(r"[-_]+", name) if part)


def sender_organisation(sender: str) -> str | None:
    """The registrable name of the sender's domain, None for free mail ("acme")."""
    _, address = parseaddr(sender)
    name = organisation(address.lower().partition("@")[2])
    return name if name and name not in _free_mail() else None


def top_level_domain(sender: str) -> str | None:
    """The top-level domain of the sender's address ("de" for billing@acme.de)."""
    _, address = parseaddr(sender)
    domain = address.rpartition("@")[2].lower().rstrip(".")
    return domain.rpartition(".")[2] or None if "." in domain else None


def organisation(domain: str) -> str:
    """The registrable name of a domain: "acme" for mail.acme.co.uk."""
    labels = [label for label in domain.lower().split(".") if label]
    if len(labels) >= 3 and labels[-2] in {"co", "com", "org", "net", "ac", "gov", "or", "ne"}:
        return labels[-3]
    return labels[-2] if len(labels) >= 2 else ""


def is_free_mail(name: str) -> bool:
    """Whether a domain's registrable name is a free mail provider's (or an example's)."""
    return name in _free_mail()
