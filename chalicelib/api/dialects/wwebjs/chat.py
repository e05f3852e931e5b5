"""``/chat/*`` (but fetchMessages and clearMessages, part B's): one chat's class info, its
contact, its typing or recording state, and deleting it. Each answers under the name the
wrapper gives its result (``chat``, ``contact``, ``clearState``, ``deleteChat``,
``sendStateTyping``, ``sendStateRecording``)."""

from __future__ import annotations

from typing import Any

from chalicelib.api.dialects.edge import Call
from chalicelib.api.dialects.wwebjs import shapes
from chalicelib.api.dialects.wwebjs.bodies import ChatIdBody
from chalicelib.api.dialects.wwebjs.client import chat_id, contact_of, stored_chat
from chalicelib.api.dialects.wwebjs.profile import connected, route
from chalicelib.domain.live.chats import ChatState


@route("POST", "/chat/getClassInfo/{sessionId}", scope="chats:read", body=ChatIdBody)
def chat_class_info(call: Call, session_id: str) -> dict[str, Any]:
    """The chat (404 ``Chat not Found`` when the session has none with that id)."""
    session = connected(call, session_id)
    chat = stored_chat(call, session, chat_id(call.body().chat_id))
    return {"chat": shapes.chat_json(chat, session)}


@route("POST", "/chat/getContact/{sessionId}", scope="chats:read", body=ChatIdBody)
def chat_contact(call: Call, session_id: str) -> dict[str, Any]:
    """The person the chat is with (for a group, the group as a contact)."""
    session = connected(call, session_id)
    return {"contact": contact_of(call, session, call.body().chat_id, "chatId")}


@route("POST", "/chat/delete/{sessionId}", scope="chats:write", body=ChatIdBody)
def delete_chat(call: Call, session_id: str) -> dict[str, Any]:
    """Delete the chat on WhatsApp (wagate keeps its message records); ``deleteChat`` true."""
    session = connected(call, session_id)
    call.services.chat_service.delete(call.principal, session.id, chat_id(call.body().chat_id))
    return {"deleteChat": True}


def _state(call: Call, session_id: str, state: ChatState) -> None:
    session = connected(call, session_id)
    call.services.chat_service.state(call.principal, session.id, chat_id(call.body().chat_id),
                                     state)


@route("POST", "/chat/sendStateTyping/{sessionId}", scope="chats:write", body=ChatIdBody)
def send_state_typing(call: Call, session_id: str) -> dict[str, Any]:
    """Show "typing…" in the chat (for about 25 seconds, or until a message or clearState)."""
    _state(call, session_id, "typing")
    return {"sendStateTyping": True}


@route("POST", "/chat/sendStateRecording/{sessionId}", scope="chats:write", body=ChatIdBody)
def send_state_recording(call: Call, session_id: str) -> dict[str, Any]:
    """Show "recording audio…" in the chat."""
    _state(call, session_id, "recording")
    return {"sendStateRecording": True}


@route("POST", "/chat/clearState/{sessionId}", scope="chats:write", body=ChatIdBody)
def clear_state(call: Call, session_id: str) -> dict[str, Any]:
    """Stop showing typing or recording in the chat."""
    _state(call, session_id, "paused")
    return {"clearState": True}
