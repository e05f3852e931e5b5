"""Link preview cards: Open Graph from the page, fetched SSRF-safe."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("neonize")

from chalicelib.sessionhost.link_preview import LinkPreviewer
from tests.conftest import static_site

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
PAGES = {
    "/article": (b"<html><head><title>Fallback</title>"
                 b'<meta property="og:title" content="Spring menu">'
                 b'<meta property="og:description" content="Seven new dishes">'
                 b'<meta property="og:image" content="/cover.jpg"></head></html>', "text/html"),
    "/plain": (b"<html><head><title> Just a title </title></head></html>", "text/html"),
    "/cover.jpg": (JPEG, "image/jpeg"),
    "/file.pdf": (b"%PDF-1.4", "application/pdf"),
}


@pytest.fixture
def site() -> Iterator[str]:
    with static_site(PAGES) as base:
        yield base


def test_open_graph_card_with_its_image(site: str):
    card = LinkPreviewer(allow_private=True)(f"{site}/article")
    assert card is not None
    assert (card.title, card.description) == ("Spring menu", "Seven new dishes")
    assert card.thumbnail == JPEG


def test_the_title_tag_is_the_fallback(site: str):
    card = LinkPreviewer(allow_private=True)(f"{site}/plain")
    assert card is not None and card.title == "Just a title" and card.thumbnail is None


def test_no_card_for_non_html_missing_pages_and_private_addresses(site: str):
    assert LinkPreviewer(allow_private=True)(f"{site}/file.pdf") is None
    assert LinkPreviewer(allow_private=True)(f"{site}/missing") is None
    assert LinkPreviewer()(f"{site}/article") is None  # production: loopback is refused
