"""A session's labels (WhatsApp Business)."""

from __future__ import annotations

from pydantic import Field

from chalicelib.api.v1.schemas.common import Body, Out, token
from chalicelib.domain.chats import StoredLabel
from chalicelib.domain.live.labels import LABEL_COLORS, LABEL_NAME_MAX

LabelName = token(LABEL_NAME_MAX)


class LabelIn(Body):
    name: LabelName
    color: int = Field(default=0, ge=0, lt=LABEL_COLORS,
                       description=f"WhatsApp's label colors 0-{LABEL_COLORS - 1}.")


class LabelPatch(Body):
    name: LabelName | None = None
    color: int | None = Field(default=None, ge=0, lt=LABEL_COLORS)


class LabelOut(Out):
    id: str
    session_id: str
    name: str
    color: int
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, label: StoredLabel) -> LabelOut:
        return cls.model_validate(label.model_dump(mode="json"))


class LabelDeleted(Out):
    id: str
    deleted: bool


class LabelChatDone(Out):
    label_id: str
    chat: str
    labeled: bool


class PhoneLabelIn(Body):
    """The phone's owner creates (no ``id``), edits or deletes (``deleted``) a label."""

    id: token(64) | None = None  # type: ignore[valid-type]
    name: LabelName | None = None
    color: int | None = Field(default=None, ge=0, lt=LABEL_COLORS)
    deleted: bool = False
