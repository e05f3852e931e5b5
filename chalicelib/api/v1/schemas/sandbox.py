"""The sandbox engine's phone, played over the API."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from chalicelib.api.v1.schemas.common import Body, Id, Out, text, token
from chalicelib.domain.live.sandbox import PUSHBACK_MAX_SENDS
from chalicelib.domain.text import bounded

Phone = token(32)
PairingCode = token(9, 8)
Sender = token(64)
MessageText = text(65_536)
PushName = text(1024)  # the sandbox engine itself refuses more than a host stores
# As many bytes as a tenant's own reactions may have (a skin-toned family emoji is 41).
Emoji = bounded(64, 16, one_line=True)


class ScanIn(Body):
    phone: Phone | None = None


class LinkIn(Body):
    code: PairingCode


class InboundIn(Body):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)

    sender: Sender = Field(alias="from")
    text: MessageText
    push_name: PushName | None = None


class _ChangeIn(Body):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    sender: Sender = Field(alias="from", description="The phone that makes the change.")
    message_id: Id = Field(description="Our id of the message (of this session).")


class ReactIn(_ChangeIn):
    emoji: Emoji = Field(description="An empty emoji takes the phone's reaction back.")

    @property
    def change_text(self) -> str:
        return self.emoji


class EditIn(_ChangeIn):
    text: MessageText = Field(description="The message's new text.")

    @property
    def change_text(self) -> str:
        return self.text


class RevokeIn(_ChangeIn):
    """The phone deletes a message it wrote, for everyone."""

    @property
    def change_text(self) -> None:
        return None


class DropIn(Body):
    logged_out: bool = False
    refuse_reconnects: int = Field(default=0, ge=0, le=20)


class PushbackIn(Body):
    error: Literal["rate_limited", "timelock"] = Field(
        description="rate_limited (whatsmeow's 429) or timelock (463: a reach-out timelock).")
    sends: int = Field(default=1, ge=1, le=PUSHBACK_MAX_SENDS,
                       description="How many of the session's next sends get it.")


class SandboxOut(Out):
    status: str
    phone: str | None = None
    engine_message_id: str | None = None


class ReceivedOut(Out):
    """A message as the recipient's phone received it (kept a day), full text included."""

    id: str = Field(description="The message's id (GET /v1/messages/{message_id}).")
    session_id: str
    type: str
    text: str | None
    received_at: str


class PushOut(Out):
    """A push the sandbox sent (kept a day)."""

    id: str
    event_id: str
    session_id: str | None
    device_id: str
    user_id: str
    device_type: str
    title: str
    body: str
    data: dict[str, str]
    created_at: str
