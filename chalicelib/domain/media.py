"""Media rules: which file types and sizes each media message type accepts, what a file really
is (magic-number sniffing), and where it is kept (``media/<tenant>/<message id>/<file>``).

Sniffing uses ``filetype`` (PyPI, MIT, pure Python, no dependencies): one best match with its
MIME type for every format WhatsApp takes (JPEG, PNG, WebP, MP4, 3GP, AAC, AMR, MP3, Ogg, PDF,
Office). ``puremagic`` was tried too: it ranks several guesses, leaves the MIME type empty for
M4A, AMR and Ogg, ties DOCX/XLSX/PPTX, and its 2.x line needs Python 3.12.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import filetype
from filetype.types import TYPES as _FILETYPE_TYPES

from chalicelib.domain.errors import ValidationFailed

KB = 1024
MB = 1024 * KB
OCTET_STREAM = "application/octet-stream"


@dataclass(frozen=True)
class MediaRule:
    """What one media message type accepts; ``mime_types`` None means any type."""

    mime_types: frozenset[str] | None
    max_bytes: int


# WhatsApp's limits (Cloud API "supported media types"); sizes in binary units, like the
# gateway's cap (settings.media_max_bytes). Stickers: static and animated WebP alike, at most
# 500 KB.
RULES: Mapping[str, MediaRule] = MappingProxyType({
    "image": MediaRule(frozenset({"image/jpeg", "image/png", "image/webp"}), 5 * MB),
    "video": MediaRule(frozenset({"video/mp4", "video/3gpp"}), 16 * MB),
    "audio": MediaRule(
        frozenset({"audio/aac", "audio/mp4", "audio/mpeg", "audio/amr", "audio/ogg"}), 16 * MB
    ),
    "voice": MediaRule(
        frozenset({"audio/ogg", "audio/opus", "audio/mpeg", "audio/mp4"}), 16 * MB
    ),
    "sticker": MediaRule(frozenset({"image/webp"}), 500 * KB),
    "document": MediaRule(None, 100 * MB),
})
# Voice notes WhatsApp plays inline are Ogg/Opus; mpeg/mp4 voice notes are accepted and sent as
# they are (not converted yet), and may not play on every phone.

_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "audio/mp3": "audio/mpeg",
    "audio/mpeg3": "audio/mpeg",
    "audio/x-mp3": "audio/mpeg",
    "audio/x-mpeg": "audio/mpeg",
    "audio/m4a": "audio/mp4",
    "audio/x-m4a": "audio/mp4",
    "audio/x-aac": "audio/aac",
    "audio/aacp": "audio/aac",
    "audio/x-amr": "audio/amr",
    "audio/x-ogg": "audio/ogg",
    "application/ogg": "audio/ogg",
    "video/3gp": "video/3gpp",
    "audio/x-wav": "audio/wav",
    "audio/wave": "audio/wav",
    "application/x-pdf": "application/pdf",
}
# Declared types that say nothing about the content.
_GENERIC = frozenset({OCTET_STREAM, "binary/octet-stream", "application/unknown"})
_MIME_RE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")
_ZIP_BASED = re.compile(
    r"^application/(.+\+zip|vnd\.openxmlformats-officedocument\..+|vnd\.oasis\.opendocument\..+"
    r"|vnd\.ms-.+\.macroenabled\.12|java-archive|vnd\.android\.package-archive)$"
)
# A declared type may refine a sniffed one only within the same container: an MP4 (ISO BMFF)
# file holding only sound is audio/mp4, a ZIP may be an Office document.
_REFINES: Mapping[str, frozenset[str]] = MappingProxyType({
    "video/mp4": frozenset({"audio/mp4", "video/3gpp"}),
})
_ISO_BMFF_BRANDS = {
    b"M4A ": "audio/mp4", b"M4B ": "audio/mp4", b"F4A ": "audio/mp4", b"F4B ": "audio/mp4",
    b"3gp": "video/3gpp", b"3gg": "video/3gpp", b"3g2": "video/3gpp2", b"qt  ": "video/quicktime",
}
_EXTENSIONS = mimetypes.MimeTypes()  # Python's own table only: no /etc/mime.types drift

_SAFE_PUNCTUATION = frozenset("._-()+,=@")
_MAX_NAME_BYTES = 120
_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


def normalize_mime(value: str | None) -> str | None:
    """``"Image/JPG; q=1"`` -> ``"image/jpeg"``; None for an empty or malformed type."""
    if not value:
        return None
    mime = value.split(";", 1)[0].strip().lower()
    mime = _ALIASES.get(mime, mime)
    return mime if _MIME_RE.match(mime) else None


def _sniffable() -> frozenset[str]:
    found = {normalize_mime(t.mime) for t in _FILETYPE_TYPES}
    for rule in RULES.values():
        found.update(rule.mime_types or ())
    found.update(_ISO_BMFF_BRANDS.values())
    return frozenset(m for m in found if m and m not in _GENERIC)


# Types the sniffer recognises: a file claiming one of these whose bytes match nothing is lying.
SNIFFABLE = _sniffable()


def _sniff(data: bytes) -> str | None:
    """The type the bytes show, or None."""
    head = bytes(data[:8192])
    if not head:
        return None
    kind = filetype.guess(head)
    mime = normalize_mime(kind.mime) if kind is not None else None
    if head[4:8] == b"ftyp":  # ISO BMFF: the major brand tells MP4, M4A, 3GP and QuickTime apart
        brand = head[8:12]
        mime = _ISO_BMFF_BRANDS.get(brand) or _ISO_BMFF_BRANDS.get(brand[:3]) or mime
    if mime is None and len(head) > 1 and head[0] == 0xFF and head[1] & 0xE6 == 0xE2:
        mime = "audio/mpeg"  # an MPEG audio layer III frame without an ID3 tag
    return None if mime in _GENERIC else mime


def _refines(declared: str, sniffed: str) -> bool:
    if sniffed == "application/zip":
        return bool(_ZIP_BASED.match(declared))
    return declared in _REFINES.get(sniffed, frozenset())


def sniff_mime(data: bytes, declared: str | None, filename: str | None) -> str:
    """The MIME type of ``data``, from its magic numbers first.

    A declared type (or, after it, the file name's extension) is used only where it refines
    what the bytes show (an audio-only MP4, an Office file in a ZIP), or when the bytes match
    nothing the sniffer knows and the claim is not one it would have recognised (text, CSV,
    SVG…). A claim the bytes contradict is ignored: unknown bytes become
    ``application/octet-stream``.
    """
    sniffed = _sniff(data)
    claimed = normalize_mime(declared)
    claimed = None if claimed in _GENERIC else claimed
    if sniffed is not None:
        return claimed if claimed and _refines(claimed, sniffed) else sniffed
    guessed = normalize_mime(_EXTENSIONS.guess_type(filename, strict=False)[0]) if filename \
        else None
    for candidate in (claimed, guessed):
        if candidate and candidate not in SNIFFABLE:
            return candidate
    return OCTET_STREAM


def _describe(size: int) -> str:
    if size >= MB and size % MB == 0:
        return f"{size // MB} MB"
    if size >= KB and size % KB == 0:
        return f"{size // KB} KB"
    return f"{size} bytes"


def max_bytes_for(message_type: str, limit: int) -> int:
    """The largest file a message type accepts: WhatsApp's cap, never above ``limit`` (the
    gateway's own, ``settings.media_max_bytes``)."""
    return min(RULES[message_type].max_bytes, limit)


def check_media(message_type: str, mime_type: str, size: int, field: str,
                *, limit: int) -> None:
    """Refuse (422 naming ``field``) a file a ``message_type`` message cannot carry.

    ``mime_type`` should come from :func:`sniff_mime`; ``limit`` is the gateway's own cap.
    """
    rule = RULES.get(message_type)
    if rule is None:
        raise ValidationFailed.field(field, f"{message_type!r} messages carry no media")
    mime = normalize_mime(mime_type) or OCTET_STREAM
    if rule.mime_types is not None and mime not in rule.mime_types:
        allowed = ", ".join(sorted(rule.mime_types))
        raise ValidationFailed.field(
            field, f"a {message_type} must be one of {allowed}; this file is {mime}"
        )
    if size <= 0:
        raise ValidationFailed.field(field, "the file is empty")
    cap = max_bytes_for(message_type, limit)
    if size > cap:
        raise ValidationFailed.field(
            field, f"too large: a {message_type} may have at most {_describe(cap)} "
                   f"({cap} bytes); this file has {size} bytes"
        )


# A media message whose type the file decides (see ``media_kind``): the products whose "send
# media" takes any file.
ANY_MEDIA = "media"


def media_kind(mime_type: str, size: int, limit: int) -> str:
    """The message type that shows a file best: an image or a video WhatsApp shows inline
    when the file is one (within that type's size), anything else a document (which keeps
    its caption and name)."""
    mime = normalize_mime(mime_type) or OCTET_STREAM
    for kind in ("image", "video"):
        allowed = RULES[kind].mime_types or frozenset()
        if mime in allowed and 0 < size <= max_bytes_for(kind, limit):
            return kind
    return "document"


def safe_filename(name: str | None, default: str = "file") -> str:
    """A file name safe as the last part of an S3 key and in a download header.

    Keeps the last path part only (``"../../etc/passwd"`` -> ``"passwd"``), folds look-alike
    characters (NFKC), keeps letters, digits and marks of any script plus ``._-()+,=@``,
    turns everything else (spaces, controls, bidi overrides, separators) into ``_``, drops
    leading dots, and caps the length at 120 UTF-8 bytes keeping the extension.
    """
    if not name:
        return default
    text = unicodedata.normalize("NFKC", name)
    text = re.split(r"[/\\]", text)[-1]
    kept = "".join(
        ch if unicodedata.category(ch)[0] in "LNM" or ch in _SAFE_PUNCTUATION else "_"
        for ch in text
    )
    kept = re.sub(r"_{2,}", "_", kept).lstrip("._-").rstrip("._- ")
    if not kept:
        return default
    stem, dot, extension = kept.rpartition(".")
    if not dot or not stem or len(extension) > 16:
        stem, extension = kept, ""
    suffix = f".{extension}" if extension else ""
    budget = _MAX_NAME_BYTES - len(suffix.encode())
    while len(stem.encode()) > budget:
        stem = stem[:-1]
    stem = stem.rstrip("._- ")
    return f"{stem}{suffix}" if stem else default


def media_key(tenant_id: str, message_id: str, filename: str | None) -> str:
    """``media/<tenant>/<message id>/<safe file name>``: every key starts with its tenant."""
    for label, value in (("tenant id", tenant_id), ("message id", message_id)):
        if not _ID_RE.match(value or ""):
            raise ValueError(f"{label} {value!r} cannot be part of a media key")
    return f"media/{tenant_id}/{message_id}/{safe_filename(filename)}"


def media_prefix(tenant_id: str) -> str:
    """The key prefix under which all of a tenant's media live."""
    if not _ID_RE.match(tenant_id or ""):
        raise ValueError(f"tenant id {tenant_id!r} cannot be part of a media key")
    return f"media/{tenant_id}/"
