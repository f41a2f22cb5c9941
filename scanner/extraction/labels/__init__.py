"""The invoice vocabulary of fourteen languages, loaded once from the TOML files beside this module.

Each concept (a kind of document, a field's label) becomes one compiled pattern over every
language: a document may mix them, and a label must be found before its language is known.
`find_labels` reads a piece of text as the labels it holds, left to right and without overlap,
the longest label winning where two start together ("Invoice date" over "Invoice"). The phrase
syntax is in README.md.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from scanner.extraction.labels.phrases import Phrases, phrase_regex

_HERE = Path(__file__).parent
LANGUAGES = ("en", "de", "fr", "es", "nl", "it", "pt", "pl", "sv", "da", "no", "cs", "sk", "fi")

# The field labels `find_labels` reports; the order settles a tie between two labels of the same
# span ("total" is both a plain total in one language and part of another's grand total).
LABEL_CONCEPTS = (
    "invoice_number",
    "issue_date",
    "due_date",
    "amount_due",
    "grand_total",
    "net",
    "tax",
    "other_amount",
    "other_date",
    "tax_id",
    "bank",
    "other_number",
    "currency",
    "tax_currency",
    "recipient",
    "seller",
    "name",
    "total",
    "date",
)
# Labels only ever read next to something else: a number word after a document word, "of"
# between an invoice's number and its date, a tax marker inside a total's label.
HELPER_CONCEPTS = (
    "number",
    "date_of",
    "tax_included",
    "payment_days",
    "payment_terms",
    "payable",
    "until",
    "introduction",
    "invoice_total",
    "letter_date",
)


@dataclass(frozen=True, slots=True)
class Label:
    """A label found in a text: its concept and where it is."""

    concept: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class LanguageData:
    """One language file as read: its common words, mail formulas and phrases per concept."""

    language: str
    common_words: tuple[str, ...]
    file_abbreviations: tuple[str, ...]
    closing: tuple[str, ...]
    greeting: tuple[str, ...]
    documents: dict[str, tuple[str, ...]]
    number_labels: dict[str, tuple[str, ...]]
    labels: dict[str, tuple[str, ...]]


def _read(language: str) -> LanguageData:
    data = tomllib.loads((_HERE / f"{language}.toml").read_text(encoding="utf-8"))
    return LanguageData(
        language=data["language"],
        common_words=tuple(data["common_words"].split()),
        file_abbreviations=tuple(data.get("file_abbreviations", ())),
        closing=tuple(data["closing"]),
        greeting=tuple(data["greeting"]),
        documents={kind: tuple(words) for kind, words in data["document"].items()},
        number_labels={kind: tuple(words) for kind, words in data["number_label"].items()},
        labels={concept: tuple(words) for concept, words in data["label"].items()},
    )


@cache
def languages() -> tuple[LanguageData, ...]:
    """Every language file, in LANGUAGES order."""
    return tuple(_read(language) for language in LANGUAGES)


def _merged(field: str) -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for language in languages():
        for concept, phrases in getattr(language, field).items():
            merged.setdefault(concept, []).extend(phrases)
    return merged


def concept_pattern(phrases: Iterable[str]) -> re.Pattern[str]:
    """One regular expression matching any of `phrases`, longer phrases tried first."""
    unique = sorted(set(phrases), key=len, reverse=True)
    return re.compile("|".join(f"(?:{phrase_regex(p)})" for p in unique), re.IGNORECASE)


def _phrases_of(merged: dict[str, list[str]]) -> dict[str, Phrases]:
    return {concept: Phrases((concept, p) for p in words) for concept, words in merged.items()}


@cache
def document_patterns() -> dict[str, Phrases]:
    """The words that name each kind of document, over all languages."""
    return _phrases_of(_merged("documents"))


@cache
def number_label_patterns() -> dict[str, Phrases]:
    """Each kind's number labels ("Invoice No.", "Angebotsnummer"), over all languages."""
    return _phrases_of(_merged("number_labels"))


@cache
def label_patterns() -> dict[str, Phrases]:
    """Each field concept's labels, over all languages."""
    merged = _merged("labels")
    return _phrases_of({c: merged[c] for c in (*LABEL_CONCEPTS, *HELPER_CONCEPTS)})


def label_pattern(concept: str) -> Phrases:
    """The labels of one concept."""
    return label_patterns()[concept]


@cache
def _all_labels() -> Phrases:
    merged = _merged("labels")
    return Phrases((concept, phrase) for concept in LABEL_CONCEPTS for phrase in merged[concept])


def find_labels(text: str) -> tuple[Label, ...]:
    """The field labels (LABEL_CONCEPTS) in `text`, left to right, none overlapping another;
    where two start together the longer phrase wins, then the concept listed first."""
    return _find_labels(text)


@lru_cache(maxsize=8192)
def _find_labels(text: str) -> tuple[Label, ...]:
    # Cells, lines and label contexts repeat within a document and across a scan's documents.
    phrases = _all_labels()
    return tuple(
        Label(phrases.concept_of(match), match.start(), match.end())
        for match in phrases.finditer(text)
    )


@cache
def mail_formula_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """A closing formula alone on its line ("Kind regards,"), and a greeting opening one."""
    closings = [p for language in languages() for p in language.closing]
    greetings = [p for language in languages() for p in language.greeting]
    closing = re.compile(
        rf"^\s*(?:{concept_pattern(closings).pattern})[^\n]{{0,30}}$", re.IGNORECASE
    )
    greeting = re.compile(rf"^(?:{concept_pattern(greetings).pattern})", re.IGNORECASE)
    return closing, greeting


@cache
def invoice_file_prefix() -> re.Pattern[str]:
    """An invoice file name's abbreviation before its number ("INV-2026-001", "RG_123")."""
    words = sorted({w for language in languages() for w in language.file_abbreviations}, key=len)
    alternatives = "|".join(re.escape(word) for word in reversed(words))
    return re.compile(rf"^\s*(?:{alternatives})\s?\d", re.IGNORECASE)


@cache
def common_word_languages() -> dict[str, tuple[str, ...]]:
    """Each common word and the languages it is common in."""
    found: dict[str, list[str]] = {}
    for language in languages():
        for word in language.common_words:
            found.setdefault(word, []).append(language.language)
    return {word: tuple(langs) for word, langs in found.items()}
