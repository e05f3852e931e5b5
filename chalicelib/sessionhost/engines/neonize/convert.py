"""Pure conversions between our types and neonize's protobufs: JIDs, inbound events (messages,
changes, receipts, failure reasons), number lookups, neonize's error texts, and the WhatsApp
message for an Outbound (``build_message``, edits, deletes, quotes, reactions, mentions, link
preview cards)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalicelib.domain.content import (
    MEDIA_TYPES,
    Contacts,
    ListMessage,
    Location,
    Poll,
    Quote,
    Reaction,
    Text,
)
from chalicelib.domain.jids import GROUP_SERVER, LID_SERVER, USER_SERVER, Jid
from chalicelib.domain.live.contacts import NumberCheck, NumbersChecked
from chalicelib.domain.messages import MessageStatus
from chalicelib.sessionhost.engines.base import (
    ChangeKind,
    EngineError,
    Inbound,
    MessageChange,
    Outbound,
)
from chalicelib.sessionhost.engines.neonize.loader import e2e_module
from chalicelib.sessionhost.engines.neonize.media import PreparedMedia, inbound_media, media_message

if TYPE_CHECKING:
    from google.protobuf.message import Message as ProtoMessage
    from neonize.events import ConnectFailureEv, MessageEv, ReceiptEv, TemporaryBanEv
    from neonize.proto.Neonize_pb2 import JID, IsOnWhatsAppResponse, MessageSource, UploadResponse
    from neonize.proto.waCommon.WACommon_pb2 import MessageKey
    from neonize.proto.waE2E.WAWebProtobufsE2E_pb2 import ContextInfo
    from neonize.proto.waE2E.WAWebProtobufsE2E_pb2 import Message as WAMessage

_CHAT_SERVERS = frozenset({USER_SERVER, GROUP_SERVER, LID_SERVER})
# Message contents we pass on, by the WAWebProtobufsE2E.Message field that carries them;
# anything else (reactions, edits, protocol and key-distribution messages...) is not a message
# a person wrote: reactions, edits and deletes for everyone are changes (``change_from_event``).
_CONTENT_TYPES = (
    ("conversation", "text"), ("extendedTextMessage", "text"), ("imageMessage", "image"),
    ("videoMessage", "video"), ("ptvMessage", "video"), ("audioMessage", "audio"),
    ("documentMessage", "document"), ("stickerMessage", "sticker"),
    ("locationMessage", "location"), ("liveLocationMessage", "location"),
    ("contactMessage", "contact"), ("contactsArrayMessage", "contact"),
    ("pollCreationMessage", "poll"), ("pollCreationMessageV2", "poll"),
    ("pollCreationMessageV3", "poll"),
)
# Receipt.ReceiptType names; neonize 0.5.2 encodes PLAYED_SELF as SERVER_ERROR, ignored here.
_RECEIPT_STATUS = {
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.READ, "read_self": MessageStatus.READ,
    "played": MessageStatus.PLAYED, "played_self": MessageStatus.PLAYED,
}
# whatsmeow's error texts (neonize passes errors on as strings only).
# In this order: a message node that could not be written because the socket was gone is
# "not_connected" (nothing left); once the node may have left, the outcome is unknown.
_SEND_REFUSALS = (
    ("not_connected", ("websocket not connected", "client is nil", "doesn't contain a device")),
    ("not_on_whatsapp", ("no LID found for",)),
    # WhatsApp's pushback, as whatsmeow words it: the send's ack carries error 429 (rate
    # over limit; "rate-overlimit" on an info query) or 463 (a reach-out timelock: this
    # number may not start new chats for a while). Nothing was sent; the governor waits.
    ("rate_limited", ("server returned error 429", "rate-overlimit")),
    ("timelock", ("server returned error 463",)),
    ("outcome_unknown", ("timed out waiting for message send response",
                         "failed to send message node")),
)
_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)


# --- inbound (pure: WhatsApp protobufs to our types), and neonize's errors ---

def jid_from_proto(jid: JID) -> Jid:
    """Our Jid from neonize's (the device and agent parts name a phone's device, not a chat)."""
    return Jid(jid.User, jid.Server)


def jid_to_proto(jid: Jid) -> JID:
    """neonize's JID for ours."""
    from neonize.utils.jid import build_jid

    return build_jid(jid.user, jid.server)


def phone_of(jid: JID) -> str | None:
    """The E.164 number ("+digits") of a phone JID, else None (groups, @lid, unset)."""
    return jid_from_proto(jid).phone if jid.User else None


def _from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC) if seconds > 0 else datetime.now(UTC)


def enum_name(message: ProtoMessage, name: str) -> str:
    """An enum field's value name, in lower case.

    neonize's event fields are proto2 ``required``: an event whose enum neonize's Go side
    cannot name (a new receipt type, ban code or failure reason) never arrives; encoding it
    fails and ends the client's event loop, which the engine reports as a disconnect."""
    values = message.DESCRIPTOR.fields_by_name[name].enum_type.values_by_number
    return values[getattr(message, name)].name.lower()


def inbound_from_event(event: MessageEv,
                       loader: Callable[[WAMessage], Callable[[], bytes]] | None = None
                       ) -> Inbound | None:
    """An inbound message from a MessageEv; None for our own messages, for chats that are not
    a person or a group (status updates, newsletters, broadcast lists) and for messages that
    carry no content of a person (reactions, edits, protocol messages...).

    Media messages carry their MIME type and file name, and (given ``loader``, which makes a
    download function from the media's Message) a ``media_loader``."""
    from neonize.utils.message import extract_text

    info = event.Info
    source = info.MessageSource
    chat = jid_from_proto(source.Chat)
    kind = next((kind for name, kind in _CONTENT_TYPES if event.Message.HasField(name)), None)
    if source.IsFromMe or chat.server not in _CHAT_SERVERS or kind is None:
        return None
    if kind == "audio" and event.Message.audioMessage.PTT:
        kind = "voice"
    sender = jid_from_proto(source.Sender)
    media = inbound_media(event.Message)
    return Inbound(
        engine_message_id=info.ID, chat=chat, sender=sender,
        text=extract_text(event.Message) or None,
        timestamp=_from_epoch(info.Timestamp / 1000),  # MessageInfo.Timestamp: milliseconds
        push_name=info.Pushname or None,
        sender_phone=_sender_phone(source, sender),
        type=kind,
        media_loader=loader(media[0]) if media and loader else None,
        mime_type=media[1] if media else None,
        filename=media[2] if media else None)


def change_from_event(event: MessageEv) -> MessageChange | None:
    """A change to an existing message from a MessageEv: a reaction (an empty emoji takes it
    back), an edit, or a delete for everyone; None for anything else, and (as for messages)
    for our own changes and chats that are not a person or a group.

    whatsmeow unwraps an edit's ``editedMessage`` wrapper before neonize hands the event over
    (the Message is then the ProtocolMessage MESSAGE_EDIT itself); a still-wrapped one is read
    the same way."""
    from neonize.utils.message import extract_text

    info = event.Info
    source = info.MessageSource
    chat = jid_from_proto(source.Chat)
    if source.IsFromMe or chat.server not in _CHAT_SERVERS:
        return None
    message = event.Message
    if message.editedMessage.HasField("message"):
        message = message.editedMessage.message
    kind: ChangeKind
    if message.HasField("reactionMessage"):
        kind, target, text = "reaction", message.reactionMessage.key.ID, \
            message.reactionMessage.text
    elif message.protocolMessage.HasField("type"):
        protocol = message.protocolMessage
        types = e2e_module().ProtocolMessage
        if protocol.type == types.REVOKE:
            kind, target, text = "revoked", protocol.key.ID, None
        elif protocol.type == types.MESSAGE_EDIT:
            kind, target, text = "edited", protocol.key.ID, extract_text(protocol.editedMessage)
        else:
            return None
    else:
        return None
    if not target:
        return None
    sender = jid_from_proto(source.Sender)
    return MessageChange(
        kind=kind, target_engine_id=target, chat=chat, sender=sender, text=text,
        timestamp=_from_epoch(info.Timestamp / 1000),  # MessageInfo.Timestamp: milliseconds
        sender_phone=_sender_phone(source, sender))


def _sender_phone(source: MessageSource, sender: Jid) -> str | None:
    """The sender's number: its JID's, or for an @lid sender the phone JID behind it."""
    return phone_of(source.SenderAlt) if sender.server == LID_SERVER else sender.phone


def receipt_from_event(event: ReceiptEv) -> tuple[list[str], MessageStatus, datetime] | None:
    """(message ids, status, when) from a ReceiptEv; None for receipt types we do not track."""
    status = _RECEIPT_STATUS.get(enum_name(event, "Type"))
    if status is None or not event.MessageIDs:
        return None
    return list(event.MessageIDs), status, _from_epoch(event.Timestamp)  # Receipt: seconds


def temporary_ban_reason(event: TemporaryBanEv) -> str:
    return f"temporary_ban: {enum_name(event, 'Code')}, expires in {event.Expire} s"


def connect_failure_reason(event: ConnectFailureEv) -> str:
    detail = f": {event.Message}" if event.Message else ""
    return f"connect_failure: {enum_name(event, 'Reason')}{detail}"


def numbers_checked(phones: list[str], found: Iterable[IsOnWhatsAppResponse]
                    ) -> NumbersChecked:
    """``contacts.check``'s answer from ``is_on_whatsapp``'s: for a number on WhatsApp,
    WhatsApp's own phone JID (it may differ from the query), or the queried number's when it
    answers with an @lid (then that is its LID); for the others, not on WhatsApp."""
    on: dict[str, NumberCheck] = {}
    for response in found:
        digits = re.sub(r"\D", "", response.Query)
        if response.IsIn and digits:
            jid = jid_from_proto(response.JID)
            business = response.VerifiedName.Details.verifiedName \
                if response.HasField("VerifiedName") else ""
            on[digits] = NumberCheck(
                phone=f"+{digits}", on_whatsapp=True,
                jid=str(jid if jid.is_user else Jid(digits)),
                lid=str(jid) if jid.server == LID_SERVER else None, name=business or None)
    return NumbersChecked(results=[
        on[phone.lstrip("+")].model_copy(update={"phone": phone}) if phone.lstrip("+") in on
        else NumberCheck(phone=phone, on_whatsapp=False) for phone in phones])


def send_error_code(message: str, default: str = "send_failed") -> str:
    """The EngineError code for a neonize error (``default`` when it is not a refusal)."""
    return next((code for code, texts in _SEND_REFUSALS if any(t in message for t in texts)),
                default)


def engine_error(exc: Exception, default: str = "send_failed") -> EngineError:
    """The EngineError for a neonize error: not_connected, not_on_whatsapp, else ``default``."""
    return EngineError(send_error_code(str(exc), default), str(exc))


# --- outbound (pure: content to WhatsApp protobufs) ---

@dataclass(frozen=True)
class LinkPreview:
    """A link's preview card, as a fetcher found it (see NeonizeEngine's ``link_preview``)."""

    url: str
    title: str | None = None
    description: str | None = None
    thumbnail: bytes | None = None  # a small JPEG


def lenient_jid(raw: str) -> Jid:
    """A Jid from a JID string or number the API already validated (no second validation: a
    number the phone-number library stopped knowing must not fail a send)."""
    user, _, server = raw.strip().partition("@")
    server = server.lower() or USER_SERVER
    return Jid(user.split(":")[0].lstrip("+"), USER_SERVER if server == "c.us" else server)


def first_url(text: str) -> str | None:
    """The first http(s) link in a text (without the punctuation that ends a sentence)."""
    match = _URL.search(text)
    return match.group(0).rstrip(".,;:!?)") if match else None


def mention_text(text: str, mentions: Iterable[Jid]) -> str:
    """The text with an "@<user>" for every mention (WhatsApp highlights a mention only where
    the text names it): the missing ones are appended."""
    missing = [f"@{jid.user}" for jid in mentions
               if not re.search(rf"@{re.escape(jid.user)}(?!\d)", text)]
    return " ".join([text, *missing]) if missing else text


def quote_context(quote: Quote, chat: Jid, me: Jid | None) -> ContextInfo:
    """The contextInfo that quotes ``quote`` in a message to ``chat``: its id, its author
    (us for our own messages) and its text; the chat too when it was in another one."""
    e2e = e2e_module()
    quoted_chat = lenient_jid(quote.chat)
    author = _author(quote, quoted_chat, me)
    context = e2e.ContextInfo(stanzaID=quote.engine_message_id,
                              quotedMessage=e2e.Message(conversation=quote.text or ""))
    if author is not None:
        context.participant = str(author)
    if quoted_chat != chat:
        context.remoteJID = str(quoted_chat)
    return context


def _author(quote: Quote, chat: Jid, me: Jid | None) -> Jid | None:
    if quote.sender:
        return lenient_jid(quote.sender)
    if quote.from_me:
        return me
    return chat if not chat.is_group else None  # in a 1:1 chat, the other person wrote it


def reaction_key(target: Quote) -> MessageKey:
    """The MessageKey of a message to react to (whatsmeow's BuildMessageKey): the author is
    named only for someone else's message in a group."""
    from neonize.proto.waCommon.WACommon_pb2 import MessageKey

    chat = lenient_jid(target.chat)
    key = MessageKey(remoteJID=str(chat), fromMe=target.from_me, ID=target.engine_message_id)
    if not target.from_me and chat.server not in (USER_SERVER, LID_SERVER):
        if not target.sender:
            raise EngineError("invalid_content",
                              "reacting to someone else's group message needs its sender")
        key.participant = str(lenient_jid(target.sender))
    return key


def build_message(outbound: Outbound, *, me: Jid | None = None,
                  media: PreparedMedia | None = None, upload: UploadResponse | None = None,
                  preview: LinkPreview | None = None) -> WAMessage:
    """The WhatsApp message for an Outbound. Media contents need their ``media`` (from
    ``prepare_media``) and its ``upload``; ``me`` is our JID (the author of our own messages
    when quoting them); ``preview`` a text's link preview card (used when it asks for one)."""
    content = outbound.content
    if isinstance(content, Text):
        message = _text_message(content, preview if content.link_preview else None,
                                quoting=outbound.reply_to is not None)
    elif content.type in MEDIA_TYPES:
        if media is None or upload is None:
            raise EngineError("invalid_content", f"the {content.type} message was not uploaded")
        message = media_message(content, media, upload)
    elif isinstance(content, Reaction):
        e2e = e2e_module()
        return e2e.Message(reactionMessage=e2e.ReactionMessage(  # reactions quote nothing
            key=reaction_key(content.target), text=content.emoji,
            senderTimestampMS=int(time.time() * 1000)))
    else:
        message = _other_message(content)
    if outbound.reply_to is not None:
        _content_of(message).contextInfo.MergeFrom(
            quote_context(outbound.reply_to, outbound.to, me))
    return message


def _text_message(content: Text, preview: LinkPreview | None, quoting: bool) -> WAMessage:
    e2e = e2e_module()
    mentions = [lenient_jid(m) for m in content.mentions]
    text = mention_text(content.text, mentions)
    styled = content.background_color is not None or content.font is not None
    if not (mentions or preview or quoting or styled):
        return e2e.Message(conversation=text)  # (a conversation has no contextInfo)
    extended = e2e.ExtendedTextMessage(text=text)
    if styled:  # a text status: its background and font
        extended.MergeFrom(status_style(content))
    if mentions:
        extended.contextInfo.mentionedJID.extend(str(jid) for jid in mentions)
    if preview is not None:
        extended.MergeFrom(e2e.ExtendedTextMessage(
            matchedText=preview.url, previewType=e2e.ExtendedTextMessage.PreviewType.NONE,
            title=preview.title, description=preview.description,
            JPEGThumbnail=preview.thumbnail))
    return e2e.Message(extendedTextMessage=extended)


def status_style(content: Text) -> Any:
    """The ExtendedTextMessage fields of a text status's look: background (ARGB, opaque
    unless given with alpha), white text, and the font."""
    e2e = e2e_module()
    style = e2e.ExtendedTextMessage(textArgb=0xFFFFFFFF)
    if content.background_color is not None:
        digits = content.background_color.lstrip("#")
        style.backgroundArgb = int(digits if len(digits) == 8 else "FF" + digits, 16)
    if content.font is not None:
        style.font = e2e.ExtendedTextMessage.FontType.Value(content.font.upper())
    return style


def _other_message(content: Any) -> WAMessage:
    e2e = e2e_module()
    if isinstance(content, Location):
        return e2e.Message(locationMessage=e2e.LocationMessage(
            degreesLatitude=content.latitude, degreesLongitude=content.longitude,
            name=content.name, address=content.address))
    if isinstance(content, Contacts):
        cards = [e2e.ContactMessage(displayName=card.name, vcard=card.vcard)
                 for card in content.contacts]
        if len(cards) == 1:
            return e2e.Message(contactMessage=cards[0])
        return e2e.Message(contactsArrayMessage=e2e.ContactsArrayMessage(
            displayName=f"{len(cards)} contacts", contacts=cards))
    if isinstance(content, Poll):
        if len(set(content.options)) != len(content.options):
            raise EngineError("invalid_content", "poll options must differ (a vote is a hash "
                              "of the option's text)")
        return e2e.Message(
            pollCreationMessage=e2e.PollCreationMessage(
                name=content.question,
                options=[e2e.PollCreationMessage.Option(optionName=o) for o in content.options],
                selectableOptionsCount=0 if content.multiple else 1),
            # Votes come encrypted with this secret (whatsmeow stores it when it sends).
            messageContextInfo=e2e.MessageContextInfo(messageSecret=os.urandom(32)))
    if isinstance(content, ListMessage):
        return e2e.Message(listMessage=e2e.ListMessage(
            title=content.title, description=content.text, buttonText=content.button_text,
            footerText=content.footer, listType=e2e.ListMessage.ListType.SINGLE_SELECT,
            sections=[e2e.ListMessage.Section(title=section.title, rows=[
                e2e.ListMessage.Row(rowID=row.id, title=row.title, description=row.description)
                for row in section.rows]) for section in content.sections]))
    raise EngineError("invalid_content", f"cannot send a {content.type} message")


def _content_of(message: WAMessage) -> Any:
    """The one content field set in a Message we built (the one that has a contextInfo)."""
    return next(value for descriptor, value in message.ListFields()
                if descriptor.name != "messageContextInfo")


def build_edit(chat: Jid, engine_message_id: str, text: str) -> WAMessage:
    """The message that replaces the text of our message ``engine_message_id`` in ``chat``."""
    e2e = e2e_module()
    from neonize.builder import build_edit as neonize_build_edit

    return neonize_build_edit(jid_to_proto(chat), engine_message_id,
                              e2e.Message(conversation=text))


def build_revoke(chat: Jid, engine_message_id: str) -> WAMessage:
    """The message that deletes our message ``engine_message_id`` in ``chat`` for everyone."""
    e2e = e2e_module()
    from neonize.proto.waCommon.WACommon_pb2 import MessageKey

    return e2e.Message(protocolMessage=e2e.ProtocolMessage(
        type=e2e.ProtocolMessage.REVOKE,
        key=MessageKey(remoteJID=str(chat), fromMe=True, ID=engine_message_id)))

