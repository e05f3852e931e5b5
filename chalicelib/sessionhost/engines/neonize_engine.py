"""The neonize engine: real WhatsApp through neonize (whatsmeow, in Go, underneath).

neonize keeps every client in plain Go maps, written when a client starts and when it stops:
two of those at once crash the whole process ("concurrent map writes"). So one starter thread
per process creates, connects and stops clients, one after another; it moves on to the next
start only once the previous client showed a sign of life (a QR code, an event, or an error),
or after ``connect_timeout_s`` (the watchdog: the session is reported disconnected and its
client stopped).

``NewClient.connect()`` blocks for the client's whole life (until ``stop()``), so each client
connects on a thread of its own. Event handlers run on the Go dispatch thread: they only
translate events (the pure functions below) and call the listener, which queues the work.

Each session's auth state is its own SQLite file, ``auth_dir / "neonize.sqlite3"``.

Connection trouble (no network, the watchdog, a dropped socket) is ``on_disconnected``: the
host retries with backoff and gives up after a few attempts. What retrying cannot fix is
``on_failed`` (QR never scanned, ban, stream replaced by another client, refused pairing) or
``on_logged_out`` (the phone unlinked the device; its auth file is deleted).

Sending: ``build_message`` turns an Outbound into the WhatsApp protobuf (pure); media are
prepared first (``prepare_media``: sizes, thumbnails and sticker conversion with Pillow, an
OGG/Opus duration read from its pages) and uploaded with ``client.upload`` (encrypted by
whatsmeow), so no ffmpeg is needed: neonize's own ``build_video_message``/
``build_audio_message``/animated stickers call ffmpeg, which the engine never uses. Without it,
videos go without a thumbnail or duration, audio that is not OGG/Opus without a duration, and
nothing is transcoded: videos must already be MP4 (H.264/AAC), voice notes play reliably only
as OGG/Opus, stickers must be WebP or a still image (converted here to a 512x512 WebP).

A Go call on a stopped client crashes the process (neonize looks the client up in a Go map and
calls it even when it is gone), so every call into a client is counted while it runs, none
starts once the client is released, and its Go-side stop waits for the count to reach zero
(``_hold``).

Known neonize 0.5.2 limits: while QR codes show, no other event gets through (a refused
pairing ends as "qr_timeout"); a client stopped while it shows QR codes, or whose codes ran
out, leaves its Go call (and two idle threads, one not a daemon) blocked for the rest of the
process; every start opens a SQLite handle that is never closed; events still buffered in Go
when a client stops are lost, although WhatsApp already counts them as delivered; starring
cannot work (``send_app_state`` loses the patch type in Go, see ``star``).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import io
import itertools
import logging
import os
import queue
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from chalicelib.domain.content import (
    MEDIA_TYPES,
    Audio,
    Contacts,
    Document,
    Image,
    ListMessage,
    Location,
    Poll,
    Quote,
    Reaction,
    Sticker,
    Text,
    Video,
    Voice,
)
from chalicelib.domain.jids import GROUP_SERVER, LID_SERVER, USER_SERVER, Jid
from chalicelib.domain.messages import MessageStatus
from chalicelib.sessionhost.engines.base import (
    ChangeKind,
    Contact,
    EngineError,
    EngineListener,
    EngineSession,
    Inbound,
    MessageChange,
    Outbound,
)

if TYPE_CHECKING:
    from google.protobuf.message import Message as ProtoMessage
    from neonize.client import NewClient
    from neonize.events import ConnectFailureEv, MessageEv, ReceiptEv, TemporaryBanEv
    from neonize.proto.Neonize_pb2 import (
        JID,
        Device,
        IsOnWhatsAppResponse,
        MessageSource,
        UploadResponse,
    )
    from neonize.proto.waCommon.WACommon_pb2 import MessageKey
    from neonize.proto.waE2E.WAWebProtobufsE2E_pb2 import ContextInfo
    from neonize.proto.waE2E.WAWebProtobufsE2E_pb2 import Message as WAMessage

log = logging.getLogger(__name__)

AUTH_FILE = "neonize.sqlite3"
FIRST_QR_S = 60.0  # whatsmeow shows the first code of a connection for 60 s ...
NEXT_QR_S = 20.0  # ... and each of the (usually five) later ones for 20 s, then gives up
QR_GRACE_S = 5.0  # after the last code's expiry before the session counts as unscanned

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
    ("outcome_unknown", ("timed out waiting for message send response",
                         "failed to send message node")),
)
_ATTEMPTS = itertools.count(1)  # makes each client's Go key unique, restarts included
# Media message fields, and the field download_any knows them by (a round video note, ptv, is
# downloaded as the VideoMessage it is).
_MEDIA_FIELDS = (
    ("imageMessage", "imageMessage"), ("videoMessage", "videoMessage"),
    ("ptvMessage", "videoMessage"), ("audioMessage", "audioMessage"),
    ("documentMessage", "documentMessage"), ("stickerMessage", "stickerMessage"),
)
# neonize's MediaType (the upload's encryption keys and media server path), by content type.
_UPLOAD_TYPES = {"image": "MediaImage", "video": "MediaVideo", "audio": "MediaAudio",
                 "voice": "MediaAudio", "document": "MediaDocument", "sticker": "MediaImage"}
_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
THUMBNAIL_PX = 72  # the inline JPEG preview of an image (what shows before the download)
STICKER_PX = 512
MAX_PIXELS = 40_000_000  # larger images are not decoded here (memory): no thumbnail
_ROTATED = frozenset({5, 6, 7, 8})  # EXIF orientations that swap width and height
OPUS_MIME = "audio/ogg; codecs=opus"  # what WhatsApp's clients play as a voice note


# --- translation (pure) ---

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


def _enum_name(message: ProtoMessage, name: str) -> str:
    """An enum field's value name, in lower case.

    neonize's event fields are proto2 ``required``: an event whose enum neonize's Go side
    cannot name (a new receipt type, ban code or failure reason) never arrives; encoding it
    fails and ends the client's event loop, which the engine reports as a disconnect."""
    values = message.DESCRIPTOR.fields_by_name[name].enum_type.values_by_number
    return values[getattr(message, name)].name.lower()


def inbound_media(message: WAMessage) -> tuple[WAMessage, str | None, str | None] | None:
    """(what ``download_any`` gets, MIME type, file name) of a media message; None for the
    others. The first is a new Message holding only the media field."""
    for name, download_as in _MEDIA_FIELDS:
        if message.HasField(name):
            media = getattr(message, name)
            downloadable = _e2e().Message()
            getattr(downloadable, download_as).CopyFrom(media)
            filename = media.fileName if name == "documentMessage" else ""
            return downloadable, media.mimetype or None, filename or None
    return None


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
        types = _e2e().ProtocolMessage
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
    status = _RECEIPT_STATUS.get(_enum_name(event, "Type"))
    if status is None or not event.MessageIDs:
        return None
    return list(event.MessageIDs), status, _from_epoch(event.Timestamp)  # Receipt: seconds


def temporary_ban_reason(event: TemporaryBanEv) -> str:
    return f"temporary_ban: {_enum_name(event, 'Code')}, expires in {event.Expire} s"


def connect_failure_reason(event: ConnectFailureEv) -> str:
    detail = f": {event.Message}" if event.Message else ""
    return f"connect_failure: {_enum_name(event, 'Reason')}{detail}"


def contacts_from_lookup(phones: list[str], found: Iterable[IsOnWhatsAppResponse]
                         ) -> dict[str, Contact | None]:
    """``check_numbers``' answer from ``is_on_whatsapp``'s: WhatsApp's own phone JID for a
    number on WhatsApp (it may differ from the query), the queried number's when it answers
    with an @lid, and None for the others."""
    on: dict[str, Contact] = {}
    for response in found:
        digits = re.sub(r"\D", "", response.Query)
        if response.IsIn and digits:
            jid = jid_from_proto(response.JID)
            on[digits] = Contact(jid if jid.is_user else Jid(digits))
    return {phone: on.get(phone.lstrip("+")) for phone in phones}


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


@dataclass(frozen=True)
class PreparedMedia:
    """A media file as it will be uploaded, with what the message says about it."""

    data: bytes
    mime_type: str
    upload_type: str  # the neonize MediaType member's name
    width: int | None = None
    height: int | None = None
    thumbnail: bytes | None = None  # JPEG
    seconds: int | None = None
    animated: bool = False


def _e2e() -> Any:
    """neonize's WAWebProtobufsE2E module (loading neonize the engine's way first)."""
    _load_neonize()
    from neonize.proto.waE2E import WAWebProtobufsE2E_pb2

    return WAWebProtobufsE2E_pb2


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


def ogg_opus_seconds(data: bytes) -> int | None:
    """An OGG/Opus file's duration in whole seconds (from its last page's granule position,
    48 kHz samples, less the pre-skip); None for anything else."""
    head = data.find(b"OpusHead", 0, 512)
    last = data.rfind(b"OggS")
    if not data.startswith(b"OggS") or head < 0 or last < 0 or len(data) < last + 14:
        return None
    pre_skip = int.from_bytes(data[head + 10:head + 12], "little")
    granule = int.from_bytes(data[last + 6:last + 14], "little", signed=True)
    return max(1, round((granule - pre_skip) / 48_000)) if granule > pre_skip else None


def _image_facts(data: bytes) -> tuple[int, int, bytes | None] | None:
    """(width, height, JPEG thumbnail) of an image Pillow can read, as it is shown (EXIF
    orientation applied); no thumbnail for a huge one; None for what Pillow cannot read."""
    from PIL import Image as PILImage
    from PIL import ImageOps

    try:
        with PILImage.open(io.BytesIO(data)) as image:
            width, height = image.size
            if image.getexif().get(0x0112) in _ROTATED:  # 0x0112: Orientation
                width, height = height, width
            if width * height > MAX_PIXELS:
                return width, height, None
            image.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
            thumbnail = io.BytesIO()
            ImageOps.exif_transpose(image).convert("RGB").save(thumbnail, format="JPEG",
                                                               quality=60)
    except Exception:  # not an image Pillow knows (or a broken one): no size, no thumbnail
        return None
    return width, height, thumbnail.getvalue()


def _is_animated_webp(data: bytes) -> bool:
    # RIFF....WEBPVP8X, then the feature flags: bit 1 is "animation".
    return data[12:16] == b"VP8X" and len(data) > 20 and bool(data[20] & 0x02)


def _sticker_webp(data: bytes) -> bytes:
    """A still image as a WhatsApp sticker: fitted into 512x512, transparent around, WebP."""
    from PIL import Image as PILImage

    try:
        with PILImage.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise ValueError(f"{image.width}x{image.height} is too large")
            image.thumbnail((STICKER_PX, STICKER_PX))
            canvas = PILImage.new("RGBA", (STICKER_PX, STICKER_PX), (0, 0, 0, 0))
            layer = image.convert("RGBA")
            canvas.paste(layer, ((STICKER_PX - layer.width) // 2,
                                 (STICKER_PX - layer.height) // 2), layer)
            out = io.BytesIO()
            canvas.save(out, format="WEBP", quality=80)
    except Exception as exc:
        raise EngineError("invalid_content", f"the sticker is not an image: {exc}") from exc
    return out.getvalue()


def prepare_media(content: Any, data: bytes | None) -> PreparedMedia:
    """What to upload for a media content, and what its message says about it.

    No ffmpeg: images get their size and an inline thumbnail (Pillow); OGG/Opus audio its
    duration; a still image sent as a sticker is converted to a 512x512 WebP (Pillow); other
    media go as they are (videos without thumbnail or duration)."""
    if not data:
        raise EngineError("invalid_content", f"the {content.type} message has no media bytes")
    mime = content.media.mime_type.split(";")[0].strip().lower()
    upload_type = _UPLOAD_TYPES[content.type]
    if isinstance(content, Image):
        facts = _image_facts(data)
        if facts is None:
            return PreparedMedia(data, mime, upload_type)
        return PreparedMedia(data, mime, upload_type, facts[0], facts[1], facts[2])
    if isinstance(content, Audio | Voice):
        seconds = ogg_opus_seconds(data)
        # Voice notes are OGG/Opus for WhatsApp, whatever the sniffer called the container.
        voice_mime = OPUS_MIME if seconds is not None else mime
        return PreparedMedia(data, voice_mime if isinstance(content, Voice) else mime,
                             upload_type, seconds=seconds)
    if isinstance(content, Sticker):
        if mime != "image/webp":
            if not mime.startswith("image/") or mime == "image/gif":
                raise EngineError("invalid_content", "stickers must be WebP or a still image "
                                  f"(not {mime}; animated ones need ffmpeg)")
            data = _sticker_webp(data)
        facts = _image_facts(data)
        return PreparedMedia(data, "image/webp", upload_type,
                             facts[0] if facts else None, facts[1] if facts else None,
                             animated=_is_animated_webp(data))
    return PreparedMedia(data, mime, upload_type)


def quote_context(quote: Quote, chat: Jid, me: Jid | None) -> ContextInfo:
    """The contextInfo that quotes ``quote`` in a message to ``chat``: its id, its author
    (us for our own messages) and its text; the chat too when it was in another one."""
    e2e = _e2e()
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
        message = _media_message(content, media, upload)
    elif isinstance(content, Reaction):
        e2e = _e2e()
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
    e2e = _e2e()
    mentions = [lenient_jid(m) for m in content.mentions]
    text = mention_text(content.text, mentions)
    if not (mentions or preview or quoting):
        return e2e.Message(conversation=text)  # (a conversation has no contextInfo)
    extended = e2e.ExtendedTextMessage(text=text)
    if mentions:
        extended.contextInfo.mentionedJID.extend(str(jid) for jid in mentions)
    if preview is not None:
        extended.MergeFrom(e2e.ExtendedTextMessage(
            matchedText=preview.url, previewType=e2e.ExtendedTextMessage.PreviewType.NONE,
            title=preview.title, description=preview.description,
            JPEGThumbnail=preview.thumbnail))
    return e2e.Message(extendedTextMessage=extended)


def _media_message(content: Any, media: PreparedMedia, upload: UploadResponse) -> WAMessage:
    e2e = _e2e()
    fields = {"URL": upload.url, "directPath": upload.DirectPath, "mediaKey": upload.MediaKey,
              "fileEncSHA256": upload.FileEncSHA256, "fileSHA256": upload.FileSHA256,
              "fileLength": upload.FileLength or len(media.data), "mimetype": media.mime_type,
              "mediaKeyTimestamp": int(time.time())}
    if isinstance(content, Image):
        return e2e.Message(imageMessage=e2e.ImageMessage(
            **fields, caption=content.caption, width=media.width, height=media.height,
            JPEGThumbnail=media.thumbnail))
    if isinstance(content, Video):
        return e2e.Message(videoMessage=e2e.VideoMessage(
            **fields, caption=content.caption, seconds=media.seconds))
    if isinstance(content, Audio | Voice):
        return e2e.Message(audioMessage=e2e.AudioMessage(
            **fields, PTT=isinstance(content, Voice), seconds=media.seconds))
    if isinstance(content, Document):
        return e2e.Message(documentMessage=e2e.DocumentMessage(
            **fields, fileName=content.filename, title=content.filename,
            caption=content.caption))
    if isinstance(content, Sticker):
        return e2e.Message(stickerMessage=e2e.StickerMessage(
            **fields, width=media.width, height=media.height, isAnimated=media.animated))
    raise EngineError("invalid_content", f"cannot send a {content.type} message")


def _other_message(content: Any) -> WAMessage:
    e2e = _e2e()
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
    e2e = _e2e()
    from neonize.builder import build_edit as neonize_build_edit

    return neonize_build_edit(jid_to_proto(chat), engine_message_id,
                              e2e.Message(conversation=text))


def build_revoke(chat: Jid, engine_message_id: str) -> WAMessage:
    """The message that deletes our message ``engine_message_id`` in ``chat`` for everyone."""
    e2e = _e2e()
    from neonize.proto.waCommon.WACommon_pb2 import MessageKey

    return e2e.Message(protocolMessage=e2e.ProtocolMessage(
        type=e2e.ProtocolMessage.REVOKE,
        key=MessageKey(remoteJID=str(chat), fromMe=True, ID=engine_message_id)))


# --- neonize, loaded late ---

@functools.cache
def _load_neonize() -> None:
    """Import neonize once, after the host has set up logging (its import calls
    ``logging.basicConfig``), with the bot marker off and its loggers quiet."""
    _bot_tag_off()
    importlib.import_module("neonize")
    # "neonize.utils.log"'s own level is also the log level neonize hands to whatsmeow.
    for name in ("neonize", "neonize.utils.log", "whatsmeow", "Whatsmeow"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _bot_tag_off() -> None:
    """Ask neonize not to mark outgoing messages as a bot's.

    neonize's Go code reads the environment the process started with: Python can change a
    variable that was there before neonize loads, but cannot add one. The session-host image
    sets NEONIZE_BOT_TAG=off; say so when a process started without it."""
    os.environ["NEONIZE_BOT_TAG"] = "off"
    with contextlib.suppress(OSError):
        if b"\0NEONIZE_BOT_TAG=" not in b"\0" + Path("/proc/self/environ").read_bytes():
            log.warning("NEONIZE_BOT_TAG=off is not in this process's initial environment: "
                        "neonize will mark outgoing messages as sent by a bot")


class _Starter:
    """The one thread per process that creates, connects and stops neonize clients, in turn.

    Stops are urgent: they run before pending starts (a stopped session must let go of
    WhatsApp soon, and a restart must find its predecessor gone)."""

    def __init__(self) -> None:
        self._jobs: queue.PriorityQueue[tuple[int, int, Callable[[], None]]] = \
            queue.PriorityQueue()
        self._order = itertools.count()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, job: Callable[[], None], urgent: bool = False) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="neonize-starter",
                                                daemon=True)
                self._thread.start()
        self._jobs.put((0 if urgent else 1, next(self._order), job))

    def _work(self) -> None:
        while True:
            *_, job = self._jobs.get()
            try:
                job()
            except Exception:
                log.exception("a neonize start/stop failed")


_STARTER = _Starter()


@dataclass(eq=False)
class _Connection:
    """One neonize client and the session it serves (a new one on every start)."""

    session: EngineSession
    listener: EngineListener
    uuid: str  # the client's key inside neonize's Go side
    client: NewClient | None = None
    settled: threading.Event = field(default_factory=threading.Event)  # Go showed life
    lock: threading.Lock = field(default_factory=threading.Lock)
    closed: bool = False  # its life-cycle was reported over: no more on_qr/on_connected/...
    released: bool = False  # being stopped: no more callbacks at all
    phone: str | None = None  # set once connected
    qr_count: int = 0
    qr_timer: threading.Timer | None = None
    busy: int = 0  # calls into the client running now (see NeonizeEngine._hold)
    stop_pending: bool = False  # released while busy: the last call out stops it in Go
    gone: threading.Event = field(default_factory=threading.Event)  # set once released


class NeonizeEngine:
    """Real WhatsApp sessions through neonize (see the module's docstring)."""

    name = "neonize"

    def __init__(self, connect_timeout_s: float = 30,
                 link_preview: Callable[[str], LinkPreview | None] | None = None) -> None:
        """``link_preview`` fetches the preview card of a text's first link when the text asks
        for one; without it, texts go without a card. (neonize's own fetcher follows any URL,
        internal addresses included: give one that refuses those.)"""
        self._connect_timeout_s = connect_timeout_s
        self._link_preview = link_preview
        self._connections: dict[tuple[str, str], _Connection] = {}
        self._lock = threading.Lock()

    # --- the engine port ---

    def start(self, session: EngineSession, listener: EngineListener) -> None:
        uuid = f"{session.tenant_id}:{session.session_id}:{next(_ATTEMPTS)}"
        connection = _Connection(session, listener, uuid)
        with self._lock:
            previous = self._connections.get(_key(session))
            self._connections[_key(session)] = connection
        if previous is not None:
            self._release(previous, first=_disconnect)
        _STARTER.submit(lambda: self._connect(connection))

    def stop(self, session: EngineSession) -> None:
        connection = self._pop(session)
        if connection is not None:
            self._release(connection, first=_disconnect)

    def logout(self, session: EngineSession) -> None:
        connection = self._pop(session)
        if connection is not None:
            self._release(connection, first=_logout)
        shutil.rmtree(session.auth_dir, ignore_errors=True)

    def message_id(self, session: EngineSession) -> None:
        """None: neonize 0.5.2's ``send_message`` cannot carry an id chosen beforehand (its Go
        side takes no ``SendRequestExtra``; only ``send_fb_message`` does, for another kind
        of message), so whatsmeow picks one. The host then relies on its per-message send
        token alone: a second attempt refuses, but the id is only known once sent."""
        return None

    def send(self, session: EngineSession, outbound: Outbound,
             message_id: str | None = None) -> str:
        """Send any content: media are prepared and uploaded first, then the message built
        (``build_message``) goes out as a protobuf (never as a string, which neonize would
        scan for "@digits" mentions and links). ``message_id`` must be None (see
        ``message_id``)."""
        if message_id is not None:
            raise EngineError("unsupported", "neonize cannot send with a chosen message id")
        content = outbound.content
        with self._using(session) as connection:
            from neonize.exc import NeonizeError
            from neonize.utils.enum import MediaType

            media = prepare_media(content, outbound.media) if content.type in MEDIA_TYPES \
                else None
            preview = self._preview(content)
            client = connection.client
            assert client is not None  # (held)
            try:
                upload = client.upload(media.data, MediaType[media.upload_type]) \
                    if media is not None else None
                message = build_message(outbound, me=_me(connection), media=media,
                                        upload=upload, preview=preview)
                return client.send_message(jid_to_proto(outbound.to), message).ID
            except NeonizeError as exc:
                raise engine_error(exc) from exc

    def typing(self, session: EngineSession, chat: Jid, duration_ms: int,
               media: Literal["text", "audio"] = "text") -> None:
        """Show "typing…" (with ``media="audio"``: "recording audio…") for ``duration_ms``,
        then stop showing it. Cut short when the session stops."""
        with self._using(session) as connection:
            from neonize.exc import NeonizeError
            from neonize.utils.enum import ChatPresence, ChatPresenceMedia

            client = connection.client
            assert client is not None  # (held)
            jid = jid_to_proto(chat)
            kind = ChatPresenceMedia.CHAT_PRESENCE_MEDIA_AUDIO if media == "audio" \
                else ChatPresenceMedia.CHAT_PRESENCE_MEDIA_TEXT
            try:
                client.send_chat_presence(jid, ChatPresence.CHAT_PRESENCE_COMPOSING, kind)
            except NeonizeError as exc:
                raise engine_error(exc, "presence_failed") from exc
            if connection.gone.wait(max(duration_ms, 0) / 1000):
                return
            try:
                client.send_chat_presence(jid, ChatPresence.CHAT_PRESENCE_PAUSED, kind)
            except NeonizeError:  # WhatsApp ends the indicator by itself after ~25 s
                log.debug("neonize %s: could not end the typing indicator", connection.uuid,
                          exc_info=True)

    def edit(self, session: EngineSession, chat: Jid, engine_message_id: str, text: str) -> None:
        self._send_built(session, chat, lambda: build_edit(chat, engine_message_id, text))

    def revoke(self, session: EngineSession, chat: Jid, engine_message_id: str) -> None:
        self._send_built(session, chat, lambda: build_revoke(chat, engine_message_id))

    def star(self, session: EngineSession, chat: Jid, engine_message_id: str, from_me: bool,
             starred: bool) -> None:
        """Unsupported with neonize 0.5.2: starring is an app-state patch (whatsmeow's
        appstate.BuildStar: "regular_high", index ["star", chat, id, fromMe, participant]), and
        neonize's ``send_app_state`` cannot deliver one. Its Go side (DecodePatchInfo) compares
        enum pointers, so every patch reaches whatsmeow with an empty patch name, and it has no
        REGULAR_HIGH at all."""
        raise EngineError("unsupported", "starring messages is not supported by the neonize "
                          "engine (neonize 0.5.2 cannot send app-state patches)")

    def pairing_code(self, session: EngineSession, phone: str) -> str:
        connection = self._connections.get(_key(session))
        # whatsmeow pairs by code only inside the QR loop: after the first code, before a scan.
        if connection is None or connection.closed or connection.phone \
                or not connection.qr_count or connection.client is None:
            raise EngineError("not_scanning", "the session is not showing a QR code")
        from neonize.exc import NeonizeError
        from neonize.utils.enum import ClientName

        try:
            with self._hold(connection, "not_scanning") as client:
                code = client.PairPhone(phone.lstrip("+"), True, ClientName.LINUX)
        except NeonizeError as exc:
            raise EngineError("pairing_failed", str(exc)) from exc
        return code.replace("-", "")  # whatsmeow shows "ABCD-EFGH"

    def check_numbers(self, session: EngineSession, phones: list[str]) -> dict[str, Contact | None]:
        with self._using(session) as connection:
            from neonize.exc import NeonizeError

            assert connection.client is not None  # (held)
            try:
                found = connection.client.is_on_whatsapp(*phones)
            except NeonizeError as exc:
                raise EngineError("check_failed", str(exc)) from exc
        return contacts_from_lookup(phones, found)

    # --- sending and downloading (the host's threads) ---

    def _send_built(self, session: EngineSession, to: Jid, build: Callable[[], WAMessage]
                    ) -> str:
        with self._using(session) as connection:
            from neonize.exc import NeonizeError

            assert connection.client is not None  # (held)
            try:
                return connection.client.send_message(jid_to_proto(to), build()).ID
            except NeonizeError as exc:
                raise engine_error(exc) from exc

    def _preview(self, content: Any) -> LinkPreview | None:
        """The preview card of a text's first link, when it asks for one and we can fetch it."""
        fetch = self._link_preview
        if fetch is None or not isinstance(content, Text) or not content.link_preview:
            return None
        url = first_url(content.text)
        if url is None:
            return None
        try:
            return fetch(url)
        except Exception:
            log.warning("no link preview for %s", url, exc_info=True)
            return None

    def _download(self, session: EngineSession, media: WAMessage) -> bytes:
        """An inbound media file's bytes (an Inbound's ``media_loader``): through the
        session's current client, so a download still works after the session restarted."""
        with self._using(session) as connection:
            from neonize.exc import NeonizeError

            assert connection.client is not None  # (held)
            try:
                return connection.client.download_any(media) or b""
            except NeonizeError as exc:
                raise engine_error(exc, "download_failed") from exc

    @contextlib.contextmanager
    def _using(self, session: EngineSession) -> Iterator[_Connection]:
        """The session's connected connection, held (see ``_hold``) while the block runs;
        EngineError("not_connected") when there is none."""
        connection = self._connections.get(_key(session))
        if connection is None or connection.closed or not connection.phone:
            raise EngineError("not_connected", "the session is not connected")
        with self._hold(connection):
            yield connection

    @contextlib.contextmanager
    def _hold(self, connection: _Connection, refusal: str = "not_connected"
              ) -> Iterator[NewClient]:
        """The connection's client, kept in neonize's Go map while the block runs.

        neonize finds a client by its key in a Go map on every call, and calls it even when
        ``stop()`` deleted it: a nil pointer, which crashes the whole process. So calls are
        counted here, none starts once the connection is released, and the Go-side stop of a
        released connection waits for the count to reach zero (``_stop_when_idle``)."""
        with connection.lock:
            if connection.released or connection.client is None:
                raise EngineError(refusal, "the session's client is stopping")
            connection.busy += 1
        try:
            yield connection.client
        finally:
            with connection.lock:
                connection.busy -= 1
                stop = connection.busy == 0 and connection.stop_pending
                if stop:
                    connection.stop_pending = False
            if stop:
                _STARTER.submit(lambda: self._stop_client(connection), urgent=True)

    # --- the client's life (starter thread, its own thread) ---

    def _connect(self, connection: _Connection) -> None:
        if connection.closed:
            return  # stopped before its turn came
        try:
            connection.client = self._new_client(connection)
        except Exception as exc:
            self._disconnected(connection, f"connect_failure: {exc}", release=True)
            return
        threading.Thread(target=self._run, args=(connection, connection.client),
                         name=f"neonize {connection.uuid}", daemon=True).start()
        if not connection.settled.wait(self._connect_timeout_s):
            self._disconnected(connection, "connect_timeout: no QR code and no connection after "
                               f"{self._connect_timeout_s:g} s", release=True)

    def _new_client(self, connection: _Connection) -> NewClient:
        _load_neonize()
        from neonize.client import NewClient

        connection.session.auth_dir.mkdir(parents=True, exist_ok=True)
        client = NewClient(str(connection.session.auth_dir / AUTH_FILE), uuid=connection.uuid)
        # We stop clients ourselves, on the starter thread; neonize's garbage-collection hook
        # would stop one at any time, on any thread (a Go map write, see above).
        client._stop_finalizer.detach()
        client.event.qr(functools.partial(self._on_qr, connection))
        for event_type, handler in self._handlers().items():
            client.event(event_type)(functools.partial(self._dispatch, connection, handler))
        return client

    def _run(self, connection: _Connection, client: NewClient) -> None:
        try:
            client.connect()  # returns once stopped, raises when it cannot connect
            reason = "connect_failure: the neonize client ended"
        except Exception as exc:
            reason = f"connect_failure: {exc}"
        connection.settled.set()
        self._disconnected(connection, reason, release=True)  # nothing if we stopped it

    def _stop_client(self, connection: _Connection) -> None:
        if connection.client is not None:
            connection.client.stop()

    def _stop_when_idle(self, connection: _Connection) -> None:
        """Stop a released client in Go now, or (while calls into it run) when the last one
        returns (see ``_hold``)."""
        with connection.lock:
            if connection.busy:
                connection.stop_pending = True
                return
        self._stop_client(connection)

    def _release(self, connection: _Connection,
                 first: Callable[[NewClient], None] | None = None) -> None:
        """Let go of a connection once: ``first`` (disconnect or log out, when connected) right
        here, then the Go-side stop on the starter thread. Disconnecting before returning means
        a restart never meets its predecessor still online (WhatsApp would drop one of the two
        as "stream replaced"); it waits while whatsmeow is redialling, up to its dial timeout."""
        with connection.lock:
            connection.closed = True
            if connection.released:
                return
            connection.released = True
            connection.gone.set()
            if connection.qr_timer is not None:
                connection.qr_timer.cancel()
        if first is not None and connection.phone and connection.client is not None:
            try:
                first(connection.client)
            except Exception:
                log.warning("neonize %s: %s failed", connection.uuid, first.__name__,
                            exc_info=True)
        _STARTER.submit(lambda: self._stop_when_idle(connection), urgent=True)

    # --- events (Go dispatch thread: translate, hand over, never block) ---

    def _handlers(self) -> dict[type, Callable[[_Connection, Any], None]]:
        from neonize import events as ev

        return {
            ev.PairStatusEv: self._on_pair_status,
            ev.ConnectedEv: lambda c, _: self._on_connected(c),
            ev.MessageEv: self._on_message,
            ev.ReceiptEv: self._on_receipt,
            ev.LoggedOutEv: lambda c, _: self._logged_out(c),
            ev.TemporaryBanEv: lambda c, e: self._failed(c, temporary_ban_reason(e)),
            ev.ConnectFailureEv: lambda c, e: self._failed(c, connect_failure_reason(e)),
            ev.ClientOutdatedEv: lambda c, _: self._failed(
                c, "client_outdated: WhatsApp refuses this neonize (whatsmeow) version"),
            ev.StreamReplacedEv: lambda c, _: self._failed(c, "stream_replaced"),
            ev.DisconnectedEv: lambda c, _: self._disconnected(c, "connection_lost"),
            ev.KeepAliveTimeoutEv: lambda c, _: self._disconnected(c, "keepalive_timeout"),
        }

    def _dispatch(self, connection: _Connection, handler: Callable[[_Connection, Any], None],
                  _client: NewClient, event: Any) -> None:
        connection.settled.set()
        if connection.released:
            return
        try:
            handler(connection, event)
        except Exception:
            log.exception("neonize %s: handling %s failed", connection.uuid,
                          type(event).__name__)

    def _on_qr(self, connection: _Connection, _client: NewClient, code: bytes) -> None:
        connection.settled.set()
        with connection.lock:
            if connection.closed or connection.phone:
                return
            connection.qr_count += 1
            lifetime = FIRST_QR_S if connection.qr_count == 1 else NEXT_QR_S
            if connection.qr_timer is not None:
                connection.qr_timer.cancel()
            connection.qr_timer = threading.Timer(lifetime + QR_GRACE_S, self._qr_expired,
                                                  (connection, connection.qr_count))
            connection.qr_timer.daemon = True
            connection.qr_timer.start()
        connection.listener.on_qr(code.decode(), datetime.now(UTC) + timedelta(seconds=lifetime))

    def _qr_expired(self, connection: _Connection, count: int) -> None:
        if connection.qr_count == count and connection.phone is None:
            self._failed(connection, "qr_timeout")

    def _on_pair_status(self, connection: _Connection, event: Any) -> None:
        if _enum_name(event, "Status") == "success":
            self._connected(connection, f"+{event.ID.User}")
        else:
            self._failed(connection, f"pair_error: {event.Error}")

    def _on_connected(self, connection: _Connection) -> None:
        me = _own_device(connection)
        if me is not None:
            self._connected(connection, f"+{me.JID.User}")

    def _connected(self, connection: _Connection, phone: str) -> None:
        with connection.lock:
            if connection.closed or connection.phone:
                return  # Connected follows PairStatus after a scan: report once
            connection.phone = phone
            if connection.qr_timer is not None:
                connection.qr_timer.cancel()
        me = _own_device(connection)
        connection.listener.on_connected(phone, (me.PushName or None) if me else None)

    def _on_message(self, connection: _Connection, event: MessageEv) -> None:
        session = connection.session
        inbound = inbound_from_event(
            event, lambda media: functools.partial(self._download, session, media))
        if inbound is not None:
            connection.listener.on_message(inbound)
            return
        change = change_from_event(event)
        if change is not None:
            connection.listener.on_change(change)

    def _on_receipt(self, connection: _Connection, event: ReceiptEv) -> None:
        receipt = receipt_from_event(event)
        if receipt is not None:
            connection.listener.on_receipt(*receipt)

    def _report_once(self, connection: _Connection) -> bool:
        """Close the connection's life-cycle; False when it already was."""
        with connection.lock:
            if connection.closed:
                return False
            connection.closed = True
            return True

    def _disconnected(self, connection: _Connection, reason: str, release: bool = False) -> None:
        """The host stops and restarts the session (with backoff); messages keep flowing to it
        until then. With ``release`` (the client never connected, or its neonize loop ended),
        the client is let go of here."""
        if self._report_once(connection):
            connection.listener.on_disconnected(reason)
        if release:
            self._release(connection)

    def _failed(self, connection: _Connection, reason: str) -> None:
        if self._report_once(connection):
            self._forget(connection)
            self._release(connection)
            connection.listener.on_failed(reason)

    def _logged_out(self, connection: _Connection) -> None:
        if self._report_once(connection):
            self._forget(connection)
            self._release(connection)
            shutil.rmtree(connection.session.auth_dir, ignore_errors=True)
            connection.listener.on_logged_out("logged_out")

    # --- bookkeeping ---

    def _pop(self, session: EngineSession) -> _Connection | None:
        with self._lock:
            return self._connections.pop(_key(session), None)

    def _forget(self, connection: _Connection) -> None:
        with self._lock:
            if self._connections.get(_key(connection.session)) is connection:
                del self._connections[_key(connection.session)]



def _key(session: EngineSession) -> tuple[str, str]:
    return session.tenant_id, session.session_id


def _me(connection: _Connection) -> Jid | None:
    """The session's own (phone) JID, once connected."""
    return Jid(connection.phone.lstrip("+")) if connection.phone else None


def _own_device(connection: _Connection) -> Device | None:
    """The session's own device: neonize hands it over (``client.me``) before any event."""
    return connection.client.me if connection.client is not None else None


def _disconnect(client: NewClient) -> None:
    client.disconnect()


def _logout(client: NewClient) -> None:
    client.logout()  # unlinks the device on WhatsApp, then disconnects
