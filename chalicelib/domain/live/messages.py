"""Live operations on messages already on WhatsApp: edit, delete for everyone, star."""

from __future__ import annotations

from chalicelib.domain.live import LiveOp


class EditMessage(LiveOp):
    """Replace the text of a message this session sent."""

    OP = "messages.edit"

    chat: str
    engine_message_id: str
    text: str


class RevokeMessage(LiveOp):
    """Delete a message this session sent, for everyone."""

    OP = "messages.revoke"

    chat: str
    engine_message_id: str


class StarMessage(LiveOp):
    """Star or unstar a message (on the linked phone too)."""

    OP = "messages.star"

    chat: str
    engine_message_id: str
    from_me: bool
    starred: bool = True
