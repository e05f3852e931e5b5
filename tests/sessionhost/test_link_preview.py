"""Link preview cards: Open Graph from the page, fetched SSRF-safe."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

pytest.importorskip("neonize")

from chalicelib.sessionhost.link_preview import LinkPreviewer

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
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body, mime = PAGES.get(self.path, (b"", "text/plain"))
            self.send_response(200 if self.path in PAGES else 404)
            self.send_header("Content-Type", mime)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


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
