"""Beanie documents; DOCUMENT_MODELS is what init_beanie registers."""

from models.email_account import EmailAccount
from models.invoice import Invoice
from models.ocr_job import OcrJob
from models.scan_task import ScanTask

DOCUMENT_MODELS = [EmailAccount, ScanTask, Invoice, OcrJob]

__all__ = ["DOCUMENT_MODELS", "EmailAccount", "Invoice", "OcrJob", "ScanTask"]
