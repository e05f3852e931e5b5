"""The files the gateway serves itself (the docs page's and the console's): a name of the
allowed set, with its type, or a 404."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from chalice import Response

from chalicelib.domain.errors import NotFound


def served_file(name: str, types: Mapping[str, str], read: Callable[[str], bytes | str | None],
                headers: Mapping[str, str]) -> Response:
    """``name``'s content from ``read`` if ``types`` allows it, with its Content-Type."""
    body = read(name) if name in types else None
    if body is None:
        raise NotFound("no such file")
    return Response(body=body, status_code=200,
                    headers={"Content-Type": types[name], **headers})
