"""The neonize engine's contacts, presence and profile translations, offline on real neonize
protobufs."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from chalicelib.domain.live.contacts import About, Blocked, Picture
from chalicelib.domain.live.presence import PresenceUpdate
from chalicelib.domain.live.profile import Profile
from chalicelib.sessionhost.engines.base import EngineError
from chalicelib.sessionhost.engines.neonize import NeonizeEngine
from chalicelib.sessionhost.engines.neonize.contacts import (
    about_from,
    blocked_from,
    no_picture,
    picture_from,
)
from chalicelib.sessionhost.engines.neonize.presence import presence_from_event
from chalicelib.sessionhost.engines.neonize.profile import profile_from, profile_jpeg

pb = pytest.importorskip("neonize.proto.Neonize_pb2")
events = pytest.importorskip("neonize.events")


def jid(user: str, server: str = "s.whatsapp.net") -> object:
    return pb.JID(User=user, Server=server, RawAgent=0, Device=0, Integrator=0,
                  IsEmpty=False)


def test_a_picture_and_its_absence() -> None:
    info = pb.ProfilePictureInfo(URL="https://pps.whatsapp.net/v/t61/abc.jpg", ID="1712",
                                 Type="image", DirectPath="/v/t61/abc.jpg")
    assert picture_from(info) == Picture(url="https://pps.whatsapp.net/v/t61/abc.jpg",
                                         id="1712")
    assert picture_from(pb.ProfilePictureInfo()) == Picture()
    assert no_picture("the user doesn't have a profile picture (not set)")
    assert no_picture("info query returned status 401: not-authorized")
    assert not no_picture("websocket not connected")


def test_about_texts_from_user_info() -> None:
    found = pb.GetUserInfoReturnFunction(UsersInfo=[
        pb.GetUserInfoSingleReturnFunction(JID=jid("14155552671"),
                                           UserInfo=pb.UserInfo(Status="At the gym"))])
    assert about_from(single.UserInfo for single in found.UsersInfo) == About(
        about="At the gym")
    assert about_from([pb.UserInfo()]) == About()


def test_the_blocklist_drops_device_parts() -> None:
    blocklist = pb.Blocklist(DHash="h", JIDs=[jid("14155552671"), jid("123456789012345", "lid")])
    assert blocked_from(blocklist) == Blocked(
        jids=["14155552671@s.whatsapp.net", "123456789012345@lid"])


def test_presence_events() -> None:
    online = events.PresenceEv(From=jid("14155552671"), Unavailable=False, LastSeen=0)
    assert presence_from_event(online) == PresenceUpdate(
        jid="14155552671@s.whatsapp.net", presence="available")
    away = events.PresenceEv(From=jid("14155552671"), Unavailable=True, LastSeen=1_704_110_400)
    assert presence_from_event(away) == PresenceUpdate(
        jid="14155552671@s.whatsapp.net", presence="unavailable",
        last_seen="2024-01-01T12:00:00+00:00")
    hidden = events.PresenceEv(From=jid("14155552671"), Unavailable=True, LastSeen=0)
    assert presence_from_event(hidden).last_seen is None  # type: ignore[union-attr]
    assert presence_from_event(events.PresenceEv(From=pb.JID(), Unavailable=False,
                                                 LastSeen=0)) is None


def test_the_engine_handles_presence_events() -> None:
    assert events.PresenceEv in NeonizeEngine()._handlers()


def test_the_own_profile() -> None:
    me = pb.Device(JID=jid("14155550100"), PushName="Acme Shop")
    assert profile_from(me, "Open 9-5", None) == Profile(name="Acme Shop", about="Open 9-5")
    assert profile_from(None, None, None) == Profile()


def test_a_profile_picture_becomes_a_small_jpeg() -> None:
    buffer = io.BytesIO()
    Image.new("RGBA", (1000, 500), (0, 0, 255, 128)).save(buffer, format="PNG")
    jpeg = profile_jpeg(buffer.getvalue())
    with Image.open(io.BytesIO(jpeg)) as image:
        assert (image.format, image.size) == ("JPEG", (640, 320))
    with pytest.raises(EngineError) as refused:
        profile_jpeg(b"%PDF-1.4")
    assert (refused.value.code, refused.value.status) == ("invalid_image", 422)
