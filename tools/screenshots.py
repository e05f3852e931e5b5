"""Screenshots of every page of the web console, for README: ``make screenshots``.

    .venv/bin/python tools/screenshots.py [--out docs/screenshots]

Starts the local stack (``make run``'s program, on free ports, in a temporary folder), gives it
something to show through the public API (a paired session with a conversation, a campaign, a
webhook that answers and one that does not, an OTP code), then opens each page in headless
Chromium (Debian's ``chromium`` and ``chromium-driver``) and saves it as a PNG: at desktop
width, and the sessions and pairing pages at phone width too.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402

from chalicelib.devstack import launch  # noqa: E402
from chalicelib.devstack.launch import StackProcess, free_port, wait_until  # noqa: E402
from chalicelib.devstack.listen import WebhookReceiver  # noqa: E402
from tests.console import browser  # noqa: E402

PASSWORD = "console-screenshots"  # noqa: S105 (the admin of a throwaway local stack)
DESKTOP = (1280, 800)
PHONE = (390, 844)
CUSTOMERS = ["+14155552671", "+4915112345678", "+14155550201", "+14155550202",
             "+14155550203"]


def _settle(driver: WebDriver) -> None:
    """Wait until the page has no "Loading…" left and every image has loaded."""
    browser.wait(driver).until(lambda d: d.execute_script(
        "return ![...document.querySelectorAll('main p')].some(p => p.textContent === "
        "'Loading…') && [...document.images].every(i => i.complete && i.naturalWidth > 0)"))


def _save(driver: WebDriver, out: Path, name: str, size: tuple[int, int]) -> None:
    """The whole page (as tall as it is, at this width) as ``out/<name>.png``."""
    driver.set_window_size(*size)
    _settle(driver)
    height, chrome = driver.execute_script(
        "return [document.documentElement.scrollHeight, "
        "window.outerHeight - window.innerHeight]")
    driver.set_window_size(size[0], min(max(size[1], height + chrome), 1400))
    _settle(driver)
    driver.save_screenshot(str(out / f"{name}.png"))
    driver.set_window_size(*size)
    print(f"  {name}.png")


def _world(stack: StackProcess, receiver: WebhookReceiver) -> dict[str, str]:
    """Something to look at, made through the public API; the ids the pages need."""
    api = stack.login(PASSWORD)
    b = stack.base
    hook = api.post(f"{b}/webhooks", timeout=5, json={
        "url": receiver.url, "events": ["message.*", "session.status"],
        "description": "crm"}).json()
    receiver.secret = hook["secret"]
    dead = api.post(f"{b}/webhooks", timeout=5, json={
        "url": f"http://127.0.0.1:{free_port()}/hook", "events": ["message.status"],
        "description": "staging (down)"}).json()
    sid = stack.pair(api, "shop")
    api.put(f"{b}/otp/settings", json={"session_id": sid}, timeout=5).raise_for_status()
    for to, text in zip(CUSTOMERS[:2], ("Your order #1042 ships today", "See you at 3 pm"),
                        strict=True):
        api.post(f"{b}/messages", json={"session_id": sid, "to": to, "text": text},
                 timeout=5).raise_for_status()
    api.post(f"{b}/sandbox/sessions/{sid}/inbound", timeout=5, json={
        "from": CUSTOMERS[0], "text": "Thanks! Can I pick it up instead?"}).raise_for_status()
    campaign = api.post(f"{b}/campaigns", timeout=5, json={
        "name": "spring sale", "session_ids": [sid], "message": {"text": "20% off today"},
        "recipients": [{"to": to} for to in CUSTOMERS], "message_interval": {
            "min_s": 1, "max_s": 2}}).json()
    api.post(f"{b}/campaigns/{campaign['id']}/start", json={}, timeout=5).raise_for_status()
    api.post(f"{b}/campaigns", timeout=5, json={
        "name": "newsletter (draft)", "session_ids": [sid], "message": {"text": "News"},
        "recipients": [{"to": to} for to in CUSTOMERS[:3]]}).raise_for_status()
    api.post(f"{b}/webhooks/{dead['id']}/test", json={}, timeout=5).raise_for_status()
    wait_until(lambda: receiver.of_type("message.status"), 20, "a webhook delivery", 0.1)
    return {"session": sid, "dead": dead["id"]}


def shoot(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="wagate-screenshots-"))
    stack = launch.start(folder, settings={
        "WAGATE_ADMIN_PASSWORD": PASSWORD, "WAGATE_SANDBOX_DELIVERY_MS": "300",
        "WAGATE_SANDBOX_READ_MS": "900"})
    receiver = WebhookReceiver()
    driver = browser.chromium(*DESKTOP)
    try:
        ids = _world(stack, receiver)
        url = f"http://127.0.0.1:{stack.ports[0]}/console"
        print(f"console at {url}; saving to {out}")
        driver.get(url)
        browser.find(driver, "#login-username").send_keys("admin")
        _save(driver, out, "login", DESKTOP)
        browser.log_in(driver, url, "admin", PASSWORD)

        def page(name: str, hash_: str, ready: Callable[[], object],
                 sizes: tuple[tuple[str, tuple[int, int]], ...] = (("", DESKTOP),)) -> None:
            driver.get(f"{url}#/{hash_}")
            ready()
            for suffix, size in sizes:
                _save(driver, out, name + suffix, size)

        # A second session waiting for its QR code to be scanned: created in the page.
        driver.get(f"{url}#/sessions")
        browser.type_into(driver, "#session-name", "support")
        browser.click(driver, "#session-create")
        browser.wait(driver).until(lambda d: d.execute_script(
            "const i = document.getElementById('qr-image'); return i && i.naturalWidth > 0"))
        pairing = driver.current_url.split("#/", 1)[1]
        page("pairing", pairing, lambda: browser.find(driver, "#simulate-scan"),
             (("", DESKTOP), ("-phone", PHONE)))
        page("sessions", "sessions", lambda: browser.text_appears(
            driver, "main table", "support"), (("", DESKTOP), ("-phone", PHONE)))
        page("connected", f"sessions/{ids['session']}", lambda: browser.find(
            driver, "#connected"))

        page("messages", f"messages/{ids['session']}", lambda: browser.text_appears(
            driver, "#messages", "Can I pick it up"))
        browser.type_into(driver, "#send-to", CUSTOMERS[1])
        browser.type_into(driver, "#send-text", "Your table for two is booked for 8 pm.")
        browser.click(driver, "#send-submit")
        browser.text_appears(driver, "#message-status", "read")
        _save(driver, out, "message", DESKTOP)

        page("webhooks", "webhooks", lambda: browser.text_appears(
            driver, "main table", "staging"))
        page("deliveries", f"webhooks/{ids['dead']}", lambda: browser.text_appears(
            driver, "tr[data-delivery]", "retrying"))
        browser.find(driver, "#delivery-status").send_keys("failed")
        browser.text_appears(driver, "tr[data-delivery]", "webhook.test")
        _save(driver, out, "deliveries-failed", DESKTOP)

        page("events", "events", lambda: browser.text_appears(
            driver, "main tbody", "message.status"))
        driver.get(f"{url}#/keys")
        browser.type_into(driver, "#key-name", "my-app")
        browser.click(driver, "#key-create")
        browser.find(driver, "#key-shown .secret-value")
        _save(driver, out, "keys", DESKTOP)
        page("campaigns", "campaigns", lambda: browser.text_appears(
            driver, "main table", "spring sale"))

        driver.get(f"{url}#/otp")
        browser.type_into(driver, "#otp-to", "+14155550123")
        browser.click(driver, "#otp-send")
        browser.text_appears(driver, "#otp-sent", "pending")
        _save(driver, out, "otp", DESKTOP)
        page("account", "account", lambda: browser.find(driver, "#usage"))
    finally:
        driver.quit()
        receiver.close()
        stack.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    if not browser.available():
        sys.exit(f"screenshots: no Chromium ({browser.CHROMIUM}, {browser.CHROMEDRIVER}); "
                 "apt-get install chromium chromium-driver")
    shoot(args.out)


if __name__ == "__main__":
    main()
