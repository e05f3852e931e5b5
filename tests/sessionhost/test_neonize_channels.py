"""The neonize engine's channels, statuses and self-check, offline: real neonize protobufs
translated, and the engine's calls against the fake network of test_neonize_engine."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.content import Image, StoredMedia, Text
from chalicelib.domain.jids import STATUS_BROADCAST, parse_jid
from chalicelib.domain.live.channels import (
    Channel,
    ChannelInfo,
    ChannelInviteInfo,
    CreateChannel,
    FollowChannel,
    ListChannels,
    UnfollowChannel,
)
from chalicelib.domain.live.liveness import SelfCheck
from chalicelib.sessionhost.engines.base import EngineError, EngineSession, Outbound
from chalicelib.sessionhost.engines.neonize import NeonizeEngine, convert
from chalicelib.sessionhost.engines.neonize.channels import channel_from_metadata
from tests.sessionhost.test_neonize_engine import (
    ME,
    FakeWhatsApp,
    Recorder,
    client_module,
    connected,
    e2e,
    jid,
    pb,
)

CHANNEL = "120363025246125999"


def metadata(role: str = "OWNER", verified: bool = True) -> Any:
    thread = pb.NewsletterThreadMetadata(
        CreationTime=1_767_225_600, InviteCode="AbCdEf123456",
        Name=pb.NewsletterText(Text="Shop news", ID="n1", UpdateTime=0),
        Description=pb.NewsletterText(Text="Offers", ID="d1", UpdateTime=0),
        SubscriberCount=42,
        VerificationState=pb.NewsletterThreadMetadata.NewsletterVerificationState.Value(
            "VERIFIED" if verified else "UNVERIFIED"),
        Picture=pb.ProfilePictureInfo(URL="https://pps.whatsapp.net/p.jpg", ID="1",
                                      Type="image",
                                      DirectPath="/p", Hash=b""),
        Preview=pb.ProfilePictureInfo(URL="", ID="", Type="", DirectPath="", Hash=b""),
        Settings=pb.NewsletterSetting(ReactionCodes=pb.NewsletterReactionSettings(Value=1)))
    return pb.NewsletterMetadata(
        ID=jid(CHANNEL, "newsletter"),
        State=pb.WrappedNewsletterState(Type=pb.WrappedNewsletterState.NewsletterState.Value(
            "ACTIVE")),
        ThreadMeta=thread,
        ViewerMeta=pb.NewsletterViewerMetadata(Mute=pb.NewsletterMuteState.Value("OFF"),
                                               Role=pb.NewsletterRole.Value(role)))


def test_channel_metadata_translates() -> None:
    assert channel_from_metadata(metadata()) == Channel(
        id=f"{CHANNEL}@newsletter", name="Shop news", description="Offers",
        invite_code="AbCdEf123456", subscribers=42, verified=True, role="owner", muted=False,
        picture_url="https://pps.whatsapp.net/p.jpg", created_at="2026-01-01T00:00:00Z",
        state="active")
    follower = channel_from_metadata(metadata("SUBSCRIBER", verified=False))
    assert (follower.role, follower.verified) == ("subscriber", False)


def test_a_text_status_carries_its_background_and_font() -> None:
    styled = convert.build_message(Outbound(parse_jid(STATUS_BROADCAST), Text(
        text="Open today", background_color="#25D366", font="system_bold")))
    extended = styled.extendedTextMessage
    assert extended.text == "Open today" and extended.backgroundArgb == 0xFF25D366
    assert extended.textArgb == 0xFFFFFFFF
    assert extended.font == e2e.ExtendedTextMessage.FontType.Value("SYSTEM_BOLD")
    translucent = convert.build_message(Outbound(parse_jid(STATUS_BROADCAST), Text(
        text="x", background_color="#8025D366")))
    assert translucent.extendedTextMessage.backgroundArgb == 0x8025D366
    plain = convert.build_message(Outbound(parse_jid(STATUS_BROADCAST), Text(text="plain")))
    assert plain == e2e.Message(conversation="plain")


@pytest.fixture
def channel_calls(wa: FakeWhatsApp, monkeypatch: pytest.MonkeyPatch
                  ) -> FakeWhatsApp:
    cls = client_module.NewClient

    def record(name: str, answer: Any = None) -> Any:
        def method(client: Any, *args: Any) -> Any:
            wa.calls.append((name, client.uuid, *args))
            return answer(*args) if callable(answer) else answer
        return method

    def info(channel: Any) -> Any:
        if channel.User != CHANNEL:
            from neonize.exc import GetNewsletterInfoError

            raise GetNewsletterInfoError("item-not-found")
        return metadata("SUBSCRIBER")

    monkeypatch.setattr(cls, "get_subscribed_newletters", record(
        "get_subscribed_newletters", lambda: [metadata()]))
    monkeypatch.setattr(cls, "create_newsletter", record(
        "create_newsletter", lambda name, description, picture: metadata()))
    monkeypatch.setattr(cls, "get_newsletter_info", record("get_newsletter_info", info))
    monkeypatch.setattr(cls, "get_newsletter_info_with_invite", record(
        "get_newsletter_info_with_invite", lambda code: metadata("GUEST")))
    monkeypatch.setattr(cls, "follow_newsletter", record("follow_newsletter"))
    monkeypatch.setattr(cls, "unfollow_newsletter", record("unfollow_newsletter"))
    monkeypatch.setattr(cls, "get_user_info", record("get_user_info", lambda *jids: []))
    monkeypatch.setattr(cls, "is_connected", property(lambda client: True))
    return wa


def test_channel_operations_call_neonize(channel_calls: FakeWhatsApp,
                                         session: EngineSession) -> None:
    engine, listener = NeonizeEngine(), Recorder()
    client = connected(engine, session, channel_calls, listener)
    target = f"{CHANNEL}@newsletter"
    assert [c.id for c in engine.live(session, ListChannels()).channels] == [target]
    assert engine.live(session, CreateChannel(name="Shop news", description="Offers")).role \
        == "owner"
    assert ("create_newsletter", client.uuid, "Shop news", "Offers", b"") in channel_calls.calls
    assert engine.live(session, ChannelInfo(channel=target)).role == "subscriber"
    assert engine.live(session, ChannelInviteInfo(code="AbCdEf123456")).role == "guest"
    engine.live(session, FollowChannel(channel=target))
    engine.live(session, UnfollowChannel(channel=target))
    followed = [c for c in channel_calls.calls if c[0] in ("follow_newsletter",
                                                          "unfollow_newsletter")]
    assert [(c[0], c[2].User, c[2].Server) for c in followed] == [
        ("follow_newsletter", CHANNEL, "newsletter"), ("unfollow_newsletter", CHANNEL,
                                                       "newsletter")]
    with pytest.raises(EngineError) as unknown:
        engine.live(session, ChannelInfo(channel="120363000000000000@newsletter"))
    assert (unknown.value.code, unknown.value.status) == ("not_found", 404)
    engine.stop(session)


def test_posts_to_a_channel_text_yes_media_no(channel_calls: FakeWhatsApp,
                                              session: EngineSession) -> None:
    engine, listener = NeonizeEngine(), Recorder()
    connected(engine, session, channel_calls, listener)
    target = parse_jid(f"{CHANNEL}@newsletter")
    assert engine.send(session, Outbound(target, Text(text="First post"))) == "3EB0C0FFEE"
    (_, _, to, message) = next(c for c in channel_calls.calls if c[0] == "send_message")
    assert (to.User, to.Server) == (CHANNEL, "newsletter")
    assert message == e2e.Message(conversation="First post")
    image = Image(media=StoredMedia(key="k", mime_type="image/png", size=3, sha256="s"))
    with pytest.raises(EngineError) as refused:
        engine.send(session, Outbound(target, image, media=b"png"))
    assert (refused.value.code, refused.value.status) == ("not_supported", 501)
    engine.stop(session)


def test_the_self_check_asks_whatsapp_about_our_own_number(
        channel_calls: FakeWhatsApp, session: EngineSession,
        monkeypatch: pytest.MonkeyPatch) -> None:
    engine, listener = NeonizeEngine(), Recorder()
    client = connected(engine, session, channel_calls, listener)
    assert engine.live(session, SelfCheck()).ok is True
    (_, uuid, me) = next(c for c in channel_calls.calls if c[0] == "get_user_info")
    assert uuid == client.uuid and (me.User, me.Server) == (ME, "s.whatsapp.net")

    from neonize.exc import GetUserInfoError

    def fails(client: Any, *jids: Any) -> Any:
        raise GetUserInfoError("timed out waiting for response")

    monkeypatch.setattr(client_module.NewClient, "get_user_info", fails)
    with pytest.raises(EngineError) as failed:
        engine.live(session, SelfCheck())
    assert failed.value.code == "self_check_failed"
    monkeypatch.setattr(client_module.NewClient, "is_connected", property(lambda c: False))
    with pytest.raises(EngineError) as closed:
        engine.live(session, SelfCheck())
    assert closed.value.code == "not_connected"
    engine.stop(session)
    with pytest.raises(EngineError):
        engine.live(session, SelfCheck())
