"""Live operations on labels (WhatsApp Business): create, update, delete, and put a label on a
chat or take it off; what engines report of labels changed on the phone."""

from __future__ import annotations

from pydantic import Field

from chalicelib.domain.live import Done, LiveOp, LiveResult, LiveUpdate
from chalicelib.domain.live.sandbox import SandboxOp

LABEL_COLORS = 20  # WhatsApp Business's palette: colors 0-19
LABEL_NAME_MAX = 100
LABELS_MAX = 100  # labels per session (WhatsApp Business allows twenty-odd)


class Label(LiveResult):
    id: str
    name: str
    color: int


class CreateLabel(LiveOp):
    OP = "labels.create"
    RESULT = Label

    name: str = Field(min_length=1, max_length=LABEL_NAME_MAX)
    color: int = Field(default=0, ge=0, lt=LABEL_COLORS)


class UpdateLabel(LiveOp):
    OP = "labels.update"
    RESULT = Label

    id: str = Field(max_length=64)
    name: str = Field(min_length=1, max_length=LABEL_NAME_MAX)
    color: int = Field(ge=0, lt=LABEL_COLORS)


class DeleteLabel(LiveOp):
    OP = "labels.delete"
    RESULT = Done

    id: str = Field(max_length=64)


class LabelChat(LiveOp):
    """Put a label on a chat (``on`` True) or take it off."""

    OP = "labels.chat"
    RESULT = Done

    id: str = Field(max_length=64)
    chat: str
    on: bool = True


# --- what engines report ---


class LabelChanged(LiveUpdate):
    """A label was created, renamed or recolored (``deleted``: removed) on the phone."""

    KIND = "labels.changed"

    id: str
    name: str | None = None
    color: int | None = None
    deleted: bool = False


class LabelChatChanged(LiveUpdate):
    KIND = "labels.chat"

    id: str
    chat: str
    on: bool


# --- the sandbox's phone, changing labels (tests and demos) ---


class PhoneChangesLabel(SandboxOp):
    """The phone's owner creates (no ``id``), edits or deletes a label."""

    OP = "sandbox.label_change"

    id: str | None = Field(default=None, max_length=64)
    name: str | None = Field(default=None, min_length=1, max_length=LABEL_NAME_MAX)
    color: int | None = Field(default=None, ge=0, lt=LABEL_COLORS)
    deleted: bool = False


class PhoneLabelsChat(SandboxOp):
    """The phone's owner puts a label on a chat (``on``) or takes it off."""

    OP = "sandbox.label_chat"

    id: str = Field(max_length=64)
    chat: str
    on: bool = True
