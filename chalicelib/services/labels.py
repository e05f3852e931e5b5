"""A session's labels (WhatsApp Business): listed from wagate's store whatever the session's
state; created, changed, deleted and put on or taken off chats through WhatsApp as live
operations, then stored and published (``label.*`` events)."""

from __future__ import annotations

import re

from chalicelib.domain import clock, events
from chalicelib.domain.auth import Principal
from chalicelib.domain.chats import StoredLabel
from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed
from chalicelib.domain.live import Done
from chalicelib.domain.live.labels import (
    LABELS_MAX,
    CreateLabel,
    DeleteLabel,
    Label,
    LabelChat,
    UpdateLabel,
)
from chalicelib.domain.paging import Page, page_of
from chalicelib.domain.sessions import Session
from chalicelib.services.chats import chat_jid
from chalicelib.services.live import LiveService
from chalicelib.services.ports import ChatRepo, EventPublisher

_LABEL_ID = re.compile(r"[0-9A-Za-z_-]{1,64}", re.ASCII)


def label_id(raw: str) -> str:
    if not _LABEL_ID.fullmatch(raw or ""):
        raise ValidationFailed.field("label_id", "is not a label id (letters, digits, _ and -)")
    return raw


class LabelsService:
    def __init__(self, live: LiveService, chats: ChatRepo, events: EventPublisher) -> None:
        self._live = live
        self._chats = chats
        self._events = events

    def list(self, caller: Principal, session_id: str, limit: int, cursor: str | None) -> Page:
        """One page of the session's labels (at most ``LABELS_MAX``, kept by wagate), by id."""
        session = self._live.session(caller, session_id)
        return page_of(self._chats.labels(caller.tenant_id, session.id), lambda x: x.id, limit,
                       cursor, caller.tenant_id, session_id)

    def _label(self, session: Session, raw_id: str) -> StoredLabel:
        label = self._chats.get_label(session.tenant_id, session.id, label_id(raw_id))
        if label is None:
            raise NotFound("no such label in this session")
        return label

    def get(self, caller: Principal, session_id: str, raw_id: str) -> StoredLabel:
        return self._label(self._live.session(caller, session_id), raw_id)

    def _store(self, session: Session, made: Label, created_at: str | None) -> StoredLabel:
        now = clock.now_iso()
        label = StoredLabel(session_id=session.id, id=made.id, name=made.name, color=made.color,
                            created_at=created_at or now, updated_at=now)
        self._chats.put_label(session.tenant_id, label)
        return label

    def create(self, caller: Principal, session_id: str, name: str, color: int) -> StoredLabel:
        session = self._live.session(caller, session_id)
        if len(self._chats.labels(caller.tenant_id, session.id)) >= LABELS_MAX:
            raise Conflict(f"a session has at most {LABELS_MAX} labels", code="label_limit")
        made = self._live.on(session, CreateLabel(name=name, color=color))
        assert isinstance(made, Label)
        label = self._store(session, made, None)
        self._publish(session, "created", label)
        return label

    def update(self, caller: Principal, session_id: str, raw_id: str, name: str | None,
               color: int | None) -> StoredLabel:
        session = self._live.session(caller, session_id)
        old = self._label(session, raw_id)
        made = self._live.on(session, UpdateLabel(id=old.id, name=name or old.name,
                                                  color=old.color if color is None else color))
        assert isinstance(made, Label)
        label = self._store(session, made, old.created_at)
        self._publish(session, "updated", label)
        return label

    def delete(self, caller: Principal, session_id: str, raw_id: str) -> StoredLabel:
        session = self._live.session(caller, session_id)
        old = self._label(session, raw_id)
        self._live.on(session, DeleteLabel(id=old.id))
        self._chats.delete_label(caller.tenant_id, session.id, old.id)
        self._publish(session, "deleted", old)
        return old

    def label_chat(self, caller: Principal, session_id: str, chat_id: str, raw_id: str,
                   on: bool) -> Done:
        """Put the label on the chat (``on``) or take it off."""
        jid = chat_jid(chat_id)
        session = self._live.session(caller, session_id)
        label = self._label(session, raw_id)
        self._live.on(session, LabelChat(id=label.id, chat=jid, on=on))
        self._chats.label_chat(caller.tenant_id, session.id, jid, label.id, on)
        self._events.publish(events.label_chat(caller.tenant_id, session.id, label.id, jid, on,
                                               source="api"))
        return Done()

    def chats(self, caller: Principal, session_id: str, raw_id: str, limit: int,
              cursor: str | None) -> Page:
        """The chats carrying the label, latest activity first."""
        session = self._live.session(caller, session_id)
        label = self._label(session, raw_id)
        return self._chats.list(caller.tenant_id, session.id, limit, cursor, label=label.id)

    def _publish(self, session: Session, change: str, label: StoredLabel) -> None:
        self._events.publish(events.label_changed(
            session.tenant_id, session.id, change, label.id, name=label.name, color=label.color,
            source="api"))
