"""The wrapper's request bodies for sessions, the client, chats and contacts (field names as
its controllers read them: the aliases). The wrapper checks none of them (a missing
``chatId`` ends in its 500); here they are required, bounded, and a 422 in its error shape
otherwise."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints

from chalicelib.api.dialects.schemas import ProductBody
from chalicelib.domain.live.contacts import ABOUT_MAX, NAME_MAX
from chalicelib.domain.live.labels import LABELS_MAX
from chalicelib.domain.live.profile import PICTURE_MAX_BYTES

Id = Annotated[str, StringConstraints(min_length=1, max_length=128)]
LabelId = Annotated[str, StringConstraints(min_length=1, max_length=64)] | int
CHATS_MAX = 50  # chats one addOrRemoveLabels call changes
PICTURE_MAX_CHARS = (PICTURE_MAX_BYTES * 4) // 3 + 1024  # base64, with room for line breaks


class ChatIdBody(ProductBody):
    chat_id: Id = Field(alias="chatId", examples=["6281288888888@c.us"],
                        description="The chat's id (``6281288888888@c.us``, a group's "
                                    "``…@g.us``, or a phone number).")


class ContactIdBody(ProductBody):
    contact_id: Id = Field(alias="contactId", examples=["6281288888888@c.us"],
                           description="The person's id (``6281288888888@c.us``, a phone "
                                       "number or a ``…@lid``).")


class LabelIdBody(ProductBody):
    label_id: LabelId = Field(alias="labelId", examples=["1"], description="The label's id.")


class LabelsBody(ProductBody):
    label_ids: list[LabelId] = Field(alias="labelIds", max_length=LABELS_MAX,
                                     description="The labels the chats end up with (every "
                                                 "other label leaves them).")
    chat_ids: list[Id] = Field(alias="chatIds", max_length=CHATS_MAX,
                               description="The chats to change.")


class NumberBody(ProductBody):
    number: Id = Field(examples=["6281288888888"],
                       description="The number or id (``@c.us`` is added when missing).")


class MuteBody(ChatIdBody):
    unmute_date: Annotated[str, StringConstraints(max_length=64)] | int | None = Field(
        default=None, alias="unmuteDate",
        description="When the mute ends (an ISO date, or Unix seconds or milliseconds); "
                    "empty or absent: forever.")


class DisplayNameBody(ProductBody):
    display_name: Annotated[str, StringConstraints(min_length=1, max_length=NAME_MAX)] = Field(
        alias="displayName")


class StatusBody(ProductBody):
    status: Annotated[str, StringConstraints(min_length=1, max_length=ABOUT_MAX)] = Field(
        examples=["I'm running WhatsApp Web Api"])


class PictureBody(ProductBody):
    picture_mimetype: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        alias="pictureMimetype", examples=["image/png"])
    picture_data: Annotated[str, StringConstraints(
        min_length=1, max_length=PICTURE_MAX_CHARS)] = Field(
        alias="pictureData", description="The picture, base64 (a JPEG or PNG of at most 1 MB).")


class CallbackBody(ProductBody):
    """What the wrapper's callback example receives."""

    data_type: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        default=None, alias="dataType")
    data: dict[str, Any] | None = None
    session_id: Annotated[str, StringConstraints(max_length=128)] | None = Field(
        default=None, alias="sessionId")
