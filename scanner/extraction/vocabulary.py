"""The words that tell what kind of document a text is, in English, German, French and Spanish.

Each kind has the words a title, a subject or a file name uses for it; "invoice" covers payment
receipts and credit notes. The other kinds are what a mailbox holds beside invoices and must not
be taken for them: quotations, order confirmations, shipping and delivery notes, newsletters,
meeting papers, account mails, contracts and terms, CVs, price lists and bank statements.
"""

from __future__ import annotations

import re

INVOICE = "invoice"

_KINDS = {
    INVOICE: r"invoices?|tax\s+invoice|\w*rechnung|facture|factura|receipts?|quittung|reçu|recu"
    r"|recibo|credit\s+note|gutschrift|avoir|nota\s+de\s+cr[ée]dito|bill|payment\s+receipt"
    r"|payment\s+confirmation|zahlungsbestätigung|confirmation\s+de\s+paiement"
    r"|confirmaci[óo]n\s+de\s+pago|payment\s+received|zahlungseingang|paiement\s+reçu"
    r"|pago\s+recibido|kassenbon|\w*beleg|ticket\s+de\s+caisse|billing\s+statement"
    r"|amount\s+paid|total\s+paid|bezahlter\s+betrag|montant\s+payé|importe\s+pagado",
    "quote": r"quotes?|quotation|estimate|offer|proposal|angebot\w*|kostenvoranschlag|offerte"
    r"|devis|presupuesto|cotizaci[óo]n|pro\s?-?\s?forma\w*",
    "order": r"order\s+confirmation|order\s+(?:received|placed|confirmed)"
    r"|we['’]ve\s+received\s+your\s+order|auftragsbestätigung|bestellbestätigung"
    r"|bestellung\s+(?:eingegangen|bestätigt)|confirmation\s+de\s+(?:la\s+)?commande"
    r"|commande\s+confirmée|confirmaci[óo]n\s+(?:de(?:l)?\s+)?pedido|pedido\s+confirmado",
    "shipping": r"(?:has|have|been|order|items?)\s+shipped"
    r"|shipping\s+(?:confirmation|notice|notification)|on\s+its\s+way|out\s+for\s+delivery|tracking\s+(?:number|no|#)|delivery\s+note|packing\s+slip"
    r"|versandbestätigung|(?:bestellung|paket|sendung|lieferung)\s+(?:wurde\s+)?versandt|unterwegs"
    r"|lieferschein|sendungsverfolgung|(?:commande|colis)\s+(?:a\s+été\s+)?expédié\w*"
    r"|avis\s+d['’]expédition|bon\s+de\s+livraison|(?:pedido|paquete)\s+(?:ha\s+sido\s+)?enviado"
    r"|en\s+camino|albar[áa]n|n[úu]mero\s+de\s+seguimiento",
    "newsletter": r"newsletter|webinar|new\s+features?|product\s+updates?|what['’]s\s+new"
    r"|neuigkeiten|nouveautés|novedades|boletín|unsubscribe|newsletter\s+abbestellen"
    r"|se\s+désabonner|désinscri\w+|darse\s+de\s+baja|cancelar\s+suscripción",
    "meeting": r"agenda|meeting|invitation|invite|calendar|tagesordnung|besprechung|einladung"
    r"|ordre\s+du\s+jour|réunion|orden\s+del\s+día|reuni[óo]n|convocatoria|protokoll",
    "account": r"password|passwort|mot\s+de\s+passe|contraseña|verification\s+code|sign[-\s]?in"
    r"|log[-\s]?in|bestätigungscode|code\s+de\s+vérification|código\s+de\s+verificación",
    "contract": r"contracts?|\w*vertrag|contrat|contrato|engagement\s+letter|for\s+signature"
    r"|zur\s+unterschrift|à\s+signer|pour\s+signature|para\s+(?:su\s+)?firma|terms\s+(?:and|&)\s+conditions"
    r"|terms\s+of\s+service|agb|conditions\s+générales|condiciones\s+generales|datenschutz|privacy",
    "cv": r"cv|curriculum(?:\s+vitae)?|résumé|resume|lebenslauf|bewerbung|candidature|candidatura",
    "pricelist": r"price\s*list|pricelist|preisliste|liste\s+de\s+prix|tarifs|tarifas"
    r"|grille\s+tarifaire|lista\s+de\s+precios|catalog(?:ue)?|katalog|catálogo|brochure|flyer|prospekt|menu",
    "statement": r"bank\s+statement|account\s+statement|statement\s+of\s+account|kontoauszug"
    r"|relevé\s+de\s+compte|relevé\s+bancaire|extracto(?:\s+de\s+(?:su\s+)?cuenta|\s+bancario)?",
}
KIND_PATTERNS = {
    kind: re.compile(rf"(?<![^\W_])(?:{words})(?![^\W_])", re.IGNORECASE)
    for kind, words in _KINDS.items()
}
NEGATIVE_KINDS = tuple(kind for kind in _KINDS if kind != INVOICE)

# A number label of a kind: the strongest sign of what a document is.
_DOC_WORDS = {
    INVOICE: r"invoice|rechnungs?|receipt|quittungs?|belegs?|facture|factura|recibo|reçu"
    r"|gutschrifts?|credit\s+note|avoir",
    "quote": r"quote|quotation|estimate|angebots?|devis|presupuesto|cotizaci[óo]n|offer",
    "order": r"order\s+confirmation|auftrags?|bestellbestätigung",
    "shipping": r"tracking|sendungs?|lieferschein|suivi|seguimiento|delivery\s+note",
}
_NUMBER_WORDS = (
    r"(?:\s*[-‑]?\s*(?:number|no\.?|nr\.?|nummer|n\.?\s?[°º]|#|num(?:éro|ero)?)|nummer|nr\.)"
)
LABEL_PATTERNS = {
    kind: re.compile(
        rf"\b(?:{words}){_NUMBER_WORDS}|(?:n[°º]|número|numéro)\s*(?:de\s+(?:la\s+)?)?(?:{words})\b",
        re.IGNORECASE,
    )
    for kind, words in _DOC_WORDS.items()
}


# Abbreviations that invoice file names use ("INV-2026-001.pdf", "RG_123.pdf", "FAC-42.pdf").
_INVOICE_FILE_PREFIX = re.compile(r"^\s*(?:inv|rg|fac|fact|re|fa)\s?\d", re.IGNORECASE)


def kinds_in(text: str) -> set[str]:
    """The kinds whose words appear in `text`."""
    return {kind for kind, pattern in KIND_PATTERNS.items() if pattern.search(text)}


def kind_of_name(text: str) -> str | None:
    """The kind a short text names (a subject, a file name, a title): the kind named first, since
    a short text leads with its topic: "Newsletter: new invoice features" is a newsletter, "Quote
    for your invoice software" a quote, "Invoice for the webinar of May 5" an invoice."""
    first: tuple[int, str] | None = None
    for kind, pattern in KIND_PATTERNS.items():
        match = pattern.search(text)
        if match and (first is None or match.start() < first[0]):
            first = (match.start(), kind)
    if first is None and _INVOICE_FILE_PREFIX.search(text):
        return INVOICE
    return first[1] if first else None


def words_of_filename(filename: str) -> str:
    """A file name as words: separators and camel case split, the extension dropped."""
    stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", filename)
    stem = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", stem)
    return re.sub(r"[_\-.+()\[\]]+|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])", " ", stem)
