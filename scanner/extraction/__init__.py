"""Invoice detection and field extraction, structured sources first.

`scanner.invoices` is the public face; the modules here each read one kind of source (e-invoice
XML, PDF text, HTML, plain text) or one kind of field (amounts, dates, currencies, vendors).
"""
