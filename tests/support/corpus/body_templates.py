"""Invoices and receipts written into the mail body: HTML layouts and plain-text layouts.

The HTML layouts follow what payment processors, ride apps, app stores and SaaS tools send:
nested presentation tables, inline styles, the amounts in their own cells. Each prints exactly
one number label (no "order ID" beside the receipt number), so the ground truth is unambiguous.
"""

from __future__ import annotations

from html import escape

from tests.support.corpus.documents import InvoiceDoc

_PHRASES = {
    "en": {
        "receipt_from": "Receipt from",
        "method": "Payment method",
        "summary": "Summary",
        "questions": "Questions? Contact us at",
        "ride": "Thanks for riding, Marie",
        "hello": "Hello Marie,",
        "invoice": "here is your invoice. Thank you for your business.",
        "receipt": "thanks for your payment. Here is your receipt.",
        "order": "thank you for your order. We will let you know when it ships.",
        "pay": "Pay invoice",
        "bye": "Best regards,",
    },
    "de": {
        "receipt_from": "Beleg von",
        "method": "Zahlungsart",
        "summary": "Übersicht",
        "questions": "Fragen? Schreiben Sie uns an",
        "ride": "Danke für deine Fahrt, Marie",
        "hello": "Guten Tag Frau Keller,",
        "invoice": "vielen Dank für Ihren Auftrag. Hier ist Ihre Rechnung.",
        "receipt": "vielen Dank für Ihre Zahlung. Hier ist Ihr Beleg.",
        "order": "vielen Dank für Ihre Bestellung. Wir melden uns, sobald sie versandt ist.",
        "pay": "Jetzt bezahlen",
        "bye": "Mit freundlichen Grüßen",
    },
    "fr": {
        "receipt_from": "Reçu de",
        "method": "Moyen de paiement",
        "summary": "Récapitulatif",
        "questions": "Une question ? Écrivez-nous à",
        "ride": "Merci d'avoir voyagé avec nous",
        "hello": "Bonjour Madame Keller,",
        "invoice": "voici votre facture. Merci de votre confiance.",
        "receipt": "merci pour votre paiement. Voici votre reçu.",
        "order": "merci pour votre commande. Nous vous préviendrons de son expédition.",
        "pay": "Régler la facture",
        "bye": "Cordialement,",
    },
    "es": {
        "receipt_from": "Recibo de",
        "method": "Forma de pago",
        "summary": "Resumen",
        "questions": "¿Dudas? Escríbenos a",
        "ride": "Gracias por viajar con nosotros",
        "hello": "Hola, Marie:",
        "invoice": "te enviamos tu factura. Gracias por confiar en nosotros.",
        "receipt": "gracias por tu pago. Aquí tienes tu recibo.",
        "order": "gracias por tu pedido. Te avisaremos cuando salga.",
        "pay": "Pagar factura",
        "bye": "Un saludo,",
    },
}

_PAGE = (
    '<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>'
    "</head>\n<body style=\"margin:0;background:#f6f9fc;font-family:-apple-system,'Segoe UI',"
    'Roboto,Helvetica,Arial,sans-serif;color:#32325d">\n<table role="presentation" width="100%" '
    'cellpadding="0" cellspacing="0"><tr><td align="center" style="padding:32px 0">\n'
    '<table role="presentation" width="520" cellpadding="0" cellspacing="0" '
    'style="background:#ffffff;border-radius:8px;padding:32px">\n{content}\n</table>\n'
    "</td></tr></table>\n</body></html>\n"
)


def _cell(text: str, *, right: bool = False, bold: bool = False) -> str:
    style = "padding:6px 0;font-size:14px" + (";text-align:right" if right else "")
    inner = f"<strong>{escape(text)}</strong>" if bold else escape(text)
    return f'<td style="{style}">{inner}</td>'


def _lines_and_totals(doc: InvoiceDoc) -> str:
    labels = doc.labels
    rows = [
        f"<tr>{_cell(item.description)}{_cell(doc.money_text(doc.amount(item)), right=True)}</tr>"
        for item in doc.lines
    ]
    rate = f"{doc.tax_rate.normalize():f}"
    rows += [
        f"<tr>{_cell(labels.subtotal)}{_cell(doc.money_text(doc.subtotal), right=True)}</tr>",
        f"<tr>{_cell(f'{labels.tax} ({rate} %)')}{_cell(doc.money_text(doc.tax), right=True)}</tr>",
        f"<tr>{_cell(labels.total, bold=True)}"
        f"{_cell(doc.money_text(doc.total), right=True, bold=True)}</tr>",
    ]
    return '<table role="presentation" width="100%">' + "".join(rows) + "</table>"


def _footer(doc: InvoiceDoc) -> str:
    words = _PHRASES[doc.lang]
    seller = doc.seller
    return (
        '<tr><td style="padding-top:24px;font-size:12px;color:#8898aa">'
        f'{escape(words["questions"])} <a href="mailto:{seller.email}">{seller.email}</a><br>'
        f"{escape(seller.name)} · {escape(', '.join(seller.address))}</td></tr>"
    )


def receipt_html(doc: InvoiceDoc, card: str = "Visa •••• 4242") -> str:
    """A payment processor's receipt: headline figures, then the summary table."""
    words, labels = _PHRASES[doc.lang], doc.labels
    content = (
        f'<tr><td><h1 style="font-size:22px;font-weight:500">{escape(words["receipt_from"])} '
        f"{escape(doc.seller.name)}</h1>"
        f'<p style="color:#8898aa">{escape(labels.number)} #{escape(doc.number)}</p></td></tr>\n'
        '<tr><td><table role="presentation" width="100%"><tr>'
        f"<td>{escape(labels.total)}<br><strong>{escape(doc.money_text(doc.total))}</strong></td>"
        f"<td>{escape(labels.date)}<br><strong>{escape(doc.date_text(doc.issued))}</strong></td>"
        f"<td>{escape(words['method'])}<br><strong>{escape(card)}</strong></td>"
        "</tr></table></td></tr>\n"
        f'<tr><td><h2 style="font-size:12px;text-transform:uppercase;color:#8898aa">'
        f"{escape(words['summary'])}</h2>{_lines_and_totals(doc)}</td></tr>\n" + _footer(doc)
    )
    return _PAGE.format(lang=doc.lang, title=escape(labels.title), content=content)


def ride_html(doc: InvoiceDoc, route: tuple[str, str]) -> str:
    """A ride-hailing receipt: the total large, the route, then the fare breakdown."""
    words, labels = _PHRASES[doc.lang], doc.labels
    content = (
        f'<tr><td style="font-size:13px;color:#8898aa">{escape(doc.seller.name)} · '
        f"{escape(doc.date_text(doc.issued))}</td></tr>\n"
        f'<tr><td><h1 style="font-size:26px">{escape(words["ride"])}</h1></td></tr>\n'
        f'<tr><td style="font-size:32px;font-weight:700">{escape(labels.total)} '
        f"{escape(doc.money_text(doc.total))}</td></tr>\n"
        f'<tr><td style="padding:12px 0;font-size:14px">● {escape(route[0])}<br>■ '
        f"{escape(route[1])}</td></tr>\n"
        f"<tr><td>{_lines_and_totals(doc)}</td></tr>\n"
        f'<tr><td style="font-size:12px">{escape(labels.number)}: {escape(doc.number)}</td></tr>\n'
        + _footer(doc)
    )
    return _PAGE.format(lang=doc.lang, title=escape(labels.title), content=content)


def invoice_html(doc: InvoiceDoc, pay_link: str | None = None) -> str:
    """A SaaS or shop invoice: title and meta fields, the table, a pay button, the footer."""
    words, labels = _PHRASES[doc.lang], doc.labels
    meta = [(labels.number, doc.number), (labels.date, doc.date_text(doc.issued))]
    if doc.due is not None:
        meta.append((labels.due, doc.date_text(doc.due)))
    meta_rows = "".join(
        f"<tr>{_cell(label)}{_cell(value, right=True)}</tr>" for label, value in meta
    )
    button = (
        f'<tr><td style="padding:16px 0"><a href="{pay_link}" style="background:#635bff;'
        f'color:#fff;padding:10px 18px;border-radius:4px;text-decoration:none">'
        f"{escape(words['pay'])}</a></td></tr>\n"
        if pay_link
        else ""
    )
    content = (
        f'<tr><td style="font-size:18px;font-weight:700">{escape(doc.seller.name)}</td></tr>\n'
        f"<tr><td><p>{escape(words['hello'])}<br>{escape(words[doc.kind])}</p></td></tr>\n"
        f'<tr><td><h1 style="font-size:20px">{escape(labels.title)}</h1>'
        f'<table role="presentation" width="100%">{meta_rows}</table></td></tr>\n'
        f"<tr><td>{_lines_and_totals(doc)}</td></tr>\n{button}" + _footer(doc)
    )
    return _PAGE.format(lang=doc.lang, title=escape(labels.title), content=content)


def invoice_text(doc: InvoiceDoc, *, signature: bool = True) -> str:
    """The plain-text invoice many tools send (or put beside their HTML): fields, lines, totals."""
    words, labels = _PHRASES[doc.lang], doc.labels
    lines = [words["hello"], "", words[doc.kind], "", f"{labels.number}: {doc.number}"]
    lines.append(f"{labels.date}: {doc.date_text(doc.issued)}")
    if doc.due is not None:
        lines.append(f"{labels.due}: {doc.date_text(doc.due)}")
    lines.append("")
    lines += [f"  {i.description:<48} {doc.money_text(doc.amount(i)):>14}" for i in doc.lines]
    rate = f"{doc.tax_rate.normalize():f}"
    lines += [
        "",
        f"  {labels.subtotal:<48} {doc.money_text(doc.subtotal):>14}",
        f"  {labels.tax + ' ' + rate + ' %':<48} {doc.money_text(doc.tax):>14}",
        f"  {labels.total:<48} {doc.money_text(doc.total):>14}",
        "",
    ]
    if signature:
        lines += [words["bye"], doc.seller.name, ", ".join(doc.seller.address), doc.seller.vat_id]
    return "\n".join(lines) + "\n"


def ticket_text(doc: InvoiceDoc) -> str:
    """A terse machine receipt (parking, vending): a few lines, the total, then the company."""
    labels = doc.labels
    lines = [
        labels.title,
        f"{labels.number} {doc.number}",
        doc.date_text(doc.issued),
        "",
        *(f"{i.description}  {doc.money_text(doc.amount(i))}" for i in doc.lines),
        f"{labels.tax} {doc.tax_rate.normalize():f} %  {doc.money_text(doc.tax)}",
        f"{labels.total}  {doc.money_text(doc.total)}",
        "",
        doc.seller.name,
        ", ".join(doc.seller.address),
        doc.seller.vat_id,
    ]
    return "\n".join(lines) + "\n"
