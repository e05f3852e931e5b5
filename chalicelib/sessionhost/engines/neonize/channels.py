"""Channels (newsletters) through neonize 0.5.2: ``get_subscribed_newletters`` (sic),
``create_newsletter``, ``get_newsletter_info``, ``get_newsletter_info_with_invite``,
``follow_newsletter``, ``unfollow_newsletter``; posting is an ordinary send to the channel's
JID (whatsmeow sends newsletter messages unencrypted).

What neonize cannot do: post media to a channel. whatsmeow needs the upload's media handle in
the send (``SendRequestExtra.MediaHandle``, after ``UploadNewsletter``), and neonize's
``send_message`` takes no such extra, so a media post is refused (``not_supported``); text
posts work. Creating a channel with a picture is not offered (neonize would fetch a URL
itself, outside our SSRF policy)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from chalicelib.domain.content import MEDIA_TYPES
from chalicelib.domain.jids import NEWSLETTER_SERVER, Jid
from chalicelib.domain.live import Done
from chalicelib.domain.live.channels import (
    CHANNELS_MAX,
    Channel,
    ChannelInfo,
    ChannelInviteInfo,
    Channels,
    CreateChannel,
    FollowChannel,
    ListChannels,
    UnfollowChannel,
)
from chalicelib.sessionhost.engines.base import EngineError, EngineSession, Outbound
from chalicelib.sessionhost.engines.neonize.connection import NeonizeCore
from chalicelib.sessionhost.engines.neonize.convert import enum_name, jid_to_proto

if TYPE_CHECKING:
    from neonize.client import NewClient
    from neonize.proto.Neonize_pb2 import NewsletterMetadata

T = TypeVar("T")
_ROLES = ("owner", "admin", "subscriber", "guest")


def channel_from_metadata(meta: NewsletterMetadata) -> Channel:
    """Our Channel from neonize's NewsletterMetadata."""
    thread = meta.ThreadMeta
    role = enum_name(meta.ViewerMeta, "Role") if meta.HasField("ViewerMeta") else None
    created = thread.CreationTime
    return Channel(
        id=f"{meta.ID.User}@{NEWSLETTER_SERVER}", name=thread.Name.Text,
        description=thread.Description.Text or None, invite_code=thread.InviteCode or None,
        subscribers=thread.SubscriberCount,
        verified=enum_name(thread, "VerificationState") == "verified",
        role=role if role in _ROLES else None,  # type: ignore[arg-type]
        muted=meta.HasField("ViewerMeta") and enum_name(meta.ViewerMeta, "Mute") == "on",
        picture_url=thread.Picture.URL or None,
        created_at=datetime.fromtimestamp(created, UTC).isoformat().replace("+00:00", "Z")
        if created > 0 else None,
        state=enum_name(meta.State, "Type") if meta.HasField("State") else None)


def _channel_jid(channel: str) -> Any:
    return jid_to_proto(Jid(channel.partition("@")[0], NEWSLETTER_SERVER))


class ChannelsOps(NeonizeCore):
    def _call(self, session: EngineSession, fail: str, call: Callable[[NewClient], T]) -> T:
        """``call`` on the session's client; neonize's errors as EngineError(``fail``), a
        channel WhatsApp does not know as not_found."""
        with self._using(session) as connection:
            from neonize.exc import NeonizeError

            assert connection.client is not None  # (held)
            try:
                return call(connection.client)
            except NeonizeError as exc:
                text = str(exc)
                if "not found" in text.lower() or "item-not-found" in text:
                    raise EngineError("not_found", text, status=404) from exc
                raise EngineError(fail, text) from exc

    def channels_list(self, session: EngineSession, op: ListChannels) -> Channels:
        found = self._call(session, "channels_failed",
                           lambda client: client.get_subscribed_newletters())
        return Channels(channels=[channel_from_metadata(m) for m in list(found)[:CHANNELS_MAX]])

    def channels_create(self, session: EngineSession, op: CreateChannel) -> Channel:
        return channel_from_metadata(self._call(
            session, "create_failed",
            lambda client: client.create_newsletter(op.name, op.description, b"")))

    def channels_info(self, session: EngineSession, op: ChannelInfo) -> Channel:
        return channel_from_metadata(self._call(
            session, "info_failed",
            lambda client: client.get_newsletter_info(_channel_jid(op.channel))))

    def channels_invite_info(self, session: EngineSession, op: ChannelInviteInfo) -> Channel:
        return channel_from_metadata(self._call(
            session, "info_failed",
            lambda client: client.get_newsletter_info_with_invite(op.code)))

    def channels_follow(self, session: EngineSession, op: FollowChannel) -> Done:
        self._call(session, "follow_failed",
                   lambda client: client.follow_newsletter(_channel_jid(op.channel)))
        return Done()

    def channels_unfollow(self, session: EngineSession, op: UnfollowChannel) -> Done:
        self._call(session, "unfollow_failed",
                   lambda client: client.unfollow_newsletter(_channel_jid(op.channel)))
        return Done()

    def send(self, session: EngineSession, outbound: Outbound,
             message_id: str | None = None) -> str:
        """Media posts to a channel are refused (see the module's docstring)."""
        if outbound.to.is_newsletter and outbound.content.type in MEDIA_TYPES:
            raise EngineError("not_supported", "the neonize engine cannot post media to a "
                              "channel (neonize 0.5.2 sends no media handle)", status=501)
        return super().send(session, outbound, message_id)
