"""The neonize engine's groups and calls, offline: real neonize protobufs translated both ways,
and the operations and events through a client whose network calls are replaced."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.domain.live import LiveUpdate
from chalicelib.domain.live.calls import CallReceived, RejectCall
from chalicelib.domain.live.groups import (
    ChangeParticipants,
    CreateGroup,
    GetInvite,
    GroupJoined,
    GroupLeft,
    GroupParticipants,
    GroupUpdated,
    JoinGroup,
    Participant,
    RemoveGroupPicture,
    UpdateGroup,
)
from chalicelib.sessionhost.engines.base import EngineError, EngineSession
from chalicelib.sessionhost.engines.neonize import NeonizeEngine
from chalicelib.sessionhost.engines.neonize.calls import call_from_notice, call_from_offer
from chalicelib.sessionhost.engines.neonize.groups import (
    group_error,
    group_from_proto,
    group_updates,
    joined_update,
    participant_outcomes,
)
from tests.sessionhost.test_neonize_engine import (
    FRIEND,
    GROUP,
    LID,
    ME,
    NO_JID,
    FakeWhatsApp,
    Recorder,
    connected,
    fire,
    jid,
    starter_idle,
)

pb = pytest.importorskip("neonize.proto.Neonize_pb2")
client_module = pytest.importorskip("neonize.client")
enums = pytest.importorskip("neonize.utils.enum")
exc = pytest.importorskip("neonize.exc")

CREATED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
G = f"{GROUP}@g.us"
OTHER = "33612345678"


def participant(user: str, admin: bool = False, superadmin: bool = False, error: int = 0,
                lid: str | None = None, add_request: bool = False) -> Any:
    extra = {"AddRequest": pb.GroupParticipantAddRequest(Code="abc", Expiration=1.0)} \
        if add_request else {}
    return pb.GroupParticipant(JID=jid(user), LID=jid(lid, "lid") if lid else NO_JID,
                               PhoneNumber=jid(user), IsAdmin=admin, IsSuperAdmin=superadmin,
                               DisplayName="", Error=error, **extra)


def group_info(name: str = "Team", topic: str = "", announce: bool = False,
               locked: bool = False) -> Any:
    return pb.GroupInfo(
        OwnerJID=jid(ME), JID=jid(GROUP, "g.us"), OwnerPN=jid(ME),
        GroupName=pb.GroupName(Name=name, NameSetAt=0, NameSetBy=jid(ME)),
        GroupTopic=pb.GroupTopic(Topic=topic, TopicID="", TopicSetAt=0, TopicSetBy=NO_JID,
                                 TopicDeleted=False),
        GroupLocked=pb.GroupLocked(isLocked=locked),
        GroupAnnounce=pb.GroupAnnounce(IsAnnounce=announce, AnnounceVersionID=""),
        GroupEphemeral=pb.GroupEphemeral(IsEphemeral=False, DisappearingTimer=0),
        GroupIncognito=pb.GroupIncognito(IsIncognito=False),
        GroupParent=pb.GroupParent(IsParent=False, DefaultMembershipApprovalMode=""),
        GroupLinkedParent=pb.GroupLinkedParent(LinkedParentJID=NO_JID),
        GroupIsDefaultSub=pb.GroupIsDefaultSub(IsDefaultSubGroup=False),
        GroupCreated=CREATED.timestamp(), ParticipantVersionID="",
        Participants=[participant(ME, True, True), participant(FRIEND, lid=LID)])


def info_event(**fields: Any) -> Any:
    return pb.GroupInfoEvent(JID=jid(GROUP, "g.us"), Notify="", Timestamp=0,
                             PrevParticipantsVersionID="", ParticipantVersionID="",
                             JoinReason="", **fields)


def call_meta(caller: Any = None, alt: Any = None) -> Any:
    caller = caller or jid(FRIEND, device=3)
    return pb.BasicCallMeta(callCreator=caller, callCreatorAlt=alt or NO_JID, callID="CA11ID",
                            timestamp=int(CREATED.timestamp()), **{"from": caller})


def node(tag: str, *children: Any, **attrs: Any) -> Any:
    return pb.Node(Tag=tag, Nodes=list(children),
                   Attrs=[pb.NodeAttrs(name=k, text=v) for k, v in attrs.items()])


# --- translation ---

def test_group_info_with_participants_and_admin_flags() -> None:
    group = group_from_proto(group_info(topic="About us", announce=True))
    assert (group.id, group.subject, group.description, group.owner) == (
        G, "Team", "About us", f"{ME}@s.whatsapp.net")
    assert (group.announce, group.locked) == (True, False)
    assert group.created_at is not None  # neonize carries it as a float32: to about 2 minutes
    assert abs((group.created_at - CREATED).total_seconds()) < 256
    assert group.participants == [
        Participant(jid=f"{ME}@s.whatsapp.net", phone=f"+{ME}", admin=True, superadmin=True),
        Participant(jid=f"{FRIEND}@s.whatsapp.net", phone=f"+{FRIEND}", lid=f"{LID}@lid")]
    assert group_from_proto(group_info(), participants=False).participants == []


def test_participant_outcomes_match_whatsapps_answer() -> None:
    asked = [f"{FRIEND}@s.whatsapp.net", f"{OTHER}@s.whatsapp.net", "4915112345678@s.whatsapp.net",
             "14155552000@s.whatsapp.net"]
    answered = [participant(FRIEND), participant(OTHER, error=409),
                participant("4915112345678", error=403, add_request=True)]
    changed = participant_outcomes("add", asked, answered)
    assert [(r.ok, r.reason) for r in changed.results] == [
        (True, None), (False, "already_participant"), (False, "invite_required"),
        (False, "no_answer")]


def test_joined_and_group_info_events_as_updates() -> None:
    created = pb.JoinedGroup(Reason="", Type="new", CreateKey="3EB0CREATE", GroupInfo=group_info(),
                             Sender=jid(ME), SenderPN=jid(ME))
    assert joined_update(created).reason == "create" and joined_update(created).group.id == G
    added = pb.JoinedGroup(Reason="", Type="", CreateKey="", GroupInfo=group_info(),
                           Sender=jid(LID, "lid"), SenderPN=jid(FRIEND))
    assert (joined_update(added).by, joined_update(added).reason) == (
        f"{FRIEND}@s.whatsapp.net", "added")

    me = {ME, "999"}
    event = info_event(Sender=jid(FRIEND), Join=[jid(OTHER)], Promote=[jid(ME)],
                       Name=pb.GroupName(Name="New", NameSetAt=0, NameSetBy=jid(FRIEND)),
                       Locked=pb.GroupLocked(isLocked=True), NewInviteLink="")
    updates: list[LiveUpdate] = group_updates(event, me)
    friend = f"{FRIEND}@s.whatsapp.net"
    assert updates == [
        GroupParticipants(group_id=G, action="add", participants=[f"{OTHER}@s.whatsapp.net"],
                          by=friend),
        GroupParticipants(group_id=G, action="promote", participants=[f"{ME}@s.whatsapp.net"],
                          by=friend),
        GroupUpdated(group_id=G, by=friend, subject="New", locked=True)]
    removed = group_updates(info_event(Sender=jid(FRIEND), Leave=[jid("999", "lid")]), me)
    assert removed == [GroupLeft(group_id=G, by=friend)]
    left = group_updates(info_event(Sender=jid(ME), Leave=[jid(ME)]), me)
    assert left == [GroupLeft(group_id=G, by=None)]
    revoked = group_updates(info_event(NewInviteLink="https://chat.whatsapp.com/X"), me)
    assert revoked == [GroupUpdated(group_id=G, invite_revoked=True)]


def test_call_offers_and_notices() -> None:
    video = pb.CallOffer(basicCallMeta=call_meta(jid(LID, "lid"), jid(FRIEND)),
                         callRemoteMeta=pb.CallRemoteMeta(remotePlatform="", remoteVersion=""),
                         data=node("offer", node("audio"), node("video")))
    assert call_from_offer(video) == CallReceived(
        call_id="CA11ID", caller=f"{LID}@lid", caller_phone=f"+{FRIEND}", video=True,
        at=CREATED)
    voice = pb.CallOffer(basicCallMeta=call_meta(),
                         callRemoteMeta=pb.CallRemoteMeta(remotePlatform="", remoteVersion=""),
                         data=node("offer", node("audio")))
    received = call_from_offer(voice)
    assert (received.caller, received.caller_phone, received.video, received.is_group) == (
        f"{FRIEND}@s.whatsapp.net", f"+{FRIEND}", False, False)
    notice = pb.CallOfferNotice(basicCallMeta=call_meta(), media="video", type="group",
                                data=node("offer_notice"))
    assert (call_from_notice(notice).video, call_from_notice(notice).is_group) == (True, True)


def test_group_errors() -> None:
    assert (group_error(Exception("group not found")).code,
            group_error(Exception("group not found")).status) == ("not_found", 404)
    assert group_error(Exception("failed to get invite link: not-authorized")).code == "not_admin"
    assert group_error(Exception("that group invite link has been revoked")).code \
        == "invalid_invite"
    assert group_error(Exception("websocket not connected")).code == "not_connected"
    assert group_error(Exception("server said 500")).code == "group_failed"


# --- the engine, with neonize's network calls replaced ---

class UpdateRecorder(Recorder):
    def on_update(self, update: LiveUpdate) -> None:
        self._add("on_update", update)


@pytest.fixture
def groups_wa(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWhatsApp]:
    """The fake network of test_neonize_engine, answering group calls too."""
    wa = FakeWhatsApp(monkeypatch)
    cls = client_module.NewClient

    def record(name: str, answer: Any = None) -> Any:
        def method(client: Any, *args: Any) -> Any:
            wa.calls.append((name, client.uuid, *args))
            if isinstance(answer, Exception):
                raise answer
            return answer(*args) if callable(answer) else answer
        return method

    monkeypatch.setattr(cls, "create_group", record("create_group", lambda *a: group_info()))
    monkeypatch.setattr(cls, "get_group_info", record("get_group_info",
                                                      lambda *a: group_info("Renamed")))
    monkeypatch.setattr(cls, "set_group_name", record("set_group_name"))
    monkeypatch.setattr(cls, "set_group_topic", record("set_group_topic"))
    monkeypatch.setattr(cls, "update_group_participants", record(
        "update_group_participants", lambda g, people, action: [participant(FRIEND)]))
    monkeypatch.setattr(cls, "get_group_invite_link", record(
        "get_group_invite_link", "https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv"))
    monkeypatch.setattr(cls, "join_group_with_link", record(
        "join_group_with_link", exc.InviteLinkError("that group invite link is not valid")))
    monkeypatch.setattr(cls, "reject_call", record("reject_call"))
    yield wa
    wa.release_all()
    starter_idle()


def test_group_operations_call_neonize(groups_wa: FakeWhatsApp, session: EngineSession) -> None:
    engine, listener = NeonizeEngine(), UpdateRecorder()
    client = connected(engine, session, groups_wa, listener)
    created = engine.live(session, CreateGroup(subject="Team",
                                               participants=[f"{FRIEND}@s.whatsapp.net"]))
    assert created.id == G
    (_, _, subject, people) = next(c for c in groups_wa.calls if c[0] == "create_group")
    assert subject == "Team" and [(p.User, p.Server) for p in people] == [
        (FRIEND, "s.whatsapp.net")]

    updated = engine.live(session, UpdateGroup(group_id=G, subject="Renamed", description=""))
    assert updated.subject == "Renamed"
    names = [c[0] for c in groups_wa.calls if c[1] == client.uuid]
    assert names[-3:] == ["set_group_name", "set_group_topic", "get_group_info"]
    assert next(c for c in groups_wa.calls if c[0] == "set_group_topic")[3:] == ("", "", "")

    changed = engine.live(session, ChangeParticipants(
        group_id=G, action="promote", participants=[f"{FRIEND}@s.whatsapp.net"]))
    assert [(r.jid, r.ok) for r in changed.results] == [(f"{FRIEND}@s.whatsapp.net", True)]
    assert next(c for c in groups_wa.calls if c[0] == "update_group_participants")[4] \
        == enums.ParticipantChange.PROMOTE

    invite = engine.live(session, GetInvite(group_id=G, revoke=True))
    assert invite.code == "AbCdEfGhIjKlMnOpQrStUv"
    assert invite.invite == "https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv"
    with pytest.raises(EngineError) as refused:
        engine.live(session, JoinGroup(code="AbCdEfGhIjKlMnOpQrStUv"))
    assert (refused.value.code, refused.value.status) == ("invalid_invite", 404)
    with pytest.raises(EngineError) as unsupported:
        engine.live(session, RemoveGroupPicture(group_id=G))
    assert unsupported.value.code == "not_supported"
    engine.stop(session)


def test_group_and_call_events_reach_the_listener(groups_wa: FakeWhatsApp,
                                                  session: EngineSession) -> None:
    engine, listener = NeonizeEngine(), UpdateRecorder()
    client = connected(engine, session, groups_wa, listener)
    fire(client, pb.JoinedGroup(Reason="", Type="", CreateKey="", GroupInfo=group_info(),
                                Sender=jid(FRIEND), SenderPN=jid(FRIEND)))
    fire(client, info_event(Sender=jid(FRIEND), Leave=[jid(ME)]))
    fire(client, pb.CallOffer(basicCallMeta=call_meta(),
                              callRemoteMeta=pb.CallRemoteMeta(remotePlatform="",
                                                               remoteVersion=""),
                              data=node("offer", node("audio"))))
    updates = [args[0] for args in listener.wait("on_update", 3)]
    assert [type(u) for u in updates] == [GroupJoined, GroupLeft, CallReceived]
    assert updates[1] == GroupLeft(group_id=G, by=f"{FRIEND}@s.whatsapp.net")

    engine.live(session, RejectCall(call_id="CA11ID", caller=f"{LID}@lid"))
    (_, _, caller, call_id) = next(c for c in groups_wa.calls if c[0] == "reject_call")
    assert (caller.User, caller.Server, call_id) == (LID, "lid", "CA11ID")
    engine.stop(session)


def test_a_picture_goes_as_jpeg_bytes(groups_wa: FakeWhatsApp, session: EngineSession,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.domain.live.groups import SetGroupPicture

    seen: list[bytes] = []

    def set_group_photo(client: Any, group: Any, data: bytes) -> str:
        seen.append(data)
        return "PIC1"

    monkeypatch.setattr(client_module.NewClient, "set_group_photo", set_group_photo)
    engine, listener = NeonizeEngine(), UpdateRecorder()
    connected(engine, session, groups_wa, listener)
    jpeg = b"\xff\xd8\xff\xe0JFIF"
    result = engine.live(session, SetGroupPicture(group_id=G,
                                                  jpeg_base64=base64.b64encode(jpeg).decode()))
    assert result.picture_id == "PIC1" and seen == [jpeg]
    engine.stop(session)
