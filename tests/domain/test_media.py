"""Media rules (``chalicelib.domain.media``): sniffing real bytes, caps per message type, file
names and keys."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest
import segno

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.media import (
    KB,
    MB,
    OCTET_STREAM,
    RULES,
    check_media,
    max_bytes_for,
    media_key,
    media_kind,
    normalize_mime,
    safe_filename,
    sniff_mime,
)

# -- tiny real files ------------------------------------------------------------------------------

# A 1x1 JPEG and a 1x1 lossless WebP, as Pillow writes them (both decode).
JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb00430050373c463c32504641465a55505f78c88278"
    "6e6e78f5afb991c8ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
    "ffffffdb004301555a5a786978eb8282ebffffffffffffffffffffffffffffffffffffffffffffffffffffff"
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffc0001108"
    "0001000103012200021101031101ffc4001f0000010501010101010100000000000000000102030405060708"
    "090a0bffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114"
    "328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a4344454647"
    "48494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798"
    "999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5"
    "e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffc4001f0100030101010101010101010000000000000102030405060708"
    "090a0bffc400b51100020102040403040705040400010277000102031104052131061241510761711322"
    "328108144291a1b1c109233352f0156272d10a162434e125f11718191a262728292a35363738393a434445"
    "464748494a535455565758595a636465666768696a737475767778797a82838485868788898a9293949596"
    "9798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae2e3e4e5"
    "e6e7e8e9eaf2f3f4f5f6f7f8f9faffda000c03010002110311003f008a8a28a83a0fffd9"
)
WEBP = bytes.fromhex(
    "524946461e000000574542505650384c110000002f0000000007508f22d7a3ff8188e87f0000"
)


def png() -> bytes:
    buffer = io.BytesIO()
    segno.make("wagate").save(buffer, kind="png")
    return buffer.getvalue()


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def iso_bmff(major: bytes, *compatible: bytes) -> bytes:
    """An ISO BMFF file: ftyp (major brand, minor version, compatible brands), empty moov
    header and mdat."""
    ftyp = _box(b"ftyp", major + struct.pack(">I", 0) + b"".join(compatible or (major,)))
    mvhd = _box(b"mvhd", bytes(4) + bytes(8) + struct.pack(">II", 1000, 0) + bytes(80))
    return ftyp + _box(b"moov", mvhd) + _box(b"mdat", b"\x00" * 16)


def _ogg_crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def _ogg_page(packet: bytes, sequence: int, flags: int) -> bytes:
    header = (b"OggS" + bytes([0, flags]) + struct.pack("<qII", 0, 0x5747, sequence)
              + b"\x00\x00\x00\x00" + bytes([1, len(packet)]))
    page = header + packet
    return page[:22] + struct.pack("<I", _ogg_crc(page)) + page[26:]


def ogg_opus() -> bytes:
    """Ogg pages holding an Opus stream's identification and comment headers (RFC 7845)."""
    head = b"OpusHead" + bytes([1, 1]) + struct.pack("<HIhB", 312, 48000, 0, 0)
    tags = b"OpusTags" + struct.pack("<I", 6) + b"wagate" + struct.pack("<I", 0)
    return _ogg_page(head, 0, 0x02) + _ogg_page(tags, 1, 0x00)


PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return buffer.getvalue()


# -- sniffing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "expected"), [
    (png(), "image/png"),
    (JPEG, "image/jpeg"),
    (WEBP, "image/webp"),
    (iso_bmff(b"isom", b"isom", b"mp42"), "video/mp4"),
    (iso_bmff(b"M4A ", b"M4A ", b"isom"), "audio/mp4"),
    (iso_bmff(b"3gp5", b"3gp5", b"isom"), "video/3gpp"),
    (ogg_opus(), "audio/ogg"),
    (PDF, "application/pdf"),
    (b"#!AMR\n" + bytes(32), "audio/amr"),
    (b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(64), "audio/mpeg"),
    (bytes.fromhex("fffa9064") + bytes(64), "audio/mpeg"),  # a bare MPEG-1 layer III frame
    (bytes.fromhex("fff15080") + bytes(64), "audio/aac"),  # ADTS
    (docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
], ids=["png", "jpeg", "webp", "mp4", "m4a", "3gp", "ogg-opus", "pdf", "amr", "mp3-id3",
        "mp3-frame", "aac", "docx"])
def test_sniffs_real_bytes_without_any_hint(data: bytes, expected: str) -> None:
    assert sniff_mime(data, None, None) == expected


@pytest.mark.parametrize("declared", ["image/png", "application/pdf", "video/mp4", "text/plain"])
def test_a_declared_type_that_contradicts_the_bytes_is_ignored(declared: str) -> None:
    assert sniff_mime(JPEG, declared, "photo.png") == "image/jpeg"


def test_a_file_name_that_contradicts_the_bytes_is_ignored() -> None:
    assert sniff_mime(PDF, None, "invoice.jpg") == "application/pdf"


def test_a_declared_type_may_refine_the_same_container() -> None:
    mp4 = iso_bmff(b"isom", b"isom", b"mp42")
    assert sniff_mime(mp4, "audio/mp4", None) == "audio/mp4"  # sound only, in an MP4
    assert sniff_mime(mp4, "image/png", None) == "video/mp4"
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert sniff_mime(plain_zip(), xlsx, None) == xlsx
    assert sniff_mime(plain_zip(), "image/webp", None) == "application/zip"


def test_unknown_bytes_fall_back_to_the_declared_type_then_the_extension() -> None:
    csv = b"name,phone\nAda,+4915112345678\n"
    assert sniff_mime(csv, "text/csv; charset=utf-8", "x.bin") == "text/csv"
    assert sniff_mime(csv, None, "contacts.csv") == "text/csv"
    assert sniff_mime(csv, "application/octet-stream", "contacts.csv") == "text/csv"
    assert sniff_mime(csv, None, None) == OCTET_STREAM
    assert sniff_mime(csv, None, "README") == OCTET_STREAM


@pytest.mark.parametrize("claim", [("image/png", None), (None, "photo.jpg"), ("audio/ogg", None),
                                   ("video/mp4", "clip.mp4"), ("application/pdf", None)])
def test_a_sniffable_type_the_bytes_do_not_show_is_not_trusted(
    claim: tuple[str | None, str | None],
) -> None:
    html = b"<html><script>alert(1)</script></html>"
    assert sniff_mime(html, *claim) == OCTET_STREAM


def test_empty_bytes_are_octet_stream() -> None:
    assert sniff_mime(b"", "image/png", "a.png") == OCTET_STREAM


@pytest.mark.parametrize(("raw", "expected"), [
    ("Image/JPG", "image/jpeg"), ("audio/ogg; codecs=opus", "audio/ogg"),
    ("audio/mp3", "audio/mpeg"), ("audio/x-m4a", "audio/mp4"), (" video/3gp ", "video/3gpp"),
    ("", None), (None, None), ("not a type", None), ("text/html\r\nX: y", None),
])
def test_normalize_mime(raw: str | None, expected: str | None) -> None:
    assert normalize_mime(raw) == expected


# -- caps per message type ------------------------------------------------------------------------

BIG = 200 * MB  # a settings limit above every WhatsApp cap


@pytest.mark.parametrize(("message_type", "mime", "cap"), [
    ("image", "image/jpeg", 5 * MB), ("image", "image/png", 5 * MB),
    ("image", "image/webp", 5 * MB),
    ("video", "video/mp4", 16 * MB), ("video", "video/3gpp", 16 * MB),
    ("audio", "audio/aac", 16 * MB), ("audio", "audio/mp4", 16 * MB),
    ("audio", "audio/mpeg", 16 * MB), ("audio", "audio/amr", 16 * MB),
    ("audio", "audio/ogg", 16 * MB),
    ("voice", "audio/ogg", 16 * MB), ("voice", "audio/opus", 16 * MB),
    ("voice", "audio/mpeg", 16 * MB), ("voice", "audio/mp4", 16 * MB),
    ("sticker", "image/webp", 500 * KB),
    ("document", "application/pdf", 100 * MB), ("document", "text/csv", 100 * MB),
    ("document", "application/zip", 100 * MB),
])
def test_each_type_takes_its_formats_up_to_its_cap(message_type: str, mime: str,
                                                   cap: int) -> None:
    check_media(message_type, mime, cap, "media", limit=BIG)
    with pytest.raises(ValidationFailed) as raised:
        check_media(message_type, mime, cap + 1, "media", limit=BIG)
    assert "too large" in raised.value.message
    assert raised.value.details == [{"field": "media", "message": raised.value.details[0][
        "message"]}]


@pytest.mark.parametrize(("message_type", "mime"), [
    ("image", "image/gif"), ("image", "application/pdf"), ("video", "video/quicktime"),
    ("video", "video/webm"), ("audio", "audio/wav"), ("voice", "audio/aac"),
    ("sticker", "image/png"), ("image", OCTET_STREAM),
])
def test_each_type_refuses_other_formats_naming_the_field(message_type: str, mime: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        check_media(message_type, mime, 1000, "media.url", limit=BIG)
    error = raised.value
    assert error.status == 422
    assert error.details[0]["field"] == "media.url"
    assert mime in error.message and "must be one of" in error.message


def test_documents_are_capped_by_the_settings_limit() -> None:
    with pytest.raises(ValidationFailed, match="too large"):
        check_media("document", "application/pdf", 16 * MB + 1, "media", limit=16 * MB)
    check_media("document", "application/pdf", 16 * MB, "media", limit=16 * MB)
    assert max_bytes_for("document", 16 * MB) == 16 * MB
    assert max_bytes_for("sticker", 16 * MB) == 500 * KB


def test_mime_parameters_and_aliases_are_accepted() -> None:
    check_media("voice", "audio/ogg; codecs=opus", 10, "media", limit=BIG)
    check_media("image", "image/jpg", 10, "media", limit=BIG)


@pytest.mark.parametrize("size", [0, -1])
def test_empty_files_are_refused(size: int) -> None:
    with pytest.raises(ValidationFailed, match="empty"):
        check_media("image", "image/png", size, "media", limit=BIG)


def test_non_media_types_are_refused() -> None:
    with pytest.raises(ValidationFailed, match="carry no media"):
        check_media("text", "text/plain", 10, "type", limit=BIG)


@pytest.mark.parametrize(("mime", "size", "kind"), [
    ("image/png", 10, "image"), ("image/jpg", 5 * MB, "image"),
    ("image/png", 5 * MB + 1, "document"), ("video/mp4", 16 * MB, "video"),
    ("video/quicktime", 10, "document"), ("audio/mpeg", 10, "document"),
    ("application/pdf", 10, "document"), ("image/webp", 10, "image"),
])
def test_any_file_goes_as_the_type_that_shows_it_best(mime: str, size: int, kind: str) -> None:
    assert media_kind(mime, size, limit=BIG) == kind
    check_media(kind, mime, size, "media", limit=BIG)  # and that type takes it


def test_every_media_message_type_has_a_rule() -> None:
    from chalicelib.domain.content import MEDIA_TYPES

    assert set(RULES) == MEDIA_TYPES


# -- names and keys -------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    ("report.pdf", "report.pdf"),
    ("../../etc/passwd", "passwd"),
    ("..\\..\\windows\\win.ini", "win.ini"),
    ("/abs/path/photo.JPG", "photo.JPG"),
    ("..", "file"), (".", "file"), ("", "file"), (None, "file"), ("///", "file"),
    (".bashrc", "bashrc"),
    ("my summer photo (1).jpeg", "my_summer_photo_(1).jpeg"),
    ("résumé.pdf", "résumé.pdf"),
    ("re\u0301sume\u0301.pdf", "résumé.pdf"),  # decomposed accents are composed (NFKC)
    ("文件.pdf", "文件.pdf"),
    ("Отчёт 2024.docx", "Отчёт_2024.docx"),
    ("invoice\u202efdp.exe", "invoice_fdp.exe"),  # right-to-left override
    ("a\x00b\nc\r.txt", "a_b_c.txt"),
    ("evil\uff0f..\uff0fpasswd", "passwd"),  # fullwidth solidus folds to "/"
    ("<script>.html", "script.html"),
    ("name.", "name"),
])
def test_safe_filename(raw: str | None, expected: str) -> None:
    assert safe_filename(raw) == expected


def test_safe_filename_caps_the_length_and_keeps_the_extension() -> None:
    name = safe_filename("é" * 500 + ".pdf")
    assert name.endswith(".pdf")
    assert len(name.encode()) <= 120


def test_safe_filename_never_yields_a_path() -> None:
    for raw in ("../x", "a/../../b", "..\\x", "%2e%2e/x", "./.", "x/./y/.."):
        name = safe_filename(raw)
        assert "/" not in name and "\\" not in name
        assert name not in (".", "..") and not name.startswith(".")


def test_media_key_starts_with_the_tenant() -> None:
    assert media_key("T1", "01JMSG", "../../etc/passwd") == "media/T1/01JMSG/passwd"
    assert media_key("T1", "01JMSG", None) == "media/T1/01JMSG/file"


@pytest.mark.parametrize(("tenant", "message"), [("", "m"), ("a/b", "m"), ("t", "../x"),
                                                 ("..", "m"), ("t", "")])
def test_media_key_refuses_ids_that_could_escape_the_prefix(tenant: str, message: str) -> None:
    with pytest.raises(ValueError, match="media key"):
        media_key(tenant, message, "f.txt")
