"""The console in a real browser: headless Chromium (Debian's ``chromium`` and
``chromium-driver``) driven by selenium against the real local stack (``make run``'s program),
as a new user would click through it. One stack and one browser for the module; every wait is
bounded (WebDriverWait), none is a fixed sleep."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from chalicelib.devstack.launch import StackProcess, free_port, wait_until
from tests.console import browser
from tests.e2e.stacks import running_stack

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(
    not browser.available(), reason=f"no Chromium here ({browser.CHROMIUM}, "
                                     f"{browser.CHROMEDRIVER}): apt-get install chromium "
                                     "chromium-driver")]
if browser.available():
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver

PASSWORD = "console-test-pass"
CUSTOMER = "+14155552671"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    # The sandbox's QR code rotates every 3 s here (8 rotations: 24 s to scan one).
    yield from running_stack(tmp_path_factory, "console", PASSWORD,
                             WAGATE_SANDBOX_QR_ROTATE_SECONDS="3")


@pytest.fixture(scope="module")
def driver() -> Iterator[WebDriver]:
    chromium = browser.chromium()
    try:
        yield chromium
    finally:
        chromium.quit()


@pytest.fixture
def console(stack: StackProcess, driver: WebDriver) -> Iterator[str]:
    """The console's URL, the browser logged in as the admin; afterwards, the page broke no
    rule of its Content-Security-Policy (no inline script or style, nothing from elsewhere)
    and threw no uncaught error."""
    url = f"http://127.0.0.1:{stack.ports[0]}/console"
    browser.log_in(driver, url, "admin", PASSWORD)
    yield url
    assert browser.page_errors(driver) == []


def _api(stack: StackProcess) -> requests.Session:
    return stack.login(PASSWORD)


def _working_session(stack: StackProcess, name: str) -> str:
    """A session paired through the API (for pages that need one), its id."""
    return stack.pair(_api(stack), name)


def test_pair_a_session_by_its_qr_code_then_send_and_see_the_message_read(
        console: str, driver: WebDriver):
    browser.type_into(driver, "#session-name", "shop")
    browser.click(driver, "#session-create")
    # The pairing page shows the QR code: a PNG fetched with the token, shown as a blob: URL.
    image = browser.find(driver, "#qr-image")
    browser.wait(driver).until(lambda d: d.execute_script(
        "const i = document.getElementById('qr-image'); return i && i.complete && "
        "i.naturalWidth > 0 && i.src.startsWith('blob:')"))
    first = image.get_attribute("src")
    assert "token" not in first
    browser.wait(driver).until(lambda d: d.execute_script(  # it rotates: a new code by itself
        "const i = document.getElementById('qr-image'); return i.src !== arguments[0] && "
        "i.complete && i.naturalWidth > 0", first))
    browser.find(driver, "#pairing-phone")  # the pairing-code option is offered beside it
    browser.type_into(driver, "#scan-phone", "+14155550100")
    browser.click(driver, "#simulate-scan")
    assert browser.text_appears(driver, "#connected", "Connected as +14155550100").is_displayed()

    browser.click(driver, "#send-link")
    browser.type_into(driver, "#send-to", CUSTOMER)
    browser.type_into(driver, "#send-text", "Hello from the console")
    browser.click(driver, "#send-submit")
    browser.text_appears(driver, "#message-status", "read")
    steps = driver.find_elements(By.CSS_SELECTOR, "#timeline li")
    assert [s.get_attribute("data-step") for s in steps] == [
        "queued", "sending", "sent", "delivered", "read"]
    assert all("done" in s.get_attribute("class") for s in steps)
    assert all(s.find_element(By.CSS_SELECTOR, "span").text[:2].isdigit() for s in steps)

    # The session's messages and chats list it; the sessions list says WORKING and live.
    driver.find_element(By.LINK_TEXT, "← Messages").click()
    browser.text_appears(driver, "tr[data-message]", "Hello from the console")
    browser.text_appears(driver, "#chats table", "Hello from the console")  # its chat too
    driver.get(console + "#/sessions")
    browser.text_appears(driver, "tr[data-session]", "WORKING")
    browser.text_appears(driver, "tr[data-session]", "live")


class _Picture(ThreadingHTTPServer):
    """A loopback web server with one PNG on it, for sending an image by its URL."""

    def __init__(self) -> None:
        import io

        import segno

        png = io.BytesIO()
        segno.make("wagate").save(png, kind="png", scale=4)
        body = png.getvalue()

        class Serve(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                return

        super().__init__(("127.0.0.1", 0), Serve)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/menu.png"


def test_an_image_by_url_is_sent_and_followed_to_read(console: str, driver: WebDriver,
                                                      stack: StackProcess):
    sid = _working_session(stack, "pictures")
    picture = _Picture()
    try:
        driver.get(f"{console}#/messages/{sid}")
        browser.find(driver, f"#send-session option[value='{sid}']")
        browser.type_into(driver, "#send-to", CUSTOMER)
        browser.find(driver, "#send-type").send_keys("Image by URL")
        browser.type_into(driver, "#send-image-url", picture.url)
        browser.type_into(driver, "#send-caption", "Our menu")
        browser.click(driver, "#send-submit")
        browser.text_appears(driver, "#message-status", "read")
        assert "image" in driver.find_element(By.TAG_NAME, "main").text
        assert "Our menu" in driver.find_element(By.TAG_NAME, "main").text
    finally:
        picture.shutdown()
        picture.server_close()


def test_a_failed_webhook_delivery_is_found_and_redelivered(console: str, driver: WebDriver):
    dead = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens there
    driver.get(console + "#/webhooks")
    browser.type_into(driver, "#webhook-url", dead)
    browser.type_into(driver, "#webhook-description", "nobody home")
    browser.click(driver, "#webhook-create")
    secret = browser.find(driver, "#webhook-secret .secret-value")
    assert secret.get_attribute("value").startswith("whsec_")  # shown once, with a copy button
    browser.text_appears(driver, "main table", dead)
    browser.press(driver, "Test", "tr[data-webhook]")
    browser.text_appears(driver, "[data-test-result]", "failed")
    browser.text_appears(driver, "[data-test-result]", "no answer")

    driver.find_element(By.LINK_TEXT, dead).click()
    browser.find(driver, "#delivery-status").send_keys("failed")
    browser.text_appears(driver, "tr[data-delivery][data-status=failed]", "webhook.test")
    browser.text_appears(driver, "tr[data-delivery][data-status=failed] .attempts", "1")
    browser.press(driver, "Redeliver", "tr[data-delivery]")
    # Delivered again: a second attempt (refused again: nothing listens), retried from here.
    browser.find(driver, "#delivery-status").send_keys("every status")
    browser.wait(driver).until(lambda d: int(d.find_element(
        By.CSS_SELECTOR, "tr[data-delivery] .attempts").text) >= 2)


def test_pair_by_code_then_stop_start_and_delete_the_session(console: str, driver: WebDriver):
    driver.get(console + "#/sessions")
    browser.type_into(driver, "#session-name", "by-code")
    browser.click(driver, "#session-create")
    browser.type_into(driver, "#pairing-phone", "+14155550111")
    browser.press(driver, "Get a pairing code", "#pairing")
    code = browser.find(driver, "#pairing-code .big-code").text
    assert len(code.replace("-", "")) == 8
    browser.press(driver, "Simulate typing the code", "#pairing")
    browser.text_appears(driver, "#connected", "Connected as +14155550111")

    browser.press(driver, "Stop", "main")
    browser.text_appears(driver, "#pairing", "stopped")
    browser.press(driver, "Start", "main")  # the pairing is kept: no QR code this time
    browser.text_appears(driver, "#connected", "Connected as +14155550111")
    browser.press(driver, "Delete", "main")
    browser.press(driver, "Really delete?", "main")
    browser.wait(driver).until(lambda d: d.current_url.endswith("#/sessions"))
    browser.find(driver, "#session-name")
    browser.wait(driver).until(lambda d: "by-code" not in d.find_element(By.TAG_NAME,
                                                                         "main").text)


def test_a_webhook_is_edited_and_its_secret_rotated(console: str, driver: WebDriver,
                                                    stack: StackProcess):
    created = _api(stack).post(f"{stack.base}/webhooks", timeout=5, json={
        "url": f"http://127.0.0.1:{free_port()}/crm", "events": ["message.*"],
        "description": "crm"}).json()
    row = f"tr[data-webhook='{created['id']}']"
    driver.get(console + "#/webhooks")
    browser.text_appears(driver, row, "crm")
    browser.press(driver, "Edit", row)
    editor = f"tr[data-webhook-edit='{created['id']}']"
    browser.type_into(driver, f"{editor} input[aria-label=Description]", "crm (new)")
    browser.type_into(driver, f"{editor} input[aria-label=Events]", "message.status, session.*")
    browser.press(driver, "Save", editor)
    browser.text_appears(driver, row, "crm (new)")
    assert "message.status, session.*" in driver.find_element(By.CSS_SELECTOR, row).text
    browser.press(driver, "Rotate secret", row)
    secret = browser.text_appears(driver, "#webhook-secret", "old secret also signs until")
    value = secret.find_element(By.CSS_SELECTOR, ".secret-value").get_attribute("value")
    assert value.startswith("whsec_") and value != created["secret"]


def test_log_out_revokes_the_token_on_the_server(console: str, driver: WebDriver,
                                                  stack: StackProcess):
    token = driver.execute_script("return sessionStorage.getItem('wagate.token')")
    assert requests.get(f"{stack.base}/auth/me", headers={"Authorization": f"Bearer {token}"},
                        timeout=5).status_code == 200
    browser.click(driver, "#logout")
    browser.find(driver, "#login-username")
    assert driver.execute_script("return sessionStorage.getItem('wagate.token')") is None
    answer = requests.get(f"{stack.base}/auth/me", headers={"Authorization": f"Bearer {token}"},
                          timeout=5)
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "token_revoked"
    assert not browser.shown(driver, "nav")


def test_keys_are_shown_once_with_a_copy_button_and_revoked(console: str, driver: WebDriver):
    driver.get(console + "#/keys")
    browser.type_into(driver, "#key-name", "ci-bot")
    browser.click(driver, "#key-create")
    key = browser.find(driver, "#key-shown .secret-value").get_attribute("value")
    assert len(key) > 20
    browser.press(driver, "Copy", "#key-shown")
    row = browser.text_appears(driver, "tr[data-key]", "ci-bot")
    assert key[-4:] in row.text and key not in driver.find_element(By.TAG_NAME, "main").text
    browser.press(driver, "Revoke", "tr[data-key]")
    browser.press(driver, "Really revoke?", "tr[data-key]")
    browser.wait(driver).until(lambda d: "ci-bot" not in d.find_element(By.TAG_NAME,
                                                                         "main").text.split(
        "Keys", 1)[-1])


def test_a_campaign_shows_its_progress_to_the_end(console: str, driver: WebDriver,
                                                  stack: StackProcess):
    sid = _working_session(stack, "campaigns")
    driver.get(console + "#/campaigns")
    browser.find(driver, f"#campaign-session option[value='{sid}']").click()
    browser.type_into(driver, "#campaign-name", "spring sale")
    browser.type_into(driver, "#campaign-text", "20% off today")
    browser.type_into(driver, "#campaign-recipients", "+14155550201\n+14155550202")
    browser.click(driver, "#campaign-create")
    browser.text_appears(driver, "tr[data-campaign]", "draft")
    browser.press(driver, "Start", "tr[data-campaign]")
    browser.text_appears(driver, "tr[data-campaign]", "running")
    browser.text_appears(driver, "tr[data-campaign]", "read 2")  # both recipients read it
    browser.find(driver, "tr[data-campaign] progress[value='100']")


def test_an_otp_code_is_sent_and_verified(console: str, driver: WebDriver, stack: StackProcess):
    sid = _working_session(stack, "otp")
    phone = "+14155550123"
    driver.get(console + "#/otp")
    browser.find(driver, f"#otp-session option[value='{sid}']").click()
    browser.type_into(driver, "#otp-to", phone)
    browser.click(driver, "#otp-send")
    browser.text_appears(driver, "#otp-sent", "pending")
    api = _api(stack)
    text = wait_until(lambda: next(iter(api.get(
        f"{stack.base}/sandbox/recipients/{phone[1:]}/messages", timeout=5).json()["items"]),
        {}).get("text"), 15, "the code on the phone", 0.1)
    code = "".join(ch for ch in text if ch.isdigit())[:6]
    browser.type_into(driver, "#otp-code", "000000" if code != "000000" else "111111")
    browser.click(driver, "#otp-verify")
    browser.text_appears(driver, "#otp-verdict", "Wrong code")
    browser.type_into(driver, "#otp-code", code)
    browser.click(driver, "#otp-verify")
    browser.text_appears(driver, "#otp-verdict", "The code is right.")


def test_events_tail_live_and_the_account_shows_usage_against_limits(
        console: str, driver: WebDriver, stack: StackProcess):
    sid = _working_session(stack, "events")
    driver.get(console + "#/events")
    browser.find(driver, "#events-types")
    mid = _api(stack).post(f"{stack.base}/messages", json={
        "session_id": sid, "to": CUSTOMER, "text": "tail me"}, timeout=5).json()["id"]
    browser.text_appears(driver, "main tbody", f"{mid} → read")
    driver.get(console + "#/account")
    browser.text_appears(driver, "#usage", "Messages today")
    usage = browser.text_of(driver, "#usage")
    assert "of 10,000" in usage and "Sessions" in usage
    assert len(driver.find_elements(By.CSS_SELECTOR, "#usage meter")) == 3


@pytest.mark.parametrize("page", ["sessions", "messages", "webhooks", "events", "keys",
                                  "campaigns", "otp", "account"])
def test_every_page_fits_a_phone(console: str, driver: WebDriver, page: str):
    size = driver.get_window_size()
    driver.set_window_size(390, 844)
    try:
        driver.get(f"{console}#/{page}")
        browser.find(driver, "main h1")
        browser.wait(driver).until(lambda d: not d.find_elements(
            By.XPATH, "//main//p[normalize-space()='Loading…']"))
        assert driver.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        driver.set_window_size(size["width"], size["height"])


class _StagePrefix(ThreadingHTTPServer):
    """API Gateway's stage in front of the stack: ``/api/<path>`` is the stack's ``/<path>``."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.paths: list[str] = []
        super().__init__(("127.0.0.1", 0), _Forward)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/api"


class _Forward(BaseHTTPRequestHandler):
    server: _StagePrefix

    def _forward(self) -> None:
        self.server.paths.append(self.path)
        if not self.path.startswith("/api/"):
            self.send_error(404)
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        answer = requests.request(self.command, self.server.target + self.path[4:],
                                  headers={k: v for k, v in self.headers.items()
                                           if k.lower() not in ("host", "connection")},
                                  data=body or None, timeout=10)
        self.send_response(answer.status_code)
        for name, value in answer.headers.items():
            if name.lower() not in ("connection", "transfer-encoding", "content-encoding",
                                    "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)

    def do_GET(self) -> None:
        self._forward()

    def do_POST(self) -> None:
        self._forward()

    def do_PATCH(self) -> None:
        self._forward()

    def do_DELETE(self) -> None:
        self._forward()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base's name)
        return


def test_under_a_stage_prefix_the_page_finds_its_files_and_the_api_beside_it(
        stack: StackProcess, driver: WebDriver):
    proxy = _StagePrefix(f"http://127.0.0.1:{stack.ports[0]}")
    try:
        driver.get(proxy.url + "/console")
        driver.execute_script("sessionStorage.clear()")
        browser.log_in(driver, proxy.url + "/console", "admin", PASSWORD)
        browser.find(driver, "#session-name")
        assert driver.find_element(By.ID, "who").text.startswith("admin")
        assert {"/api/console/console.js", "/api/console/console.css", "/api/v1/auth/login",
                "/api/v1/auth/me"} <= set(proxy.paths)
        assert not [p for p in proxy.paths if not p.startswith("/api/")]
        assert browser.page_errors(driver) == []
    finally:
        proxy.shutdown()
        proxy.server_close()
