"""The sandbox's channels (WhatsApp's newsletters): a small network-wide registry with a few
channels someone else owns (to follow, and to be refused posting to), the channels sessions
create (owned by the session's number), invite codes, and who follows what.

Posting to a channel is an ordinary send to ``<digits>@newsletter``: refused unless the
session's number owns (or administers) that channel."""

from __future__ import annotations

import hashlib
import itertools
import threading
from dataclasses import dataclass, field

from chalicelib.domain import clock
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
from chalicelib.sessionhost.engines.sandbox.core import SandboxCore

OWNED_MAX = 20  # channels one number may create in the sandbox
SANDBOX_OWNER = "+14155559999"  # owns the channels the sandbox starts with


@dataclass
class _Channel:
    id: str
    name: str
    description: str
    invite_code: str
    owner: str  # the owning number
    verified: bool = False
    created_at: str = field(default_factory=clock.now_iso)
    followers: set[str] = field(default_factory=set)  # numbers

    def seen_by(self, phone: str) -> Channel:
        role = "owner" if phone == self.owner else ("subscriber" if phone in self.followers
                                                    else None)
        return Channel(id=self.id, name=self.name, description=self.description or None,
                       invite_code=self.invite_code, subscribers=len(self.followers) + 1,
                       verified=self.verified, role=role, created_at=self.created_at,
                       state="active")


class _Registry:
    """Every channel of the sandbox network (shared by the hosts of one process)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_id: dict[str, _Channel] = {}
        self._numbers = itertools.count(120363000000000100)
        for number, name, code, verified in (
                (120363000000000001, "Sandbox News", "SandboxNews0001", True),
                (120363000000000002, "Wagate Updates", "WagateUpdates02", False)):
            self.add(_Channel(f"{number}@newsletter", name, f"The sandbox's {name}", code,
                              SANDBOX_OWNER, verified=verified))

    def add(self, channel: _Channel) -> None:
        self.by_id[channel.id] = channel

    def new_id(self) -> str:
        return f"{next(self._numbers)}@newsletter"

    def by_code(self, code: str) -> _Channel | None:
        return next((c for c in self.by_id.values() if c.invite_code == code), None)


def invite_code(channel_id: str) -> str:
    """A channel's invite code (deterministic, like the rest of the sandbox)."""
    return hashlib.sha256(channel_id.encode()).hexdigest()[:22].upper()


class ChannelsPart(SandboxCore):
    def _channels(self) -> _Registry:
        return self._part("channels", _Registry)

    def _phone(self, session: EngineSession) -> str:
        return self._connected(session).phone or ""

    def _channel(self, registry: _Registry, channel_id: str) -> _Channel:
        channel = registry.by_id.get(channel_id)
        if channel is None:
            raise EngineError("not_found", "no such channel", status=404)
        return channel

    def channels_list(self, session: EngineSession, op: ListChannels) -> Channels:
        phone = self._phone(session)
        registry = self._channels()
        with registry.lock:
            mine = [c.seen_by(phone) for c in sorted(registry.by_id.values(), key=lambda c: c.id)
                    if c.owner == phone or phone in c.followers]
        return Channels(channels=mine[:CHANNELS_MAX])

    def channels_create(self, session: EngineSession, op: CreateChannel) -> Channel:
        phone = self._phone(session)
        registry = self._channels()
        with registry.lock:
            if sum(c.owner == phone for c in registry.by_id.values()) >= OWNED_MAX:
                raise EngineError("too_many_channels", f"a number may own at most {OWNED_MAX} "
                                  "channels in the sandbox")
            channel_id = registry.new_id()
            channel = _Channel(channel_id, op.name, op.description, invite_code(channel_id),
                               phone)
            registry.add(channel)
            return channel.seen_by(phone)

    def channels_info(self, session: EngineSession, op: ChannelInfo) -> Channel:
        phone = self._phone(session)
        registry = self._channels()
        with registry.lock:
            return self._channel(registry, op.channel).seen_by(phone)

    def channels_invite_info(self, session: EngineSession, op: ChannelInviteInfo) -> Channel:
        phone = self._phone(session)
        registry = self._channels()
        with registry.lock:
            channel = registry.by_code(op.code)
            if channel is None:
                raise EngineError("not_found", "no channel has that invite code", status=404)
            return channel.seen_by(phone)

    def channels_follow(self, session: EngineSession, op: FollowChannel) -> Done:
        phone = self._phone(session)
        registry = self._channels()
        with registry.lock:
            channel = self._channel(registry, op.channel)
            if channel.owner != phone:
                channel.followers.add(phone)
        return Done()

    def channels_unfollow(self, session: EngineSession, op: UnfollowChannel) -> Done:
        phone = self._phone(session)
        registry = self._channels()
        with registry.lock:
            channel = self._channel(registry, op.channel)
            if channel.owner == phone:
                raise EngineError("channel_owner", "the owner of a channel cannot unfollow it")
            channel.followers.discard(phone)
        return Done()

    def send(self, session: EngineSession, outbound: Outbound,
             message_id: str | None = None) -> str:
        """A post to a channel needs the session's number to own it."""
        if outbound.to.is_newsletter:
            phone = self._phone(session)
            registry = self._channels()
            with registry.lock:
                channel = self._channel(registry, str(outbound.to))
                if channel.owner != phone:
                    raise EngineError("not_channel_admin", "only the channel's owner can post "
                                      "to it", status=403)
        return super().send(session, outbound, message_id)
