"""The sandbox's views of the other side: what a recipient's phone received."""

from __future__ import annotations

from chalicelib.domain.auth import Principal
from chalicelib.domain.jids import normalize_phone
from chalicelib.domain.paging import Page
from chalicelib.services.ports import RecipientInbox


class RecipientView:
    def __init__(self, inbox: RecipientInbox) -> None:
        self._inbox = inbox

    def messages(self, caller: Principal, phone: str, limit: int, cursor: str | None) -> Page:
        """What ``phone`` (digits with the country code, ``+`` optional) received from the
        caller's sandbox sessions, newest first, with the full text."""
        digits = phone.removeprefix("%2B").removeprefix("+")
        digits = normalize_phone(f"+{digits}", "phone").lstrip("+")
        return self._inbox.list(caller.tenant_id, digits, limit, cursor)
