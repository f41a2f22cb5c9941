"""Writing a Dovecot user's INBOX straight into its Maildir: thousands of messages a second,
where APPENDing them one by one over IMAP takes minutes.

Each message becomes one file in `cur/`, named in Maildir's `<time>.M<usec>P<n>.<host>,S=<size>,
W=<size>:2,S` form: Dovecot reads the size (S) and the CRLF size (W) from the name instead of
opening the file, and sorts new files by the time in their name when it gives them UIDs, so the
UIDs follow the received times. The file's mtime is the message's INTERNALDATE. Dovecot finds the
files on the next SELECT of the folder (`index`), which builds its index once.
"""

from __future__ import annotations

import imaplib
import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tests.support.dovecot import Dovecot

# The Dovecot configuration's mail_uid/mail_gid (tests/support/dovecot.py): its mail processes
# must read the files and write their index next to them.
MAIL_USER = "nobody"
MAIL_GROUP = "nogroup"
HOST = "bench"


def maildir_of(dovecot: Dovecot, user: str) -> Path:
    """Where Dovecot keeps `user`'s INBOX (its mail_location)."""
    return dovecot.base / "mail" / user / "Maildir"


def crlf_size(raw: bytes) -> int:
    """The message's size with every line ending CRLF, as IMAP serves it (Maildir's W=)."""
    return len(raw) + raw.count(b"\n") - raw.count(b"\r\n")


@dataclass
class MaildirWriter:
    """Writes messages into `maildir/cur`; `close` hands the folders to Dovecot's mail user."""

    maildir: Path
    written: int = 0
    bytes_written: int = 0

    def __post_init__(self) -> None:
        for sub in ("cur", "new", "tmp"):
            (self.maildir / sub).mkdir(parents=True, exist_ok=True)
        self._cur = self.maildir / "cur"

    def write(self, raw: bytes, received: datetime) -> Path:
        """One message, received (INTERNALDATE) at `received`; seen, so no client moves it."""
        stamp = received.timestamp()
        seconds = int(stamp)
        name = (
            f"{seconds}.M{int((stamp - seconds) * 1_000_000)}P{self.written}.{HOST},"
            f"S={len(raw)},W={crlf_size(raw)}:2,S"
        )
        path = self._cur / name
        # O_EXCL: the name must be new (one writer per folder numbers its files).
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(descriptor, raw)
        finally:
            os.close(descriptor)
        os.utime(path, (stamp, stamp))
        self.written += 1
        self.bytes_written += len(raw)
        return path

    def close(self) -> None:
        """Give the user's folders (not each file: they only need to be readable) to the mail
        user, which writes dovecot-uidlist and the index there."""
        home = self.maildir.parent
        folders = [home, self.maildir, *(self.maildir / sub for sub in ("cur", "new", "tmp"))]
        for folder in folders:
            if os.geteuid() == 0:
                shutil.chown(folder, MAIL_USER, MAIL_GROUP)
            else:
                folder.chmod(0o777)


def index(dovecot: Dovecot, user: str, password: str) -> int:
    """SELECT the INBOX once, so Dovecot indexes the new files now, not during a measured scan;
    the number of messages it holds."""
    client = imaplib.IMAP4(dovecot.host, dovecot.port)
    try:
        client.login(user, password)
        typ, data = client.select("INBOX", readonly=True)
        if typ != "OK":
            raise RuntimeError(f"SELECT failed: {data!r}")
        # A SEARCH by date makes Dovecot read each file's received date into its cache as well.
        client.search(None, "SINCE", "1-Jan-1970")
        return int(data[0] or 0)
    finally:
        client.logout()
