"""WAChat's inbox push: each inbound message as a form POST of ``id``, ``gateway_number``,
``originator``, ``receive_date`` and ``msg`` (the fields its document's receivers read)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from chalicelib.domain import clock
from chalicelib.domain.events import Event, EventType
from chalicelib.services.webhook_formats import Payload, register

FORM = "application/x-www-form-urlencoded"


def _digits(jid: Any) -> str:
    """A JID's (or an E.164 number's) digits, as WAChat writes numbers."""
    return str(jid or "").split("@")[0].split(":")[0].lstrip("+")


@register("wachat", events=(EventType.MESSAGE_RECEIVED.value,))
def wachat(event: Event) -> Payload:
    """``gateway_number``: the session's number; ``originator``: who wrote (in a group, the
    member); ``msg``: the text or caption (empty for media without one); ``receive_date`` as
    the API's dates (``2019-08-24T14:15:22Z``)."""
    data = event.data
    originator = data.get("from") or data.get("sender_phone") or data.get("sender") \
        or data.get("chat")
    received = data.get("created_at") or event.timestamp
    fields = {"id": data.get("id", ""), "gateway_number": _digits(data.get("to")),
              "originator": _digits(originator),
              "receive_date": clock.parse(received).strftime("%Y-%m-%dT%H:%M:%SZ"),
              "msg": data.get("text") or ""}
    return Payload(urlencode(fields).encode(), FORM)
