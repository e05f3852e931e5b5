"""WAChat's request bodies (SendMessageParams, SendMediaParams), as its document prints them.

Like FastAPI, unknown fields are ignored; strings are trimmed (the document's own Go sample
sends ``" YOUR_DEVICE_ID "``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from chalicelib.api.dialects.schemas import ProductBody
from chalicelib.api.v1.schemas.common import HttpUrl, text, token

DEFAULT_TIMEOUT_S = 86_400  # the document's default
MAX_TIMEOUT_S = 35 * 86_400  # the native ttl_seconds' bound
Device = token(64)
Destination = token(64)
MessageText = text(65_536)
Caption = text(1_024)
FileName = token(255)


class SendParams(ProductBody):

    sender: Device | None = Field(default=None, description="The device's number (or id, "
                                                              "or name).")
    queue: Device | None = Field(default=None, description="The device: its id, name or "
                                                             "number.")
    timeout: int | None = Field(default=DEFAULT_TIMEOUT_S, ge=1, le=MAX_TIMEOUT_S,
                                description="Seconds the message may wait in the queue; "
                                            "then it is aborted (A), never sent late.")
    is_group: bool | None = False
    destination: Destination = Field(description="A phone number with its country code "
                                                 "(or a JID); a group id with is_group.")


class SendMessageParams(SendParams):
    message: MessageText


class SendMediaParams(SendParams):
    caption: Caption | None = None
    media_url: HttpUrl | None = None
    media_base64: str | None = Field(default=None, max_length=14 * 1024 * 1024)
    file_name: FileName | None = None

    @model_validator(mode="after")
    def _one_file(self) -> Any:
        if bool(self.media_url) == bool(self.media_base64):
            raise ValueError("give exactly one of media_url or media_base64")
        return self
