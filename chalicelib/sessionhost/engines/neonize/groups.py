"""The neonize engine's groups: every operation through neonize 0.5.2's group calls
(``create_group``, ``get_joined_groups``, ``get_group_info``, ``set_group_name``,
``set_group_topic``, ``set_group_announce``, ``set_group_locked``, ``set_group_photo``,
``update_group_participants``, ``get_group_invite_link``, ``join_group_with_link``,
``get_group_info_from_link``, ``leave_group``), and group events (``JoinedGroupEv``,
``GroupInfoEv``) as ``groups.*`` updates. The conversions are pure functions, below.

Not supported: removing a group's picture. whatsmeow removes it when ``SetGroupPhoto`` gets a
nil picture, but neonize's Go side always passes a byte slice (empty, not nil), which
WhatsApp would take for a broken picture. Picture changes by others are not reported either:
whatsmeow reports them as ``events.Picture``, which neonize 0.5.2 does not deliver.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from chalicelib.domain.jids import Jid
from chalicelib.domain.live import Done, LiveUpdate
from chalicelib.domain.live.groups import (
    INVITE_PREFIX,
    ChangeParticipants,
    CreateGroup,
    GetGroup,
    GetInvite,
    Group,
    GroupJoined,
    GroupLeft,
    GroupParticipants,
    Groups,
    GroupUpdated,
    Invite,
    InviteInfo,
    Joined,
    JoinGroup,
    LeaveGroup,
    ListGroups,
    Participant,
    ParticipantAction,
    ParticipantOutcome,
    ParticipantsChanged,
    PictureSet,
    SetGroupPicture,
    SetGroupSettings,
    UpdateGroup,
    invite_link,
)
from chalicelib.sessionhost.engines.base import EngineError, EngineSession
from chalicelib.sessionhost.engines.neonize.connection import NeonizeCore, _Connection
from chalicelib.sessionhost.engines.neonize.convert import (
    jid_from_proto,
    jid_to_proto,
    lenient_jid,
    phone_of,
    send_error_code,
)

if TYPE_CHECKING:
    from neonize.client import NewClient
    from neonize.proto.Neonize_pb2 import JID, GroupInfo, GroupInfoEvent, GroupParticipant
    from neonize.proto.Neonize_pb2 import JoinedGroup as JoinedGroupEvent

T = TypeVar("T")
# whatsmeow's group errors (neonize passes them on as text): our code and HTTP status.
_GROUP_REFUSALS = (
    (("group not found", "item-not-found"), "not_found", 404),
    (("not participating", "not in group"), "not_participant", 403),
    (("invite link is not valid", "invite link has been revoked", "bad-request"),
     "invalid_invite", 404),
    (("permission", "not-authorized", "forbidden"), "not_admin", 403),
)
# WhatsApp's per-participant error codes in an answer to a participants change.
_PARTICIPANT_ERRORS = {401: "blocked", 403: "not_allowed", 404: "not_participant",
                       406: "not_allowed", 408: "left_recently", 409: "already_participant",
                       500: "group_full"}


# --- pure conversions ---

def group_error(exc: Exception, default: str = "group_failed") -> EngineError:
    """The EngineError for a neonize group error."""
    text = str(exc)
    for needles, code, status in _GROUP_REFUSALS:
        if any(n in text.lower() for n in needles):
            return EngineError(code, text, status=status)
    return EngineError(send_error_code(text, default), text)


def _jid_or_none(jid: JID) -> str | None:
    return str(jid_from_proto(jid)) if jid.User else None


def participant_from_proto(p: GroupParticipant) -> Participant:
    """A member: known by its phone JID when WhatsApp tells it, else its JID (an @lid)."""
    phone = phone_of(p.PhoneNumber) or phone_of(p.JID)
    lid = p.LID if p.LID.User else (p.JID if p.JID.Server == "lid" else None)
    jid = str(Jid(phone.lstrip("+"))) if phone else _jid_or_none(p.JID) or _jid_or_none(p.LID)
    return Participant(jid=jid or "", phone=phone, lid=_jid_or_none(lid) if lid else None,
                       admin=p.IsAdmin or p.IsSuperAdmin, superadmin=p.IsSuperAdmin)


def group_from_proto(info: GroupInfo, participants: bool = True) -> Group:
    """Our Group from neonize's GroupInfo."""
    owner = _jid_or_none(info.OwnerPN) or _jid_or_none(info.OwnerJID)
    created = datetime.fromtimestamp(int(info.GroupCreated), UTC) if info.GroupCreated > 0 \
        else None  # a float32 in neonize: to about two minutes
    return Group(id=str(jid_from_proto(info.JID)), subject=info.GroupName.Name,
                 description=info.GroupTopic.Topic or None, owner=owner, created_at=created,
                 announce=info.GroupAnnounce.IsAnnounce, locked=info.GroupLocked.isLocked,
                 participants=[participant_from_proto(p) for p in info.Participants]
                 if participants else [])


def invite_code(link: str) -> str:
    """The code of the link ``get_group_invite_link`` answers."""
    return link.removeprefix(INVITE_PREFIX).strip("/")


def participant_outcomes(action: ParticipantAction, asked: list[str],
                         answered: Iterable[GroupParticipant]) -> ParticipantsChanged:
    """One outcome per participant asked for, from WhatsApp's answer (matched by number or
    LID); one WhatsApp did not answer for is ``no_answer``."""
    by_user: dict[str, GroupParticipant] = {}
    for p in answered:
        for jid in (p.JID, p.PhoneNumber, p.LID):
            if jid.User:
                by_user[jid.User] = p
    results = []
    for jid in asked:
        p = by_user.get(jid.split("@")[0])
        if p is None:
            results.append(ParticipantOutcome(jid=jid, ok=False, reason="no_answer"))
        elif p.Error == 0:
            results.append(ParticipantOutcome(jid=jid, ok=True))
        else:
            reason = "invite_required" if p.HasField("AddRequest") and p.AddRequest.Code \
                else _PARTICIPANT_ERRORS.get(p.Error, f"error_{p.Error}")
            results.append(ParticipantOutcome(jid=jid, ok=False, reason=reason))
    return ParticipantsChanged(action=action, results=results)


def _person(jid: JID) -> str:
    return str(jid_from_proto(jid))


def joined_update(event: JoinedGroupEvent) -> GroupJoined:
    """``JoinedGroupEv``: the session created a group, was added to one or joined by link."""
    by = _jid_or_none(event.SenderPN) if event.HasField("SenderPN") else None
    if by is None and event.HasField("Sender"):
        by = _jid_or_none(event.Sender)
    reason = "create" if event.CreateKey else (event.Reason or ("added" if by else None))
    return GroupJoined(group=group_from_proto(event.GroupInfo), by=by, reason=reason)


def group_updates(event: GroupInfoEvent, me: set[str]) -> list[LiveUpdate]:
    """``GroupInfoEv`` as updates: participants added, removed, promoted or demoted (the
    session's own removal a ``groups.left``; its own addition comes as ``JoinedGroupEv``),
    then what changed of the group's info and settings. ``me``: the session's own users
    (its number and LID)."""
    group_id = _person(event.JID)
    by = _jid_or_none(event.Sender) if event.HasField("Sender") else None
    updates: list[LiveUpdate] = []
    for action, jids in (("add", event.Join), ("remove", event.Leave),
                         ("promote", event.Promote), ("demote", event.Demote)):
        mine = [j for j in jids if j.User in me]
        others = [_person(j) for j in jids if j.User not in me]
        if action == "remove" and mine:
            removed_by = None if by is None or by.split("@")[0] in me else by
            updates.append(GroupLeft(group_id=group_id, by=removed_by))
        if others or (mine and action in ("promote", "demote")):
            updates.append(GroupParticipants(
                group_id=group_id, action=action, by=by,  # type: ignore[arg-type]
                participants=others + ([_person(j) for j in mine]
                                       if action in ("promote", "demote") else [])))
    changed: dict[str, Any] = {}
    if event.HasField("Name"):
        changed["subject"] = event.Name.Name
    if event.HasField("Topic"):
        changed["description"] = "" if event.Topic.TopicDeleted else event.Topic.Topic
    if event.HasField("Announce"):
        changed["announce"] = event.Announce.IsAnnounce
    if event.HasField("Locked"):
        changed["locked"] = event.Locked.isLocked
    if event.HasField("Delete"):
        changed["deleted"] = event.Delete.Deleted
    if event.HasField("NewInviteLink") and event.NewInviteLink:
        changed["invite_revoked"] = True
    if changed:
        updates.append(GroupUpdated(group_id=group_id, by=by, **changed))
    return updates


# --- the engine part ---

class GroupsOps(NeonizeCore):
    def _on_group(self, session: EngineSession, call: Callable[[NewClient], T],
                  default: str = "group_failed") -> T:
        """``call(client)`` on the session's connected client; neonize's refusals as
        EngineErrors."""
        with self._using(session) as connection:
            from neonize.exc import NeonizeError

            client = connection.client
            assert client is not None  # (held)
            try:
                return call(client)
            except NeonizeError as exc:
                raise group_error(exc, default) from exc

    def groups_create(self, session: EngineSession, op: CreateGroup) -> Group:
        people = [jid_to_proto(lenient_jid(p)) for p in op.participants]
        return group_from_proto(self._on_group(
            session, lambda c: c.create_group(op.subject, people)))

    def groups_list(self, session: EngineSession, op: ListGroups) -> Groups:
        found = self._on_group(session, lambda c: c.get_joined_groups())
        return Groups(groups=[group_from_proto(g) for g in found])

    def groups_info(self, session: EngineSession, op: GetGroup) -> Group:
        jid = jid_to_proto(lenient_jid(op.group_id))
        return group_from_proto(self._on_group(session, lambda c: c.get_group_info(jid)))

    def groups_update(self, session: EngineSession, op: UpdateGroup) -> Group:
        jid = jid_to_proto(lenient_jid(op.group_id))

        def update(client: NewClient) -> GroupInfo:
            if op.subject is not None:
                client.set_group_name(jid, op.subject)
            if op.description is not None:  # whatsmeow finds the previous topic's id itself
                client.set_group_topic(jid, "", "", op.description)
            return client.get_group_info(jid)

        return group_from_proto(self._on_group(session, update))

    def groups_settings(self, session: EngineSession, op: SetGroupSettings) -> Group:
        jid = jid_to_proto(lenient_jid(op.group_id))

        def settings(client: NewClient) -> GroupInfo:
            if op.announce is not None:
                client.set_group_announce(jid, op.announce)
            if op.locked is not None:
                client.set_group_locked(jid, op.locked)
            return client.get_group_info(jid)

        return group_from_proto(self._on_group(session, settings))

    def groups_picture_set(self, session: EngineSession, op: SetGroupPicture) -> PictureSet:
        jid = jid_to_proto(lenient_jid(op.group_id))
        data = base64.b64decode(op.jpeg_base64)
        return PictureSet(picture_id=self._on_group(
            session, lambda c: c.set_group_photo(jid, data)) or None)

    def groups_participants(self, session: EngineSession,
                            op: ChangeParticipants) -> ParticipantsChanged:
        from neonize.utils.enum import ParticipantChange

        jid = jid_to_proto(lenient_jid(op.group_id))
        people = [jid_to_proto(lenient_jid(p)) for p in op.participants]
        change = ParticipantChange[op.action.upper()]
        answered = self._on_group(
            session, lambda c: c.update_group_participants(jid, people, change))
        return participant_outcomes(op.action, op.participants, answered)

    def groups_invite(self, session: EngineSession, op: GetInvite) -> Invite:
        jid = jid_to_proto(lenient_jid(op.group_id))
        link = self._on_group(session, lambda c: c.get_group_invite_link(jid, op.revoke))
        code = invite_code(link)
        return Invite(code=code, invite=invite_link(code))

    def groups_join(self, session: EngineSession, op: JoinGroup) -> Joined:
        jid = self._on_group(session, lambda c: c.join_group_with_link(op.code))
        return Joined(group_id=_person(jid))

    def groups_invite_info(self, session: EngineSession, op: InviteInfo) -> Group:
        return group_from_proto(self._on_group(
            session, lambda c: c.get_group_info_from_link(op.code)))

    def groups_leave(self, session: EngineSession, op: LeaveGroup) -> Done:
        jid = jid_to_proto(lenient_jid(op.group_id))
        self._on_group(session, lambda c: c.leave_group(jid))
        return Done()

    # --- events ---

    def _events_groups(self) -> dict[type, Callable[[_Connection, Any], None]]:
        from neonize import events as ev

        return {ev.JoinedGroupEv: self._on_joined_group, ev.GroupInfoEv: self._on_group_info}

    @staticmethod
    def _on_joined_group(connection: _Connection, event: JoinedGroupEvent) -> None:
        connection.listener.on_update(joined_update(event))

    @staticmethod
    def _on_group_info(connection: _Connection, event: GroupInfoEvent) -> None:
        me = connection.client.me if connection.client is not None else None
        users = {j.User for j in ((me.JID, me.LID) if me is not None else ()) if j.User}
        if connection.phone:
            users.add(connection.phone.lstrip("+"))
        for update in group_updates(event, users):
            connection.listener.on_update(update)
