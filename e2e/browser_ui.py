"""Helpers for driving the web UI in headless Chromium: filling forms, submitting them and reading the page."""

from __future__ import annotations

from urllib.parse import urlsplit

from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from conftest import PASSWORD, RapportServer

WAIT = 15  # seconds for a page to change


def path_of(browser: WebDriver) -> str:
    return urlsplit(browser.current_url).path


def wait_for_path(browser: WebDriver, path: str) -> None:
    try:
        WebDriverWait(browser, WAIT).until(lambda driver: path_of(driver) == path)
    except TimeoutException:
        raise AssertionError(f"expected to be on {path}, still on {browser.current_url}") from None


def fill(browser: WebDriver, **fields: str) -> None:
    for name, value in fields.items():
        field = browser.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)


def submit_and_wait_for_page(browser: WebDriver) -> None:
    """Clicks #submit and waits until the browser has loaded the page that the form leads to."""
    click_and_wait_for_page(browser, "submit")


def _is_stale(element) -> bool:
    try:
        element.is_enabled()
        return False
    except Exception:
        return True


def alert_text(browser: WebDriver) -> str:
    alerts = [element.text.strip() for element in browser.find_elements(By.CSS_SELECTOR, "[role=alert]")]
    alerts = [text for text in alerts if text]
    assert alerts, f"no [role=alert] message on {browser.current_url}"
    return " ".join(alerts)


def text_of_testid(browser: WebDriver, testid: str) -> str:
    return browser.find_element(By.CSS_SELECTOR, f"[data-testid={testid}]").text.strip()


def wait_for_testid_text(browser: WebDriver, testid: str, texts: set[str], wait: float = 60) -> str:
    """Waits until the element marked `data-testid=testid` reads one of `texts` (the page may replace the element as
    it updates itself) and returns that text."""

    def reads(driver: WebDriver) -> str | bool:
        try:
            text = text_of_testid(driver, testid)
        except Exception:
            return False
        return text if text in texts else False

    try:
        return WebDriverWait(browser, wait).until(reads)
    except TimeoutException:
        raise AssertionError(f"[data-testid={testid}] never read one of {texts} on {browser.current_url}") from None


def complete_setup(browser: WebDriver, server: RapportServer, workspace: str, email: str) -> None:
    browser.get(server.url("/setup"))
    fill(browser, workspace=workspace, name="Ada Lovelace", email=email, password=PASSWORD, password_confirm=PASSWORD)
    submit_and_wait_for_page(browser)
    wait_for_path(browser, "/")


def click_and_wait_for_page(browser: WebDriver, button_id: str) -> None:
    """Clicks the button with this id and waits until the browser has loaded the page that its form leads to."""
    old_html = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.ID, button_id).click()
    WebDriverWait(browser, WAIT).until(lambda driver: _is_stale(old_html))
    WebDriverWait(browser, WAIT).until(lambda driver: driver.execute_script("return document.readyState") == "complete")


def table_rows(browser: WebDriver, testid: str) -> list[list[str]]:
    """The cells' texts of each body row of the table marked `data-testid=testid`."""
    table = browser.find_element(By.CSS_SELECTOR, f"[data-testid={testid}]")
    return [
        [cell.text.strip() for cell in row.find_elements(By.TAG_NAME, "td")]
        for row in table.find_elements(By.CSS_SELECTOR, "tbody tr")
    ]
