"""Headless Chromium for the console: Debian's ``chromium`` and ``chromium-driver`` driven by
selenium, kept off the network (every host name but localhost fails to resolve, no background
traffic), and small helpers the tests and ``tools/screenshots.py`` share."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = Path(os.environ.get("WAGATE_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("WAGATE_CHROMEDRIVER", "/usr/bin/chromedriver"))
WAIT_S = 20.0  # the bound on every wait for the page
FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
    "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-extensions",
    "--disable-default-apps", "--disable-domain-reliability", "--no-pings",
    "--metrics-recording-only", "--disable-client-side-phishing-detection",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1", "--lang=en-US",
    "--hide-scrollbars", "--force-device-scale-factor=1",
)


def available() -> bool:
    """Are the browser and its driver installed?"""
    return CHROMIUM.is_file() and CHROMEDRIVER.is_file()


def chromium(width: int = 1280, height: int = 900) -> WebDriver:
    """A headless Chromium with a window of this size (its console log kept for the tests)."""
    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # A driver path given: selenium does not run Selenium Manager (nothing is downloaded).
    service = Service(executable_path=str(CHROMEDRIVER), log_output=subprocess.DEVNULL)
    return webdriver.Chrome(service=service, options=options)


def wait(driver: WebDriver, timeout: float = WAIT_S) -> WebDriverWait:
    """A bounded wait that looks again when the page re-rendered what it was looking at."""
    return WebDriverWait(driver, timeout, poll_frequency=0.1,
                         ignored_exceptions=(StaleElementReferenceException,))


def find(driver: WebDriver, css: str, timeout: float = WAIT_S) -> WebElement:
    """The visible element ``css`` selects, once it is there."""
    return wait(driver, timeout).until(ec.visibility_of_element_located((By.CSS_SELECTOR, css)))


def _clicked(element: WebElement) -> bool:
    if not (element.is_displayed() and element.is_enabled()):
        return False
    element.click()
    return True


def click(driver: WebDriver, css: str) -> None:
    """Click the element ``css`` selects once it can be (again, if the page re-rendered it)."""
    wait(driver).until(lambda d: _clicked(d.find_element(By.CSS_SELECTOR, css)))


def press(driver: WebDriver, label: str, within: str = "main") -> None:
    """Click the button labelled ``label`` inside the element ``within`` (CSS)."""
    xpath = f".//button[normalize-space()='{label}']"
    wait(driver).until(lambda d: any(
        _clicked(b) for b in d.find_element(By.CSS_SELECTOR, within).find_elements(By.XPATH,
                                                                                    xpath)))


def type_into(driver: WebDriver, css: str, text: str) -> None:
    field = find(driver, css)
    field.clear()
    field.send_keys(text)


def text_appears(driver: WebDriver, css: str, text: str, timeout: float = WAIT_S) -> WebElement:
    """Wait until the element ``css`` contains ``text``; return it."""
    wait(driver, timeout).until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))
    return driver.find_element(By.CSS_SELECTOR, css)


def shown(driver: WebDriver, element_id: str) -> bool:
    """Is the element with this id on the page and visible?"""
    found = driver.find_elements(By.ID, element_id)
    return bool(found) and found[0].is_displayed()


def text_of(driver: WebDriver, css: str) -> str:
    """The text of the element ``css`` selects (read again if the page re-rendered it)."""
    return wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, css).text)


def log_in(driver: WebDriver, console_url: str, username: str, password: str,
           page: str = "sessions") -> None:
    """Open the console at ``#/<page>``, logging in first unless this tab already is."""
    driver.get(f"{console_url}#/{page}")
    wait(driver).until(lambda d: shown(d, "login-username") or shown(d, "nav"))
    if shown(driver, "login-username"):
        type_into(driver, "#login-username", username)
        type_into(driver, "#login-password", password)
        click(driver, "#login-submit")
    find(driver, "#nav")


def page_errors(driver: WebDriver) -> list[str]:
    """What the browser's console logged since the last call about the page breaking its
    Content-Security-Policy or throwing an uncaught error (answers with an error status are
    the API's business, not the page's)."""
    return [entry["message"] for entry in driver.get_log("browser")
            if "Content Security Policy" in entry["message"] or "Uncaught" in entry["message"]]
