"""The mail and invoice domain: IMAP access, MIME walking, invoice detection and extraction.

Plain functions and classes; nothing here knows of Celery, GraphQL or MongoDB documents.
"""
