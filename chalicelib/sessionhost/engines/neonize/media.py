"""Media both ways, without ffmpeg: what to upload for an outbound media content (sizes,
thumbnails and sticker conversion with Pillow, an OGG/Opus duration read from its pages), its
WhatsApp message once uploaded, and the downloadable part of an inbound media message."""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.domain.content import Audio, Document, Image, Sticker, Video, Voice
from chalicelib.sessionhost.engines.base import EngineError
from chalicelib.sessionhost.engines.neonize.loader import e2e_module

if TYPE_CHECKING:
    from neonize.proto.Neonize_pb2 import UploadResponse
    from neonize.proto.waE2E.WAWebProtobufsE2E_pb2 import Message as WAMessage

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
THUMBNAIL_PX = 72  # the inline JPEG preview of an image (what shows before the download)
STICKER_PX = 512
MAX_PIXELS = 40_000_000  # larger images are not decoded here (memory): no thumbnail
_ROTATED = frozenset({5, 6, 7, 8})  # EXIF orientations that swap width and height
OPUS_MIME = "audio/ogg; codecs=opus"  # what WhatsApp's clients play as a voice note


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


def media_message(content: Any, media: PreparedMedia, upload: UploadResponse) -> WAMessage:
    """The WhatsApp message of a media content, once ``prepare_media``'s file is uploaded."""
    e2e = e2e_module()
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


def inbound_media(message: WAMessage) -> tuple[WAMessage, str | None, str | None] | None:
    """(what ``download_any`` gets, MIME type, file name) of a media message; None for the
    others. The first is a new Message holding only the media field."""
    for name, download_as in _MEDIA_FIELDS:
        if message.HasField(name):
            media = getattr(message, name)
            downloadable = e2e_module().Message()
            getattr(downloadable, download_as).CopyFrom(media)
            filename = media.fileName if name == "documentMessage" else ""
            return downloadable, media.mimetype or None, filename or None
    return None
