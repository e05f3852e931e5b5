"""Live operations on channels (WhatsApp's newsletters): the ones this session follows,
creating one, a channel's details by id or by invite, following and unfollowing. Posting to a
channel is a message (the messaging pipeline, chat ``<digits>@newsletter``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.domain.live import LiveOp, LiveResult

CHANNEL_NAME_MAX = 100  # WhatsApp's own limit on a channel's name (characters)
CHANNEL_DESCRIPTION_MAX = 2048
INVITE_CODE_MAX = 64
CHANNELS_MAX = 500  # the most followed channels one answer lists
INVITE_URL = "https://whatsapp.com/channel/"
Role = Literal["owner", "admin", "subscriber", "guest"]


class Channel(LiveResult):
    id: str  # <digits>@newsletter
    name: str
    description: str | None = None
    invite_code: str | None = None
    subscribers: int | None = None
    verified: bool = False
    role: Role | None = None  # this session's role in it (None: not following)
    muted: bool = False
    picture_url: str | None = None
    created_at: str | None = None
    state: str | None = None  # active, suspended, geosuspended

    @property
    def invite_url(self) -> str | None:
        return INVITE_URL + self.invite_code if self.invite_code else None


class Channels(LiveResult):
    channels: list[Channel]


class ListChannels(LiveOp):
    """The channels this session follows (and the ones it owns)."""

    OP = "channels.list"
    RESULT = Channels


class CreateChannel(LiveOp):
    OP = "channels.create"
    RESULT = Channel

    name: str = Field(min_length=1, max_length=CHANNEL_NAME_MAX)
    description: str = Field(default="", max_length=CHANNEL_DESCRIPTION_MAX)


class ChannelInfo(LiveOp):
    OP = "channels.info"
    RESULT = Channel

    channel: str  # <digits>@newsletter


class ChannelInviteInfo(LiveOp):
    """A channel's details from its invite code, without following it."""

    OP = "channels.invite_info"
    RESULT = Channel

    code: str = Field(min_length=1, max_length=INVITE_CODE_MAX)


class FollowChannel(LiveOp):
    OP = "channels.follow"

    channel: str


class UnfollowChannel(LiveOp):
    OP = "channels.unfollow"

    channel: str
