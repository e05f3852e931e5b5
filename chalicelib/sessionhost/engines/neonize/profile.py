"""The neonize engine's own profile: name (``set_profile_name``), about text
(``set_status_message``) and picture (``set_profile_photo``, a JPEG: PNGs are converted).

Removing the picture is not_supported: neonize 0.5.2's ``set_profile_photo`` always sends an
image (whatsmeow removes a picture only when given none, which neonize cannot pass)."""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING

from chalicelib.domain.live import Done
from chalicelib.domain.live.profile import GetProfile, Profile, SetProfilePicture, UpdateProfile
from chalicelib.sessionhost.engines.base import EngineError, EngineSession
from chalicelib.sessionhost.engines.neonize.connection import NeonizeCore
from chalicelib.sessionhost.engines.neonize.contacts import about_from, no_picture
from chalicelib.sessionhost.engines.neonize.convert import engine_error

if TYPE_CHECKING:
    from neonize.proto.Neonize_pb2 import Device

PICTURE_SIDE = 640  # WhatsApp shows profile pictures at most 640x640


def profile_jpeg(data: bytes) -> bytes:
    """The picture as WhatsApp takes it: a JPEG of at most 640x640."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            picture = image.convert("RGB")
    except (UnidentifiedImageError, OSError) as exc:
        raise EngineError("invalid_image", "the picture is not an image", status=422) from exc
    picture.thumbnail((PICTURE_SIDE, PICTURE_SIDE))
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=85)
    return out.getvalue()


def profile_from(me: Device | None, about: str | None, picture_url: str | None) -> Profile:
    return Profile(name=(me.PushName or None) if me is not None else None, about=about,
                   picture_url=picture_url)


class ProfileOps(NeonizeCore):
    def profile_get(self, session: EngineSession, op: GetProfile) -> Profile:
        from neonize.exc import NeonizeError

        with self._using(session) as connection:
            client = connection.client
            assert client is not None  # (held)
            me = client.me
            if me is None:
                raise EngineError("not_connected", "the session's own device is not known yet")
            try:
                about = about_from(single.UserInfo
                                   for single in client.get_user_info(me.JID)).about
            except NeonizeError as exc:
                raise engine_error(exc, "profile_failed") from exc
            try:
                url = client.get_profile_picture(me.JID).URL or None
            except NeonizeError as exc:
                if not no_picture(str(exc)):
                    raise engine_error(exc, "profile_failed") from exc
                url = None
        return profile_from(me, about, url)

    def profile_update(self, session: EngineSession, op: UpdateProfile) -> Done:
        from neonize.exc import NeonizeError

        with self._using(session) as connection:
            assert connection.client is not None  # (held)
            try:
                if op.name is not None:
                    connection.client.set_profile_name(op.name)
                if op.about is not None:
                    connection.client.set_status_message(op.about)
            except NeonizeError as exc:
                raise engine_error(exc, "profile_failed") from exc
        return Done()

    def profile_set_picture(self, session: EngineSession, op: SetProfilePicture) -> Done:
        from neonize.exc import NeonizeError

        jpeg = profile_jpeg(base64.b64decode(op.image))
        with self._using(session) as connection:
            assert connection.client is not None  # (held)
            try:
                connection.client.set_profile_photo(jpeg)
            except NeonizeError as exc:
                raise engine_error(exc, "profile_failed") from exc
        return Done()
