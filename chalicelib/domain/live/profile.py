"""Live operations on the account's own profile: name, about text and picture."""

from __future__ import annotations

from pydantic import Field

from chalicelib.domain.live import LiveOp, LiveResult
from chalicelib.domain.live.contacts import ABOUT_MAX, NAME_MAX, URL_MAX

PICTURE_MAX_BYTES = 1024 * 1024  # WhatsApp keeps a 640x640 JPEG; 1 MB is plenty


class Profile(LiveResult):
    name: str | None = Field(default=None, max_length=NAME_MAX)
    about: str | None = Field(default=None, max_length=ABOUT_MAX)
    picture_url: str | None = Field(default=None, max_length=URL_MAX)


class GetProfile(LiveOp):
    OP = "profile.get"
    RESULT = Profile


class UpdateProfile(LiveOp):
    """Change the account's name and/or about text (None: leave as is)."""

    OP = "profile.update"

    name: str | None = Field(default=None, min_length=1, max_length=NAME_MAX)
    about: str | None = Field(default=None, max_length=ABOUT_MAX)


class SetProfilePicture(LiveOp):
    """Set the account's picture: a JPEG or PNG, base64-encoded (at most
    ``PICTURE_MAX_BYTES`` decoded)."""

    OP = "profile.set_picture"

    image: str = Field(min_length=1, max_length=(PICTURE_MAX_BYTES * 4) // 3 + 4)
    mime_type: str = Field(max_length=64)


class RemoveProfilePicture(LiveOp):
    OP = "profile.remove_picture"
