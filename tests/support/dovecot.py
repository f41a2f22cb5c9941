"""A private Dovecot IMAP server for tests, with passwd-file users and maildir mail."""

from __future__ import annotations

import imaplib
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from core.processes import wait_for_port

CONFIG = """\
base_dir = {base}/run
state_dir = {base}/state
instance_name = invoicescan-test-{port}
log_path = {base}/dovecot.log
info_log_path = {base}/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{base}/mail/%u/Maildir
mail_uid = nobody
mail_gid = nogroup
first_valid_uid = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/users
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={base}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  inet_listener http {{
    port = 0
  }}
}}
"""


@dataclass
class Dovecot:
    """A running Dovecot; `add_user` and `append` fill it."""

    base: Path
    port: int
    host: str = "127.0.0.1"

    @property
    def config(self) -> Path:
        return self.base / "dovecot.conf"

    def start(self) -> None:
        for sub in ("run", "state", "mail"):
            (self.base / sub).mkdir(parents=True, exist_ok=True)
        # Dovecot's auth and mail processes run as nobody: every folder must be traversable.
        for folder in (self.base, self.base / "mail"):
            folder.chmod(0o777)
        (self.base / "users").touch(mode=0o644)
        self.config.write_text(CONFIG.format(base=self.base, port=self.port))
        binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
        subprocess.run([binary, "-c", str(self.config)], check=True)
        wait_for_port(self.host, self.port, 20)

    def stop(self) -> None:
        subprocess.run(
            ["doveadm", "-c", str(self.config), "stop"], check=False, capture_output=True
        )

    def add_user(self, username: str, password: str) -> None:
        """Add a user and wait until Dovecot accepts its login: Dovecot re-reads a changed
        passwd-file at most once a second."""
        with (self.base / "users").open("a") as users:
            users.write(f"{username}:{{PLAIN}}{password}::::::\n")
        deadline = time.monotonic() + 5
        while True:
            client = imaplib.IMAP4(self.host, self.port)
            try:
                client.login(username, password)
                client.logout()
                return
            except imaplib.IMAP4.error:
                client.shutdown()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def append(
        self,
        username: str,
        password: str,
        messages: list[tuple[bytes, datetime]],
        folder: str = "INBOX",
    ) -> None:
        """APPEND raw messages with the given INTERNALDATEs."""
        client = imaplib.IMAP4(self.host, self.port)
        try:
            client.login(username, password)
            if folder != "INBOX":
                client.create(folder)
            for raw, internal_date in messages:
                typ, data = client.append(folder, "", imaplib.Time2Internaldate(internal_date), raw)
                if typ != "OK":
                    raise RuntimeError(f"APPEND failed: {data!r}")
        finally:
            client.logout()


def world_readable_tmpdir(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o755)
    return root
