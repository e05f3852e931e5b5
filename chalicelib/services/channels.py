"""Channels (WhatsApp's newsletters) and statuses (stories) of a session.

Reading and following channels are live operations; posting to a channel or a status is a
message, accepted and sent through the messaging pipeline (queued, sent once by the worker,
stored, ``message.*`` events) to ``<digits>@newsletter`` or ``status@broadcast``."""

from __future__ import annotations

import re
from dataclasses import replace

from chalicelib.domain.auth import Principal
from chalicelib.domain.errors import Forbidden, NotFound, ValidationFailed
from chalicelib.domain.jids import STATUS_BROADCAST, parse_jid
from chalicelib.domain.live import Done
from chalicelib.domain.live.channels import (
    INVITE_CODE_MAX,
    Channel,
    ChannelInfo,
    ChannelInviteInfo,
    Channels,
    CreateChannel,
    FollowChannel,
    ListChannels,
    UnfollowChannel,
)
from chalicelib.domain.messages import Message
from chalicelib.domain.paging import Page, page_of
from chalicelib.services.live import LiveService
from chalicelib.services.messaging import Draft, MessagingService

_INVITE = re.compile(r"^(?:https?://(?:www\.)?whatsapp\.com/channel/)?"
                     rf"([A-Za-z0-9]{{6,{INVITE_CODE_MAX}}})/?$", re.ASCII)


def channel_jid(raw: str, field: str = "channel_id") -> str:
    """A channel's JID (``<digits>@newsletter``), or a 422 naming ``field``."""
    jid = parse_jid(raw, field) if "@" in (raw or "") else None
    if jid is None or not jid.is_newsletter:
        raise ValidationFailed.field(field, "must be a channel id: <digits>@newsletter")
    return str(jid)


def invite_code(raw: str | None) -> str:
    """The code of a channel invite link (https://whatsapp.com/channel/<code>, or the bare
    code), or a 422 naming ``invite``."""
    if not raw:
        raise ValidationFailed.field("invite", "is required")
    match = _INVITE.match(raw.strip())
    if match is None:
        raise ValidationFailed.field("invite", "must be a channel invite link "
                                     "(https://whatsapp.com/channel/<code>)")
    return match.group(1)


class ChannelsService:
    def __init__(self, live: LiveService, messaging: MessagingService) -> None:
        self._live = live
        self._messaging = messaging

    def list(self, caller: Principal, session_id: str, limit: int,
             cursor: str | None) -> Page:
        """The channels the session follows, by id, a page at a time (WhatsApp answers the
        whole list: the cursor is the last id of the previous page)."""
        found = self._live.run(caller, session_id, ListChannels())
        assert isinstance(found, Channels)
        return page_of(found.channels, lambda c: c.id, limit, cursor, caller.tenant_id,
                       session_id)

    def create(self, caller: Principal, session_id: str, name: str,
               description: str) -> Channel:
        return self._channel(self._live.run(caller, session_id,
                                            CreateChannel(name=name, description=description)))

    def info(self, caller: Principal, session_id: str, channel_id: str) -> Channel:
        jid = channel_jid(channel_id)
        return self._channel(self._live.run(caller, session_id, ChannelInfo(channel=jid)))

    def invite_info(self, caller: Principal, session_id: str, invite: str | None) -> Channel:
        code = invite_code(invite)
        return self._channel(self._live.run(caller, session_id, ChannelInviteInfo(code=code)))

    def follow(self, caller: Principal, session_id: str, channel_id: str,
               following: bool) -> None:
        jid = channel_jid(channel_id)
        op = FollowChannel(channel=jid) if following else UnfollowChannel(channel=jid)
        assert isinstance(self._live.run(caller, session_id, op), Done)

    def post(self, caller: Principal, session_id: str, channel_id: str,
             draft: Draft) -> Message:
        """Post to a channel the session owns or administers (else 403): a message."""
        jid = channel_jid(channel_id)
        channel = self.info(caller, session_id, jid)
        if channel.role not in ("owner", "admin"):
            raise Forbidden("only a channel's owner or admins can post to it",
                            code="not_channel_admin")
        return self._messaging.send(caller, replace(draft, session_id=session_id, to=jid))

    @staticmethod
    def _channel(result: object) -> Channel:
        assert isinstance(result, Channel)
        return result


class StatusService:
    """Statuses (stories): messages to ``status@broadcast``."""

    def __init__(self, live: LiveService, messaging: MessagingService) -> None:
        self._live = live
        self._messaging = messaging

    def post(self, caller: Principal, session_id: str, draft: Draft) -> Message:
        self._live.session(caller, session_id)  # another tenant's session: 404
        return self._messaging.send(caller, replace(draft, session_id=session_id,
                                                    to=STATUS_BROADCAST))

    def delete(self, caller: Principal, session_id: str, message_id: str) -> Message:
        """Delete a status this session posted, for everyone (a revoke)."""
        self._live.session(caller, session_id)
        try:
            message = self._messaging.get(caller, message_id)
        except NotFound:
            message = None
        if message is None or message.session_id != session_id \
                or message.chat != STATUS_BROADCAST:
            raise NotFound("this session posted no such status")
        return self._messaging.act(caller, message_id, "revoke", {})
