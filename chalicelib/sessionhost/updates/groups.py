"""What engines report about groups, published as ``group.*`` events (nothing is stored:
groups are read live)."""

from __future__ import annotations

from chalicelib.domain import events
from chalicelib.domain.events import EventType
from chalicelib.domain.live.groups import GroupJoined, GroupLeft, GroupParticipants, GroupUpdated
from chalicelib.sessionhost.core import HostCore, Running


class GroupsUpdates(HostCore):
    def _on_groups_joined(self, running: Running, update: GroupJoined) -> None:
        self._group_event(running, EventType.GROUP_JOIN, {
            "group_id": update.group.id, "subject": update.group.subject, "by": update.by,
            "reason": update.reason, "participants": len(update.group.participants)})

    def _on_groups_left(self, running: Running, update: GroupLeft) -> None:
        self._group_event(running, EventType.GROUP_LEAVE, update.model_dump())

    def _on_groups_participants(self, running: Running, update: GroupParticipants) -> None:
        self._group_event(running, EventType.GROUP_PARTICIPANTS, update.model_dump())

    def _on_groups_updated(self, running: Running, update: GroupUpdated) -> None:
        self._group_event(running, EventType.GROUP_UPDATE, update.model_dump(exclude_none=True))

    def _group_event(self, running: Running, type_: EventType, data: dict[str, object]) -> None:
        self._events.publish(events.group_event(running.tenant_id, running.session_id, type_,
                                                data))
