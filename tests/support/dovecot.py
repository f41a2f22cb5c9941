"""A private Dovecot IMAP server for tests, with passwd-file users and maildir mail; optionally
also OAuth2 logins (SASL XOAUTH2 and OAUTHBEARER) checked against a token-introspection URL."""

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
  args = scheme=PLAIN username_format=%u {base}/users{password_mechanisms}
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

# Dovecot 2.3 syntax, appended to CONFIG (a later setting wins, same-named sections merge).
# A mechanism consults every passdb in order: `mechanisms` keeps OAuth2 tokens away from the
# passwd-file and passwords away from the introspection endpoint. auth_verbose logs why the
# oauth2 passdb refused a token. Refused tokens are the point of these tests: no failure delay,
# and no per-IP auth penalty (anvil's socket closed to auth), which grows to 15 s per login and
# would make one test's failures slow down the next.
OAUTH2_CONFIG = """\
auth_mechanisms = plain login xoauth2 oauthbearer
auth_verbose = yes
auth_failure_delay = 0
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {base}/dovecot-oauth2.conf.ext
}}
"""

# Read by the auth process; `post` sends RFC 7662's form body token=... to the URL.
OAUTH2_PASSDB = """\
introspection_mode = post
introspection_url = {url}
username_attribute = username
active_attribute = active
active_value = true
timeout_msecs = 5000
"""


@dataclass
class Dovecot:
    """A running Dovecot; `add_user` and `append` fill it."""

    base: Path
    port: int
    host: str = "127.0.0.1"
    # Set to accept OAuth2 bearer tokens as well, validated by this introspection endpoint.
    oauth2_introspection_url: str | None = None

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
        self.config.write_text(self._config_text())
        binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
        subprocess.run([binary, "-c", str(self.config)], check=True)
        wait_for_port(self.host, self.port, 20)

    def _config_text(self) -> str:
        if self.oauth2_introspection_url is None:
            return CONFIG.format(base=self.base, port=self.port, password_mechanisms="")
        oauth2_settings = self.base / "dovecot-oauth2.conf.ext"
        oauth2_settings.write_text(OAUTH2_PASSDB.format(url=self.oauth2_introspection_url))
        oauth2_settings.chmod(0o644)
        password_only = "\n  mechanisms = plain login"
        config = CONFIG.format(base=self.base, port=self.port, password_mechanisms=password_only)
        return config + OAUTH2_CONFIG.format(base=self.base)

    def stop(self) -> None:
        subprocess.run(
            ["doveadm", "-c", str(self.config), "stop"], check=False, capture_output=True
        )

    def add_user(self, username: str, password: str) -> None:
        """Add a user and wait until Dovecot accepts its login: Dovecot re-reads a changed
        passwd-file at most once a second. Trying before that second is over costs far more
        than waiting it out: each refused login is answered after auth_failure_delay (2 s),
        and anvil's penalty grows with every one."""
        with (self.base / "users").open("a") as users:
            users.write(f"{username}:{{PLAIN}}{password}::::::\n")
        time.sleep(1.05)
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
