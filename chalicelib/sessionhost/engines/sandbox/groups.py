"""The sandbox's groups: one deterministic model of WhatsApp groups for every session of the
engine, members known by their phone JIDs (a session is its phone's member).

What WhatsApp allows is modelled: only members read a group; only admins change participants,
settings and the invite link, and edit the info of a ``locked`` group; the creator
(superadmin) cannot be removed or demoted. Every change is reported to the sessions of the
group's members (``groups.joined``, ``groups.left``, ``groups.participants``,
``groups.updated``), the acting session included, as WhatsApp notifies every member. Group
ids count up from ``120363000000000001@g.us``; an invite code is derived from the group and
how often its link was revoked.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from chalicelib.domain.jids import Jid, parse_jid
from chalicelib.domain.live import Done, LiveUpdate
from chalicelib.domain.live.groups import (
    ChangeParticipants,
    CreateGroup,
    GetGroup,
    GetInvite,
    Group,
    GroupJoined,
    GroupLeft,
    GroupParticipants,
    GroupPlayed,
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
    PlayGroup,
    RemoveGroupPicture,
    SetGroupPicture,
    SetGroupSettings,
    UpdateGroup,
    invite_link,
)
from chalicelib.sessionhost.engines.base import EngineError, EngineSession
from chalicelib.sessionhost.engines.sandbox.core import SandboxCore

MEMBER, ADMIN, OWNER = "member", "admin", "superadmin"
MAX_GROUPS = 1_000  # in the whole sandbox network (oldest dropped)
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@dataclass
class _Group:
    id: str
    subject: str
    owner: str
    created_at: datetime
    members: dict[str, str]  # phone JID -> MEMBER, ADMIN or OWNER
    description: str | None = None
    announce: bool = False
    locked: bool = False
    picture: str | None = None
    revoked: int = 0  # how often its invite link was revoked

    @property
    def code(self) -> str:
        digest = int(hashlib.sha256(f"{self.id}#{self.revoked}".encode()).hexdigest(), 16)
        return "".join(_ALPHABET[(digest >> (6 * i)) % 62] for i in range(22))

    def info(self) -> Group:
        return Group(id=self.id, subject=self.subject, description=self.description,
                     owner=self.owner, created_at=self.created_at, announce=self.announce,
                     locked=self.locked, participants=[
                         Participant(jid=jid, phone=Jid(jid.split("@")[0]).phone,
                                     admin=role != MEMBER, superadmin=role == OWNER)
                         for jid, role in self.members.items()])


@dataclass
class _Network:
    groups: dict[str, _Group] = field(default_factory=dict)
    numbers: itertools.count = field(default_factory=lambda: itertools.count(1))
    lock: threading.RLock = field(default_factory=threading.RLock)


class GroupsPart(SandboxCore):
    def _groups(self) -> _Network:
        return self._part("groups", _Network)

    def _me(self, session: EngineSession) -> str:
        phone = self._connected(session).phone or ""
        return str(Jid(phone.lstrip("+")))

    def _group(self, group_id: str, member: str | None = None) -> _Group:
        group = self._groups().groups.get(group_id)
        if group is None:
            raise EngineError("not_found", "no such group", status=404)
        if member is not None and member not in group.members:
            raise EngineError("not_participant", "the session is not a member of this group",
                              status=403)
        return group

    @staticmethod
    def _admin(group: _Group, actor: str) -> None:
        if group.members.get(actor, MEMBER) == MEMBER:
            raise EngineError("not_admin", "only the group's admins can do this", status=403)

    def _notify(self, members: Iterable[str], update: LiveUpdate) -> None:
        """Tell the sessions connected as these members (phone JIDs)."""
        wanted = set(members)
        with self._lock:
            listeners = [c.listener for c in self._connections.values()
                         if c.phone and str(Jid(c.phone.lstrip("+"))) in wanted]
        for listener in listeners:
            listener.on_update(update)

    # --- the operations ---

    def groups_create(self, session: EngineSession, op: CreateGroup) -> Group:
        return self._create(self._me(session), op.subject, op.participants).info()

    def groups_list(self, session: EngineSession, op: ListGroups) -> Groups:
        me = self._me(session)
        with self._groups().lock:
            mine = [g.info() for g in self._groups().groups.values() if me in g.members]
        return Groups(groups=mine)

    def groups_info(self, session: EngineSession, op: GetGroup) -> Group:
        return self._group(op.group_id, self._me(session)).info()

    def groups_update(self, session: EngineSession, op: UpdateGroup) -> Group:
        return self._edit(self._me(session), op.group_id, op.subject, op.description).info()

    def groups_settings(self, session: EngineSession, op: SetGroupSettings) -> Group:
        me = self._me(session)
        with self._groups().lock:
            group = self._group(op.group_id, me)
            self._admin(group, me)
            if op.announce is not None:
                group.announce = op.announce
            if op.locked is not None:
                group.locked = op.locked
        self._notify(group.members, GroupUpdated(group_id=group.id, by=me, announce=op.announce,
                                                 locked=op.locked))
        return group.info()

    def groups_picture_set(self, session: EngineSession, op: SetGroupPicture) -> PictureSet:
        try:
            data = base64.b64decode(op.jpeg_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise EngineError("invalid_picture", "picture: not base64", status=422) from exc
        if not data.startswith(b"\xff\xd8\xff"):
            raise EngineError("invalid_picture", "picture: must be a JPEG image", status=422)
        picture = hashlib.sha256(data).hexdigest()[:16]
        self._picture(self._me(session), op.group_id, picture)
        return PictureSet(picture_id=picture)

    def groups_picture_remove(self, session: EngineSession, op: RemoveGroupPicture) -> Done:
        self._picture(self._me(session), op.group_id, None)
        return Done()

    def groups_participants(self, session: EngineSession,
                            op: ChangeParticipants) -> ParticipantsChanged:
        return self._change(self._me(session), op.group_id, op.action, op.participants)

    def groups_invite(self, session: EngineSession, op: GetInvite) -> Invite:
        me = self._me(session)
        with self._groups().lock:
            group = self._group(op.group_id, me)
            self._admin(group, me)
            if op.revoke:
                group.revoked += 1
            code = group.code
        if op.revoke:
            self._notify(group.members, GroupUpdated(group_id=group.id, by=me,
                                                     invite_revoked=True))
        return Invite(code=code, invite=invite_link(code))

    def groups_invite_info(self, session: EngineSession, op: InviteInfo) -> Group:
        self._connected(session)
        return self._by_code(op.code).info()

    def groups_join(self, session: EngineSession, op: JoinGroup) -> Joined:
        me = self._me(session)
        with self._groups().lock:
            group = self._by_code(op.code)
            if me in group.members:
                raise EngineError("already_participant", "the session is already a member of "
                                  "this group")
            others = list(group.members)
            group.members[me] = MEMBER
        self._notify([me], GroupJoined(group=group.info(), reason="invite"))
        self._notify(others, GroupParticipants(group_id=group.id, action="add",
                                               participants=[me], by=me))
        return Joined(group_id=group.id)

    def groups_leave(self, session: EngineSession, op: LeaveGroup) -> Done:
        me = self._me(session)
        with self._groups().lock:
            group = self._group(op.group_id, me)
            del group.members[me]
            if not group.members:
                del self._groups().groups[group.id]
        self._notify([me], GroupLeft(group_id=group.id))
        self._notify(group.members, GroupParticipants(group_id=group.id, action="remove",
                                                      participants=[me], by=me))
        return Done()

    def sandbox_group(self, session: EngineSession, op: PlayGroup) -> GroupPlayed:
        """Someone else acts in a group (see domain.live.groups.PlayGroup)."""
        self._connected(session)
        by = parse_jid(op.by, "by")
        if not by.is_user:
            raise EngineError("invalid_by", "by: must be a phone number", status=422)
        actor = str(by)
        if op.action == "create":
            if op.subject is None:
                raise EngineError("subject_required", "subject: a new group needs one",
                                  status=422)
            group = self._create(actor, op.subject, [str(parse_jid(p, f"participants[{i}]"))
                                                     for i, p in enumerate(op.participants)])
            return GroupPlayed(group_id=group.id)
        if op.group_id is None:
            raise EngineError("group_required", "group_id: which group", status=422)
        if op.action in ("subject", "description"):
            if op.action == "subject" and op.subject is None:
                raise EngineError("subject_required", "subject: the new subject", status=422)
            self._edit(actor, op.group_id, op.subject if op.action == "subject" else None,
                       (op.description or "") if op.action == "description" else None)
        else:
            if not op.participants:
                raise EngineError("participants_required", "participants: whom", status=422)
            self._change(actor, op.group_id, op.action,
                         [str(parse_jid(p, f"participants[{i}]"))
                          for i, p in enumerate(op.participants)])
        return GroupPlayed(group_id=op.group_id)

    # --- the model ---

    def _create(self, creator: str, subject: str, participants: list[str]) -> _Group:
        network = self._groups()
        with network.lock:
            group_id = f"120363{next(network.numbers):012d}@g.us"
            members = {creator: OWNER}
            for jid in participants:
                if jid not in members and self._reachable(jid):
                    members[jid] = MEMBER
            group = _Group(id=group_id, subject=subject, owner=creator,
                           created_at=datetime.now(UTC).replace(microsecond=0), members=members)
            network.groups[group_id] = group
            while len(network.groups) > MAX_GROUPS:
                del network.groups[next(iter(network.groups))]
        info = group.info()
        self._notify([creator], GroupJoined(group=info, by=creator, reason="create"))
        self._notify([m for m in members if m != creator],
                     GroupJoined(group=info, by=creator, reason="added"))
        return group

    def _reachable(self, jid: str) -> bool:
        """Whether a person can be put in a group: a phone JID of a number on WhatsApp."""
        user, _, server = jid.partition("@")
        return server == "s.whatsapp.net" and self._registered(f"+{user}")

    def _edit(self, actor: str, group_id: str, subject: str | None,
              description: str | None) -> _Group:
        with self._groups().lock:
            group = self._group(group_id, actor)
            if group.locked:
                self._admin(group, actor)
            if subject is not None:
                group.subject = subject
            if description is not None:
                group.description = description or None
        if subject is not None or description is not None:
            self._notify(group.members, GroupUpdated(group_id=group.id, by=actor,
                                                     subject=subject, description=description))
        return group

    def _picture(self, actor: str, group_id: str, picture: str | None) -> None:
        with self._groups().lock:
            group = self._group(group_id, actor)
            if group.locked:
                self._admin(group, actor)
            group.picture = picture
        self._notify(group.members, GroupUpdated(group_id=group.id, by=actor,
                                                 picture="set" if picture else "removed"))

    def _change(self, actor: str, group_id: str, action: ParticipantAction,
                participants: list[str]) -> ParticipantsChanged:
        """Add, remove, promote or demote, one outcome per participant, then tell everyone."""
        with self._groups().lock:
            group = self._group(group_id, actor)
            self._admin(group, actor)
            before = list(group.members)
            outcomes = [ParticipantOutcome(jid=jid, ok=reason is None, reason=reason)
                        for jid in dict.fromkeys(participants)
                        for reason in [self._apply(group, action, jid)]]
        done = [o.jid for o in outcomes if o.ok]
        if done:
            self._announce(group, action, done, actor, before)
        return ParticipantsChanged(action=action, results=outcomes)

    def _apply(self, group: _Group, action: ParticipantAction, jid: str) -> str | None:
        """One participant's change; why not, when it cannot be done."""
        role = group.members.get(jid)
        if action == "add":
            if role is not None:
                return "already_participant"
            if not self._reachable(jid):
                return "not_on_whatsapp"
            group.members[jid] = MEMBER
            return None
        if role is None:
            return "not_participant"
        if role == OWNER and action in ("remove", "demote"):
            return "is_owner"
        if action == "remove":
            del group.members[jid]
        elif role != OWNER:  # promoting the owner leaves it the owner
            group.members[jid] = ADMIN if action == "promote" else MEMBER
        return None

    def _announce(self, group: _Group, action: ParticipantAction, done: list[str], actor: str,
                  before: list[str]) -> None:
        """Who learns what: the added a ``groups.joined``, the removed a ``groups.left``,
        the other members (before and after) ``groups.participants``."""
        affected = set(done) if action in ("add", "remove") else set()
        if action == "add":
            self._notify(done, GroupJoined(group=group.info(), by=actor, reason="added"))
        elif action == "remove":
            self._notify(done, GroupLeft(group_id=group.id, by=actor))
        everyone = [m for m in dict.fromkeys([*before, *group.members]) if m not in affected]
        self._notify(everyone, GroupParticipants(group_id=group.id, action=action,
                                                 participants=done, by=actor))

    def _by_code(self, code: str) -> _Group:
        with self._groups().lock:
            for group in self._groups().groups.values():
                if group.code == code:
                    return group
        raise EngineError("invalid_invite", "invite: the link is not valid (or was revoked)",
                          status=404)
