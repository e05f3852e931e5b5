"""The account's own profile (name, about text, picture) and presence, live through the
session."""

from __future__ import annotations

import base64

from chalicelib.domain import ids
from chalicelib.domain.auth import Principal
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.live.presence import PresenceState, SetPresence
from chalicelib.domain.live.profile import (
    PICTURE_MAX_BYTES,
    GetProfile,
    Profile,
    RemoveProfilePicture,
    SetProfilePicture,
    UpdateProfile,
)
from chalicelib.services.live import LiveService
from chalicelib.services.media import MediaService, MediaSource

PICTURE_TYPES = ("image/jpeg", "image/png")


class ProfileService:
    def __init__(self, live: LiveService, media: MediaService) -> None:
        self._live = live
        self._media = media

    def get(self, caller: Principal, session_id: str) -> Profile:
        result = self._live.run(caller, session_id, GetProfile())
        assert isinstance(result, Profile)
        return result

    def update(self, caller: Principal, session_id: str, name: str | None,
               about: str | None) -> Profile:
        """Change the name and/or about text; the profile as it is afterwards."""
        session = self._live.session(caller, session_id)
        self._live.on(session, UpdateProfile(name=name, about=about))
        result = self._live.on(session, GetProfile())
        assert isinstance(result, Profile)
        return result

    def set_picture(self, caller: Principal, session_id: str, source: MediaSource) -> Profile:
        """Set the picture from a URL or base64 (a JPEG or PNG of at most
        ``PICTURE_MAX_BYTES``): fetched and checked like any image, then handed over."""
        session = self._live.session(caller, session_id)
        if source.base64 and len(source.base64) > (PICTURE_MAX_BYTES * 4) // 3 + 4:
            raise ValidationFailed.field("picture.base64", f"the picture may be at most "
                                         f"{PICTURE_MAX_BYTES // 1024} KB")
        stored = self._media.ingest(caller.tenant_id, ids.new_id(), "image", source, "picture")
        if stored.mime_type not in PICTURE_TYPES:
            raise ValidationFailed.field("picture", "must be a JPEG or PNG image")
        if stored.size > PICTURE_MAX_BYTES:
            raise ValidationFailed.field("picture", f"the picture may be at most "
                                         f"{PICTURE_MAX_BYTES // 1024} KB")
        data = self._media.read(caller.tenant_id, stored)
        self._live.on(session, SetProfilePicture(image=base64.b64encode(data).decode(),
                                                 mime_type=stored.mime_type))
        result = self._live.on(session, GetProfile())
        assert isinstance(result, Profile)
        return result

    def remove_picture(self, caller: Principal, session_id: str) -> None:
        self._live.run(caller, session_id, RemoveProfilePicture())

    def set_presence(self, caller: Principal, session_id: str, presence: PresenceState) -> None:
        self._live.run(caller, session_id, SetPresence(presence=presence))
