"""With IMAP_ALLOW_PRIVATE_HOSTS=false, addEmailAccount refuses hosts on private networks."""

from __future__ import annotations

import pytest

from core.auth import Principal, Role
from core.errors import BadInput
from core.settings import settings
from graph.accounts import add_account
from graph.types import AddEmailAccountInput
from models.enums import ImapSecurity


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "10.0.0.5", "169.254.169.254"])
async def test_private_hosts_are_bad_input(monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    monkeypatch.setattr(settings, "IMAP_ALLOW_PRIVATE_HOSTS", False)
    data = AddEmailAccountInput(
        email="p@example.com",
        imap_host=host,
        imap_port=993,
        security=ImapSecurity.SSL,
        password="pw",
        verify=False,
    )
    with pytest.raises(BadInput) as refused:
        await add_account(Principal("p", Role.USER), data)
    assert refused.value.extensions == {"argument": "imapHost"}
