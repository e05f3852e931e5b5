"""Channels (newsletters), statuses (stories) and the sandbox's deaf connection."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from chalicelib.api.v1.schemas.common import Body, Metadata, Out, text
from chalicelib.api.v1.schemas.messages import MediaIn, MessageText
from chalicelib.domain.content import StatusFont
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.live.channels import CHANNEL_DESCRIPTION_MAX, CHANNEL_NAME_MAX, Channel
from chalicelib.services.media import MediaSource
from chalicelib.services.messaging import Draft

ChannelName = text(CHANNEL_NAME_MAX)
ChannelDescription = text(CHANNEL_DESCRIPTION_MAX, 0)
BackgroundColor = Field(default=None, pattern=r"^#([0-9A-Fa-f]{6}|[0-9A-Fa-f]{8})$",
                        description="A text status's background: #RRGGBB (or #AARRGGBB).")


class ChannelIn(Body):
    name: ChannelName
    description: ChannelDescription = ""


class Done(Out):
    done: bool


class ChannelOut(Out):
    id: str = Field(description="The channel's id: <digits>@newsletter.")
    name: str
    description: str | None
    invite_code: str | None
    invite_url: str | None = Field(description="https://whatsapp.com/channel/<code>")
    subscribers: int | None
    verified: bool
    role: Literal["owner", "admin", "subscriber", "guest"] | None = Field(
        description="This session's role in it; null: it does not follow it.")
    muted: bool
    picture_url: str | None
    created_at: str | None
    state: str | None

    @classmethod
    def of(cls, channel: Channel) -> ChannelOut:
        return cls.model_validate({**channel.model_dump(), "invite_url": channel.invite_url})


class PostIn(Body):
    """A post: a text, an image or a video (media by ``url`` or ``base64``)."""

    type: Literal["text", "image", "video"] = "text"
    text: MessageText | None = None
    link_preview: bool = True
    image: MediaIn | None = None
    video: MediaIn | None = None
    metadata: Metadata = Field(default_factory=dict)

    def draft(self, **text_style: Any) -> Draft:
        """The messaging service's view (its session and chat filled in by the service)."""
        given = {"text": self.text, "image": self.image, "video": self.video}
        for name, value in given.items():
            if name != self.type and value is not None:
                raise ValidationFailed.field(name, f"does not belong to a {self.type} post")
        if given[self.type] is None:
            raise ValidationFailed.field(self.type, f"is required for a {self.type} post")
        if self.type == "text":
            body = {"text": self.text, "link_preview": self.link_preview, **{
                k: v for k, v in text_style.items() if v is not None}}
            return Draft(session_id="", to="", type="text", body=body, metadata=self.metadata)
        media: MediaIn = given[self.type]  # type: ignore[assignment]
        return Draft(session_id="", to="", type=self.type,
                     body={"caption": media.caption} if media.caption else {},
                     media=MediaSource(url=media.url, base64=media.base64,
                                       mime_type=media.mime_type, filename=media.filename),
                     metadata=self.metadata)


class StatusIn(PostIn):
    """A status: a text (on a background colour, in a font), an image or a video."""

    background_color: str | None = BackgroundColor
    font: StatusFont | None = None

    def status_draft(self) -> Draft:
        if self.type != "text":
            for name in ("background_color", "font"):
                if getattr(self, name) is not None:
                    raise ValidationFailed.field(name, "belongs to a text status only")
        return self.draft(background_color=self.background_color, font=self.font)


class DeafIn(Body):
    deaf: bool = True
