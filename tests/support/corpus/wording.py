"""What senders write around an attached document, in the corpus's four languages.

A template is chosen from the mail's name, so the same mail always reads the same, and mails of
one vendor do not all look alike.
"""

from __future__ import annotations

from tests.support.corpus.mime import stable_number

# (subject, body) pairs; {number} and {vendor} are filled in from the document.
INVOICE_TEXTS = {
    "en": (
        (
            "Invoice {number}",
            "Hello,\n\nplease find attached invoice {number}.\n\n"
            "Kind regards,\nAccounts team\n{vendor}\n",
        ),
        (
            "Your {vendor} invoice",
            "Hi,\n\nyour invoice {number} is attached as a PDF.\n"
            "Thank you for your business!\n\n{vendor}\n",
        ),
        (
            "{vendor}: invoice {number} attached",
            "Good afternoon,\n\nattached is our invoice {number} for the work described. "
            "Payment details are on the invoice.\n\nBest,\n{vendor}\n",
        ),
    ),
    "de": (
        (
            "Rechnung {number}",
            "Sehr geehrte Damen und Herren,\n\nanbei erhalten Sie unsere "
            "Rechnung {number}.\n\nMit freundlichen Grüßen\n{vendor}\n",
        ),
        (
            "Ihre Rechnung von {vendor}",
            "Guten Tag,\n\nim Anhang finden Sie Ihre aktuelle "
            "Rechnung als PDF.\n\nViele Grüße\n{vendor}\n",
        ),
        (
            "Rechnung Nr. {number} – {vendor}",
            "Hallo,\n\nwie besprochen schicken wir Ihnen "
            "die Rechnung {number} im Anhang.\n\nBeste Grüße\n{vendor}\n",
        ),
    ),
    "fr": (
        (
            "Facture {number}",
            "Bonjour,\n\nVeuillez trouver ci-joint notre facture n° {number}.\n\n"
            "Cordialement,\n{vendor}\n",
        ),
        (
            "Votre facture {vendor}",
            "Bonjour,\n\nVotre facture est disponible en pièce jointe.\n\n"
            "Bien cordialement,\nLe service comptabilité\n{vendor}\n",
        ),
        (
            "{vendor} – facture n° {number}",
            "Madame, Monsieur,\n\nNous vous prions de trouver "
            "ci-joint la facture {number}.\n\nSalutations distinguées,\n{vendor}\n",
        ),
    ),
    "es": (
        (
            "Factura {number}",
            "Buenos días:\n\nAdjuntamos la factura {number}.\n\nUn saludo,\n{vendor}\n",
        ),
        (
            "Su factura de {vendor}",
            "Estimado cliente:\n\nle enviamos adjunta su factura en "
            "formato PDF.\n\nAtentamente,\n{vendor}\n",
        ),
        (
            "Factura n.º {number} – {vendor}",
            "Hola,\n\ncomo acordamos, te envío la factura "
            "{number} adjunta.\n\nSaludos,\n{vendor}\n",
        ),
    ),
}

RECEIPT_TEXTS = {
    "en": (
        (
            "Your receipt from {vendor}",
            "Thanks for your payment.\n\nYour receipt {number} "
            "is attached for your records.\n\n{vendor}\n",
        ),
    ),
    "de": (
        (
            "Ihre Quittung von {vendor}",
            "Vielen Dank für Ihre Zahlung.\n\nDie Quittung "
            "{number} finden Sie im Anhang.\n\n{vendor}\n",
        ),
    ),
    "fr": (
        (
            "Votre reçu {vendor}",
            "Merci pour votre paiement.\n\nVous trouverez votre reçu "
            "n° {number} en pièce jointe.\n\n{vendor}\n",
        ),
    ),
    "es": (
        (
            "Su recibo de {vendor}",
            "Gracias por su pago.\n\nAdjuntamos el recibo {number} "
            "para su contabilidad.\n\n{vendor}\n",
        ),
    ),
}

# Mails that carry a bare XML e-invoice (XRechnung, Peppol UBL, CII).
XML_TEXTS = {
    "en": (
        (
            "E-invoice {number}",
            "Dear customer,\n\nattached is our electronic invoice {number} "
            "as an XML file (EN 16931).\n\nKind regards,\n{vendor}\n",
        ),
        (
            "Invoice {number} (Peppol)",
            "Hello,\n\nthis invoice was sent as structured data. "
            "Please import the attached XML into your accounting system.\n\n{vendor}\n",
        ),
    ),
    "de": (
        (
            "XRechnung {number}",
            "Sehr geehrte Damen und Herren,\n\nanbei erhalten Sie unsere "
            "Rechnung {number} als XRechnung (XML).\n\nMit freundlichen Grüßen\n{vendor}\n",
        ),
        (
            "E-Rechnung Nr. {number}",
            "Guten Tag,\n\ngemäß der E-Rechnungspflicht senden wir "
            "Ihnen die Rechnung {number} im XML-Format.\n\nFreundliche Grüße\n{vendor}\n",
        ),
    ),
    "fr": (
        (
            "Facture électronique {number}",
            "Bonjour,\n\nVeuillez trouver ci-joint la facture "
            "{number} au format électronique (XML).\n\nCordialement,\n{vendor}\n",
        ),
    ),
    "es": (
        (
            "Factura electrónica {number}",
            "Buenos días:\n\nle remitimos la factura {number} en "
            "formato electrónico (XML).\n\nAtentamente,\n{vendor}\n",
        ),
    ),
}

# What a colleague writes when forwarding a supplier's mail to the accounts mailbox.
FORWARD_TEXTS = {
    "en": (
        "Fwd: {subject}",
        "Hi {recipient},\n\ncould you book this one, please? It came to my "
        "address by mistake.\n\nThanks,\n{person}\n",
    ),
    "de": (
        "WG: {subject}",
        "Hallo {recipient},\n\nkannst du das bitte verbuchen? Ist bei mir "
        "gelandet.\n\nDanke und Gruß\n{person}\n",
    ),
    "fr": (
        "TR : {subject}",
        "Bonjour {recipient},\n\nPeux-tu saisir cette facture en compta ? "
        "Je l'ai reçue par erreur.\n\nMerci,\n{person}\n",
    ),
    "es": (
        "RV: {subject}",
        "Hola {recipient}:\n\n¿Puedes contabilizar esto? Me ha llegado a mí."
        "\n\nGracias,\n{person}\n",
    ),
}


def pick(name: str, choices: tuple[tuple[str, str], ...]) -> tuple[str, str]:
    """One of `choices`, always the same for the mail called `name`."""
    return choices[stable_number(name) % len(choices)]
