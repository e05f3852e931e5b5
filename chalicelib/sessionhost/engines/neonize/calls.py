"""The neonize engine's calls: an offer (``CallOfferEv``, a one-to-one call) or an offer
notice (``CallOfferNoticeEv``, a group call) as a ``calls.received`` update, and
``calls.reject`` through ``client.reject_call`` (whatsmeow's ``RejectCall``). The host
sends the optional text reply through the engine's normal send."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalicelib.domain.live import Done
from chalicelib.domain.live.calls import CallReceived, RejectCall
from chalicelib.sessionhost.engines.base import EngineSession
from chalicelib.sessionhost.engines.neonize.connection import NeonizeCore, _Connection
from chalicelib.sessionhost.engines.neonize.convert import (
    engine_error,
    jid_from_proto,
    jid_to_proto,
    lenient_jid,
    phone_of,
)

if TYPE_CHECKING:
    from neonize.proto.Neonize_pb2 import BasicCallMeta, CallOffer, CallOfferNotice, Node

_DEPTH = 3  # how deep an offer's nodes are searched for its media


def _when(timestamp: int) -> datetime:
    """A call's time: neonize gives seconds (milliseconds on some versions); now when unset."""
    if timestamp <= 0:
        return datetime.now(UTC)
    return datetime.fromtimestamp(timestamp / 1000 if timestamp > 10**11 else timestamp, UTC)


def _has_tag(node: Node, tag: str, depth: int = _DEPTH) -> bool:
    return node.Tag == tag or (depth > 0 and any(_has_tag(n, tag, depth - 1)
                                                 for n in node.Nodes))


def _group_of(node: Node) -> str | None:
    for attr in node.Attrs:
        if attr.name == "group-jid":
            return str(jid_from_proto(attr.jid)) if attr.HasField("jid") else attr.text or None
    return None


def _call(meta: BasicCallMeta, video: bool, group: str | None, is_group: bool) -> CallReceived:
    caller = meta.callCreator if meta.callCreator.User else getattr(meta, "from")
    phone = phone_of(meta.callCreatorAlt) or phone_of(caller)
    return CallReceived(call_id=meta.callID, caller=str(jid_from_proto(caller)),
                        caller_phone=phone, video=video, group=group,
                        is_group=is_group or group is not None, at=_when(meta.timestamp))


def call_from_offer(event: CallOffer) -> CallReceived:
    """A one-to-one call's offer: video when the offer carries a ``video`` node."""
    return _call(event.basicCallMeta, _has_tag(event.data, "video"), _group_of(event.data),
                 False)


def call_from_notice(event: CallOfferNotice) -> CallReceived:
    """A group call's offer notice (``media`` audio or video, ``type`` group)."""
    return _call(event.basicCallMeta, event.media == "video", _group_of(event.data),
                 event.type == "group")


class CallsOps(NeonizeCore):
    def calls_reject(self, session: EngineSession, op: RejectCall) -> Done:
        with self._using(session) as connection:
            from neonize.exc import NeonizeError

            client = connection.client
            assert client is not None  # (held)
            try:
                client.reject_call(jid_to_proto(lenient_jid(op.caller)), op.call_id)
            except NeonizeError as exc:
                raise engine_error(exc, "reject_failed") from exc
        return Done()

    def _events_calls(self) -> dict[type, Callable[[_Connection, Any], None]]:
        from neonize import events as ev

        return {ev.CallOfferEv: lambda c, e: c.listener.on_update(call_from_offer(e)),
                ev.CallOfferNoticeEv: lambda c, e: c.listener.on_update(call_from_notice(e))}


