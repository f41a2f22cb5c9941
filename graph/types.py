"""GraphQL types; documents and events are converted to them explicitly, never exposed."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry

from core.auth import Principal, Role
from models import EmailAccount as EmailAccountDocument
from models import Invoice as InvoiceDocument
from models import ScanTask as ScanTaskDocument
from models.enums import ImapSecurity, InvoiceSource, ScanType, TaskStatus
from tasks.progress import TaskState

# The domain's enums are the GraphQL enums: registering them here keeps one definition of each.
strawberry.enum(Role, description="What a caller may do.")
strawberry.enum(ScanType, description="INBOX: the inbox; GROUPS: the group addresses.")
strawberry.enum(
    TaskStatus, description="Lifecycle of a scan; SUCCESS, FAILURE and CANCELLED are terminal."
)
strawberry.enum(ImapSecurity, description="How the IMAP connection is protected.")


@strawberry.type(description="The authenticated caller.")
class User:
    id: strawberry.ID = strawberry.field(description="The user id (the token's `sub`).")
    role: Role = strawberry.field(description="USER, or ADMIN for operators.")

    @classmethod
    def from_principal(cls, principal: Principal) -> User:
        return cls(id=strawberry.ID(principal.user_id), role=principal.role)


@strawberry.type(description="A mailbox the user connected. Credentials are never returned.")
class EmailAccount:
    id: strawberry.ID = strawberry.field(description="The account id.")
    email: str = strawberry.field(description="The mailbox's address.")
    imap_host: str = strawberry.field(description="IMAP server host name.")
    imap_port: int = strawberry.field(description="IMAP server port.")
    security: ImapSecurity = strawberry.field(description="SSL, STARTTLS or NONE.")
    username: str = strawberry.field(description="The IMAP login name.")
    group_addresses: list[str] = strawberry.field(
        description="Group addresses (accounts payable, finance lists) a GROUPS scan looks for."
    )
    created_at: datetime = strawberry.field(description="When the account was added.")
    last_scan_at: datetime | None = strawberry.field(
        description="When a scan of this account last succeeded."
    )

    @classmethod
    def from_document(cls, doc: EmailAccountDocument) -> EmailAccount:
        return cls(
            id=strawberry.ID(str(doc.id)),
            email=doc.email,
            imap_host=doc.imap_host,
            imap_port=doc.imap_port,
            security=doc.security,
            username=doc.username,
            group_addresses=list(doc.group_addresses),
            created_at=doc.created_at,
            last_scan_at=doc.last_scan_at,
        )


@strawberry.type(description="One scan of one account, as stored and as pushed live.")
class ScanTask:
    id: strawberry.ID = strawberry.field(description="The task id (also the Celery task id).")
    account_id: strawberry.ID = strawberry.field(description="The scanned account.")
    user_id: strawberry.ID = strawberry.field(description="The account's owner.")
    scan_type: ScanType = strawberry.field(description="INBOX or GROUPS.")
    months: int = strawberry.field(description="How many calendar months back the scan looks.")
    status: TaskStatus = strawberry.field(description="Where the task is in its lifecycle.")
    progress: int = strawberry.field(
        description="0..100, never decreases; 100 exactly when SUCCESS."
    )
    current_status: str = strawberry.field(
        description='The step in words: "Queued", "Connecting", "Processing emails", "Done".'
    )
    emails_total: int | None = strawberry.field(
        description="Messages in the window, known once the mailbox has been searched."
    )
    emails_scanned: int = strawberry.field(description="Messages read so far.")
    invoices_found: int = strawberry.field(
        description="Invoices this scan stored so far; ones an earlier scan stored are not "
        "counted again."
    )
    error_count: int = strawberry.field(
        description="Messages that could not be read; the scan goes on past them."
    )
    error: str | None = strawberry.field(description="Why the task failed, when FAILURE.")
    bytes_fetched: float = strawberry.field(
        description="Bytes downloaded from the mail server so far: outlines, text bodies and "
        "the attachments that may hold invoices (a Float, as a mailbox can exceed Int's range)."
    )
    estimated_duration_seconds: float | None = strawberry.field(
        description="Expected total duration, when it can be estimated."
    )
    actual_duration_seconds: float | None = strawberry.field(
        description="How long the task ran, once finished."
    )
    created_at: datetime = strawberry.field(description="When the scan was requested.")
    started_at: datetime | None = strawberry.field(description="When a worker started it.")
    finished_at: datetime | None = strawberry.field(description="When it reached a final status.")

    @classmethod
    def from_document(cls, doc: ScanTaskDocument) -> ScanTask:
        return cls.from_state(TaskState.from_document(doc))

    @classmethod
    def from_state(cls, state: TaskState) -> ScanTask:
        return cls(
            id=strawberry.ID(state.id),
            account_id=strawberry.ID(state.account_id),
            user_id=strawberry.ID(state.user_id),
            scan_type=state.scan_type,
            months=state.months,
            status=state.status,
            progress=state.progress,
            current_status=state.current_status,
            emails_total=state.emails_total,
            emails_scanned=state.emails_scanned,
            invoices_found=state.invoices_found,
            error_count=state.error_count,
            error=state.error,
            bytes_fetched=state.bytes_fetched,
            estimated_duration_seconds=state.estimated_duration_seconds,
            actual_duration_seconds=state.actual_duration_seconds,
            created_at=state.created_at,
            started_at=state.started_at,
            finished_at=state.finished_at,
        )


@strawberry.type(description="What startScan answers, at once, before the scan runs.")
class StartScanPayload:
    message: str = strawberry.field(description='e.g. "Email scan started for 3 months".')
    task_id: strawberry.ID = strawberry.field(description="The new task's id.")
    status: TaskStatus = strawberry.field(description="The new task's status (PENDING).")
    estimated_duration_seconds: float | None = strawberry.field(
        description="Expected duration, when it can be estimated."
    )
    task: ScanTask = strawberry.field(description="The new task.")


@strawberry.input(
    description="A mailbox to connect; exactly one of password and oauth2AccessToken."
)
class AddEmailAccountInput:
    email: str = strawberry.field(description="The mailbox's address.")
    imap_host: str = strawberry.field(description="IMAP server host name.")
    imap_port: int = strawberry.field(default=993, description="IMAP server port.")
    security: ImapSecurity = strawberry.field(
        default=ImapSecurity.SSL, description="SSL, STARTTLS or NONE."
    )
    # UNSET rather than None: the contract gives these no default.
    username: str | None = strawberry.field(
        default=strawberry.UNSET, description="The IMAP login name; defaults to email."
    )
    password: str | None = strawberry.field(default=strawberry.UNSET, description="Password login.")
    oauth2_access_token: str | None = strawberry.field(
        default=strawberry.UNSET, description="SASL XOAUTH2 access token (Gmail, Microsoft 365)."
    )
    group_addresses: list[str] = strawberry.field(
        default_factory=list, description="Group addresses for GROUPS scans."
    )
    verify: bool = strawberry.field(
        default=True,
        description="Log in once before saving; a failure answers BAD_USER_INPUT.",
    )


strawberry.enum(InvoiceSource, description="Where an invoice's fields were read from.")


@strawberry.type(
    description="How sure the scanner was of each field, 0 (a guess) to 1 (an e-invoice's "
    "XML, or a printed field every reading agrees on); null where the field was not found."
)
class InvoiceConfidence:
    vendor: float | None = strawberry.field(description="Confidence in vendor.")
    invoice_number: float | None = strawberry.field(description="Confidence in invoiceNumber.")
    issue_date: float | None = strawberry.field(description="Confidence in issueDate.")
    due_date: float | None = strawberry.field(description="Confidence in dueDate.")
    total_amount: float | None = strawberry.field(description="Confidence in totalAmount.")
    currency: float | None = strawberry.field(description="Confidence in currency.")


@strawberry.type(description="An invoice found in a mail.")
class Invoice:
    id: strawberry.ID = strawberry.field(description="The invoice id.")
    account_id: strawberry.ID = strawberry.field(description="The account it was found in.")
    task_id: strawberry.ID = strawberry.field(description="The scan that found it first.")
    message_id: str = strawberry.field(
        description="RFC 5322 Message-ID as in the mail, angle brackets included."
    )
    folder: str = strawberry.field(description="The IMAP folder of the mail.")
    subject: str = strawberry.field(description="The mail's subject.")
    sender: str = strawberry.field(description="The mail's From header.")
    received_at: datetime = strawberry.field(description="When the server received the mail.")
    vendor: str | None = strawberry.field(description="Who issued the invoice.")
    invoice_number: str | None = strawberry.field(description="The invoice's number.")
    issue_date: date | None = strawberry.field(description="The invoice's date.")
    due_date: date | None = strawberry.field(description="When payment is due.")
    total_amount: Decimal | None = strawberry.field(
        description="The grand total payable, tax included."
    )
    currency: str | None = strawberry.field(description="ISO 4217 currency code.")
    source: InvoiceSource = strawberry.field(description="Where the fields were read from.")
    attachment_name: str | None = strawberry.field(
        description="The attachment holding the invoice; null for an invoice in the body."
    )
    confidence: InvoiceConfidence = strawberry.field(
        description="How sure the scanner was of each field."
    )
    needs_review: bool = strawberry.field(
        description="A field every invoice has (vendor, number, issue date, total, currency) "
        "is missing, or a field was read with a confidence below the service's "
        "REVIEW_CONFIDENCE_THRESHOLD when the invoice was stored: a person should check it."
    )

    @classmethod
    def from_document(cls, doc: InvoiceDocument) -> Invoice:
        return cls(
            id=strawberry.ID(doc.id),
            account_id=strawberry.ID(doc.account_id),
            task_id=strawberry.ID(doc.task_id),
            message_id=doc.message_id,
            folder=doc.folder,
            subject=doc.subject,
            sender=doc.sender,
            received_at=doc.received_at,
            vendor=doc.vendor,
            invoice_number=doc.invoice_number,
            issue_date=doc.issue_date,
            due_date=doc.due_date,
            total_amount=doc.total_amount,
            currency=doc.currency,
            source=doc.source,
            attachment_name=doc.attachment_name,
            confidence=InvoiceConfidence(**doc.confidence.model_dump()),
            needs_review=doc.needs_review,
        )


@strawberry.type(description="What cancelAllTasks did.")
class CancelAllTasksPayload:
    cancelled: int = strawberry.field(
        description="How many PENDING or PROGRESS tasks it cancelled."
    )
