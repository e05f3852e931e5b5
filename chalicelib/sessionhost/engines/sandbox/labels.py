"""The sandbox's labels (WhatsApp Business): each session's labels (ids "1", "2", … in the
order they are made) and the chats that carry them; the phone's owner changing them
(``sandbox.label_change``, ``sandbox.label_chat``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.domain.jids import parse_jid
from chalicelib.domain.live import Done
from chalicelib.domain.live.labels import (
    LABELS_MAX,
    CreateLabel,
    DeleteLabel,
    Label,
    LabelChanged,
    LabelChat,
    LabelChatChanged,
    PhoneChangesLabel,
    PhoneLabelsChat,
    UpdateLabel,
)
from chalicelib.domain.live.sandbox import Played
from chalicelib.sessionhost.engines.base import EngineError, EngineSession
from chalicelib.sessionhost.engines.sandbox.core import SandboxCore


@dataclass
class _Labels:
    made: int = 0
    labels: dict[str, Label] = field(default_factory=dict)
    chats: dict[str, set[str]] = field(default_factory=dict)  # label id -> chat JIDs


class LabelsPart(SandboxCore):
    def _labels(self, session: EngineSession) -> _Labels:
        books = self._part("labels", dict)
        with self._lock:
            return books.setdefault(self._key(session), _Labels())  # type: ignore[no-any-return]

    def _new_label(self, session: EngineSession, name: str, color: int) -> Label:
        book = self._labels(session)
        if len(book.labels) >= LABELS_MAX:
            raise EngineError("label_limit", f"at most {LABELS_MAX} labels")
        book.made += 1
        label = Label(id=str(book.made), name=name, color=color)
        book.labels[label.id] = label
        return label

    def _known(self, session: EngineSession, label_id: str) -> _Labels:
        book = self._labels(session)
        if label_id not in book.labels:
            raise EngineError("not_found", f"WhatsApp knows no label {label_id}", status=404)
        return book

    def labels_create(self, session: EngineSession, op: CreateLabel) -> Label:
        self._connected(session)
        return self._new_label(session, op.name, op.color)

    def labels_update(self, session: EngineSession, op: UpdateLabel) -> Label:
        self._connected(session)
        book = self._known(session, op.id)
        book.labels[op.id] = Label(id=op.id, name=op.name, color=op.color)
        return book.labels[op.id]

    def labels_delete(self, session: EngineSession, op: DeleteLabel) -> Done:
        self._connected(session)
        book = self._known(session, op.id)
        del book.labels[op.id]
        book.chats.pop(op.id, None)
        return Done()

    def labels_chat(self, session: EngineSession, op: LabelChat) -> Done:
        self._connected(session)
        chats = self._known(session, op.id).chats.setdefault(op.id, set())
        if op.on:
            chats.add(op.chat)
        else:
            chats.discard(op.chat)
        return Done()

    # --- the phone's side ---

    def sandbox_label_change(self, session: EngineSession, op: PhoneChangesLabel) -> Played:
        connection = self._connected(session)
        if op.id is None:
            if op.deleted or op.name is None:
                raise EngineError("invalid_change", "a new label needs a name", status=422)
            label = self._new_label(session, op.name, op.color or 0)
            connection.listener.on_update(LabelChanged(id=label.id, name=label.name,
                                                       color=label.color))
            return Played()
        book = self._known(session, op.id)
        if op.deleted:
            del book.labels[op.id]
            book.chats.pop(op.id, None)
            connection.listener.on_update(LabelChanged(id=op.id, deleted=True))
            return Played()
        old = book.labels[op.id]
        label = Label(id=op.id, name=op.name or old.name,
                      color=old.color if op.color is None else op.color)
        book.labels[op.id] = label
        connection.listener.on_update(LabelChanged(id=label.id, name=label.name,
                                                   color=label.color))
        return Played()

    def sandbox_label_chat(self, session: EngineSession, op: PhoneLabelsChat) -> Played:
        connection = self._connected(session)
        chat = str(parse_jid(op.chat, "chat_id"))
        chats = self._known(session, op.id).chats.setdefault(op.id, set())
        if op.on:
            chats.add(chat)
        else:
            chats.discard(chat)
        connection.listener.on_update(LabelChatChanged(id=op.id, chat=chat, on=op.on))
        return Played()
