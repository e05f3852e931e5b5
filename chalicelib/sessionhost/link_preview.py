"""Link preview cards for texts sent through real WhatsApp: the page's Open Graph title,
description and image, small and bounded, fetched through the fetchers it is given (the host
gives it ``safe_fetch``'s, under the one SSRF policy)."""

from __future__ import annotations

import logging
from html.parser import HTMLParser
from urllib.parse import urljoin

from chalicelib.domain.errors import ValidationFailed
from chalicelib.services.ports import Fetcher
from chalicelib.sessionhost.engines.neonize.convert import LinkPreview

log = logging.getLogger(__name__)
MAX_PAGE_BYTES = 512 * 1024
MAX_IMAGE_BYTES = 300 * 1024


class _OpenGraph(HTMLParser):
    """Collects ``og:*`` meta properties and the ``<title>`` of a page's head."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.properties: dict[str, str] = {}
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "meta":
            key = values.get("property") or values.get("name") or ""
            if key.startswith(("og:", "twitter:")) and values.get("content"):
                self.properties.setdefault(key, values["content"] or "")
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


class LinkPreviewer:
    """``NeonizeEngine(link_preview=LinkPreviewer(...))``: a card, or None when the page
    cannot be fetched safely or says nothing useful."""

    def __init__(self, page: Fetcher, image: Fetcher) -> None:
        """``page`` fetches up to ``MAX_PAGE_BYTES``, ``image`` up to ``MAX_IMAGE_BYTES``,
        both under the SSRF policy (``adapters.safe_fetch.SafeFetcher``)."""
        self._page = page
        self._image = image

    def __call__(self, url: str) -> LinkPreview | None:
        try:
            page, content_type, _ = self._page.fetch(url, "link")
        except ValidationFailed as exc:
            log.info("no preview for %s: %s", url, exc.message)
            return None
        if content_type and "html" not in content_type:
            return None
        parser = _OpenGraph()
        parser.feed(page.decode("utf-8", "replace"))
        og = parser.properties
        title = (og.get("og:title") or og.get("twitter:title") or parser.title).strip()
        if not title:
            return None
        return LinkPreview(url=url, title=title[:256],
                           description=(og.get("og:description") or "").strip()[:512] or None,
                           thumbnail=self._thumbnail(url, og.get("og:image")))

    def _thumbnail(self, page_url: str, image: str | None) -> bytes | None:
        if not image:
            return None
        try:
            data, content_type, _ = self._image.fetch(urljoin(page_url, image), "link.image")
        except ValidationFailed:
            return None
        return data if content_type in ("image/jpeg", "image/jpg") else None
