"""vCards for contact messages."""

from __future__ import annotations


def _escape(value: str) -> str:
    return (value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
            .replace("\n", "\\n"))


def vcard(name: str, phone: str | None) -> str:
    """A vCard 3.0 with the WhatsApp id (``waid``) WhatsApp uses to offer "Message"."""
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:{_escape(name)}"]
    if phone:
        digits = "".join(ch for ch in phone if ch.isdigit())
        lines.append(f"TEL;type=CELL;type=VOICE;waid={digits}:+{digits}")
    lines.append("END:VCARD")
    return "\n".join(lines)
