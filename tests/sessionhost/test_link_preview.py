"""Link preview cards: Open Graph from the page, fetched under the one SSRF policy (nothing
connects beyond loopback: the socket guard of ``tests/adapters/test_safe_fetch.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("neonize")

from chalicelib.adapters.safe_fetch import SafeFetcher
from chalicelib.sessionhost.link_preview import MAX_IMAGE_BYTES, MAX_PAGE_BYTES, LinkPreviewer
from tests.adapters.test_safe_fetch import Sockets, guard_sockets
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
    "/metadata-image": (b'<html><head><meta property="og:title" content="Trap">'
                        b'<meta property="og:image" content="http://169.254.169.254/a.jpg">'
                        b"</head></html>", "text/html"),
}


@pytest.fixture(autouse=True)
def sockets(monkeypatch: pytest.MonkeyPatch) -> Sockets:
    return guard_sockets(monkeypatch)


@pytest.fixture
def site() -> Iterator[str]:
    with static_site(PAGES) as base:
        yield base



def previewer(allow_private: bool = False) -> LinkPreviewer:
    """As the host builds it: both fetchers under the SSRF policy."""
    return LinkPreviewer(SafeFetcher(5.0, MAX_PAGE_BYTES, allow_private=allow_private),
                         SafeFetcher(5.0, MAX_IMAGE_BYTES, allow_private=allow_private))

def test_open_graph_card_with_its_image(site: str):
    card = previewer(allow_private=True)(f"{site}/article")
    assert card is not None
    assert (card.title, card.description) == ("Spring menu", "Seven new dishes")
    assert card.thumbnail == JPEG


def test_the_title_tag_is_the_fallback(site: str):
    card = previewer(allow_private=True)(f"{site}/plain")
    assert card is not None and card.title == "Just a title" and card.thumbnail is None


def test_no_card_for_non_html_missing_pages_and_private_addresses(site: str, sockets: Sockets):
    assert previewer(allow_private=True)(f"{site}/file.pdf") is None
    assert previewer(allow_private=True)(f"{site}/missing") is None
    connected = len(sockets.connected)
    assert previewer()(f"{site}/article") is None  # production: loopback is refused
    assert len(sockets.connected) == connected


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/",
                                 "http://2852039166/", "http://[::ffff:169.254.169.254]/",
                                 "http://[::127.0.0.1]/", "http://example.com@169.254.169.254/"])
def test_no_card_and_no_connection_for_refused_addresses(sockets: Sockets, url: str):
    assert previewer(allow_private=True)(url) is None
    assert previewer()(url) is None
    assert sockets.connected == []


def test_an_image_on_a_refused_address_is_left_out_even_with_private_allowed(
        site: str, sockets: Sockets):
    card = previewer(allow_private=True)(f"{site}/metadata-image")
    assert card is not None and card.title == "Trap" and card.thumbnail is None
    assert sockets.connected == ["127.0.0.1"]  # the page only
