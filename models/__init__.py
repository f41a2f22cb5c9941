"""Beanie documents; DOCUMENT_MODELS is what init_beanie registers."""

from models.email_account import EmailAccount
from models.invoice import Invoice
from models.scan_task import ScanTask

DOCUMENT_MODELS = [EmailAccount, ScanTask, Invoice]

__all__ = ["DOCUMENT_MODELS", "EmailAccount", "Invoice", "ScanTask"]
