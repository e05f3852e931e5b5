"""Bounded text: the one way a free-form string is limited, in UTF-8 bytes (what storage
counts) and in characters (what WhatsApp counts), and kept to one line where it names
something."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

# Control characters, lone surrogates and line or paragraph separators: never in a name.
_NOT_IN_A_NAME = frozenset({"Cc", "Cs", "Zl", "Zp"})


def utf8_bytes(value: str) -> int:
    return len(value.encode("utf-8", "surrogatepass"))


def clip(value: str, max_bytes: int) -> str:
    """``value`` cut to at most ``max_bytes`` of UTF-8, never inside a character."""
    return value.encode("utf-8", "ignore")[:max_bytes].decode("utf-8", "ignore")


def bounded(max_bytes: int, max_chars: int | None = None, min_chars: int = 0,
            one_line: bool = False) -> Any:
    """A string type of at most ``max_bytes`` bytes of UTF-8 (and ``max_chars`` characters);
    ``one_line``: no control characters or line breaks (names, ids, codes)."""

    def check(value: str) -> str:
        if utf8_bytes(value) > max_bytes:
            raise PydanticCustomError("too_many_bytes", "may be at most {max_bytes} bytes (UTF-8)",
                                      {"max_bytes": max_bytes})
        if one_line and any(unicodedata.category(c) in _NOT_IN_A_NAME for c in value):
            raise PydanticCustomError("not_one_line",
                                      "may not contain control characters or line breaks")
        return value

    return Annotated[str, Field(min_length=min_chars, max_length=max_chars), AfterValidator(check)]
