"""End to end over real HTTP against the local stack: a WAChat customer changes the base URL
and the key; its sends reach read (R) in WAChat's letters, its media go, and inbound messages
reach its inbox push URL as a form."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests

from chalicelib.devstack.launch import StackProcess, wait_until
from tests.e2e.stacks import running_stack
from tests.samples import PDF, b64, png

pytestmark = pytest.mark.e2e
PASSWORD = "wagate-e2e-wachat"
DEST = "6281234567890"
WAIT_S = 20


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    yield from running_stack(tmp_path_factory, "wachat", PASSWORD,
                             WAGATE_PREFIX="wagate-e2e-wachat")


class Inbox:
    """The customer's push URL (a form receiver, answering 200) and a file it serves."""

    def __init__(self) -> None:
        self.posts: list[tuple[dict[str, str], str]] = []
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fields = {k: v[0] for k, v in parse_qs(body.decode(),
                                                       keep_blank_values=True).items()}
                inbox.posts.append((fields, self.headers.get("Content-Type", "")))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:
                image = png()
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(image)))
                self.end_headers()
                self.wfile.write(image)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True,
                         kwargs={"poll_interval": 0.05}).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_wachat_customer_sends_and_gets_its_inbox_over_http(stack: StackProcess) -> None:
    native = stack.login(PASSWORD)
    v1 = stack.base
    key = native.post(f"{v1}/api-keys", timeout=5, json={
        "name": "wachat", "scopes": ["sessions:read", "messages:send", "messages:read"]}
    ).json()["key"]
    sid = stack.pair(native, "shop")  # WAChat pairs in its dashboard: the native API does
    number = native.get(f"{v1}/sessions/{sid}", timeout=5).json()["phone"].lstrip("+")
    inbox = Inbox()
    try:
        hook = native.post(f"{v1}/webhooks", timeout=5,
                           json={"url": f"{inbox.url}/inbox", "format": "wachat"})
        assert hook.status_code == 201, hook.text
        base = stack.base.removesuffix("/v1") + "/compat/wachat/wachat_api/1.0"
        h = {"Accept": "application/json", "APIKey": key}

        me = requests.get(f"{base}/auth/api_key", headers=h, timeout=5).json()
        assert me["error"] is False and set(me["data"]) == {"userid", "idPerson", "idClient"}
        sent = requests.post(f"{base}/message", headers=h, timeout=5, json={
            "queue": "shop", "destination": DEST, "message": "Message text"})
        assert sent.status_code == 201, sent.text
        ref = sent.json()["data"]["ref_no"]
        media = requests.post(f"{base}/media", headers=h, timeout=10, json={
            "queue": number, "destination": f"+{DEST}", "caption": "Caption text",
            "media_url": f"{inbox.url}/image_name.png"})
        assert media.status_code == 201, media.text
        document = requests.post(f"{base}/media", headers=h, timeout=10, json={
            "queue": sid, "destination": DEST, "media_base64": b64(PDF),
            "file_name": "invoice.pdf"})
        assert document.status_code == 201, document.text

        def status(ref_no: str) -> dict[str, Any]:
            answer = requests.get(f"{base}/status/{ref_no}", headers=h, timeout=5)
            assert answer.status_code == 200, answer.text
            return answer.json()["data"]  # type: ignore[no-any-return]

        for ref_no in (ref, media.json()["data"]["ref_no"], document.json()["data"]["ref_no"]):
            read = wait_until(lambda r=ref_no: (d := status(r))["status"] == "R" and d, WAIT_S,
                              "the message to be read", 0.2)
            assert read["sent_date"] and read["delivered_date"] and read["read_date"]
        balance = requests.get(f"{base}/sender/{number}", headers=h, timeout=5).json()["data"]
        assert balance["name"] == "shop" and balance["counter"] == 3

        native.post(f"{v1}/sandbox/sessions/{sid}/inbound", timeout=5,
                    json={"from": "+4915112345678", "text": "Halo, ada stok?"})
        wait_until(lambda: inbox.posts, WAIT_S, "the inbox push", 0.2)
        fields, content_type = inbox.posts[0]
        assert content_type == "application/x-www-form-urlencoded"
        assert fields["gateway_number"] == number and fields["originator"] == "4915112345678"
        assert fields["msg"] == "Halo, ada stok?" and fields["id"] and fields["receive_date"]
        assert len(inbox.posts) == 1  # inbound messages only: no status pushes
        bad = requests.post(f"{base}/message", headers=h, timeout=5, json={"queue": "shop"})
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == \
            ["body", "destination"]
    finally:
        inbox.close()
