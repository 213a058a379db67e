"""The web UI in a real browser (headless Chromium, the `browser` fixture of conftest.py): first-run setup, sign-in,
sign-out and sign-in lockout."""

from __future__ import annotations

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from browser_ui import WAIT, alert_text, complete_setup, fill, path_of, submit_and_wait_for_page, text_of_testid, wait_for_path
from conftest import (
    HTTP_TIMEOUT,
    PASSWORD,
    Cli,
    RapportServer,
    login_csrf_token,
    post_login,
    redirect_path,
    show,
)

LOCKOUT_THRESHOLD = 5  # failed sign-ins for one email before it is locked


def sign_in(browser: WebDriver, server: RapportServer, email: str, password: str) -> None:
    if path_of(browser) != "/login":
        browser.get(server.url("/login"))
    fill(browser, email=email, password=password)
    submit_and_wait_for_page(browser)


def test_setup_form_has_the_expected_fields(server: RapportServer, browser: WebDriver):
    browser.get(server.url("/setup"))
    for name in ("workspace", "name", "email", "password", "password_confirm"):
        assert browser.find_elements(By.CSS_SELECTOR, f"form [name={name}]"), f"no input named {name} in a form"
    assert browser.find_element(By.NAME, "password").get_attribute("type") == "password"
    assert browser.find_element(By.NAME, "password_confirm").get_attribute("type") == "password"
    assert browser.find_element(By.ID, "submit").is_displayed()


def test_setup_creates_owner_and_lands_on_dashboard(server: RapportServer, browser: WebDriver):
    complete_setup(browser, server, "Acme Support", "ada@acme.example")

    assert text_of_testid(browser, "workspace-name") == "Acme Support"
    assert "ada@acme.example" in text_of_testid(browser, "current-user")


def test_setup_is_closed_once_an_owner_exists(server: RapportServer, browser: WebDriver):
    complete_setup(browser, server, "Acme Support", "ada@acme.example")

    response = requests.get(server.url("/setup"), allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert response.status_code == 404 or redirect_path(response) == "/login", show(response)
    # Nor can the form be posted to again, even with a valid CSRF token.
    client = server.client()
    token = login_csrf_token(client)
    again = client.post(
        "/setup",
        data={
            "workspace": "Evil",
            "name": "Eve",
            "email": "eve@example.com",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "_csrf": token,
        },
    )
    assert again.status_code in (403, 404, 409) or redirect_path(again) == "/login", show(again)
    assert redirect_path(post_login(server.client(), "eve@example.com", PASSWORD)) != "/", "setup ran twice"


def test_logout_ends_the_session_and_root_redirects_to_login(server: RapportServer, browser: WebDriver):
    complete_setup(browser, server, "Acme Support", "ada@acme.example")
    session_cookie = browser.get_cookie("rapport_session")
    assert session_cookie, "no rapport_session cookie after setup"

    logout = browser.find_element(By.ID, "logout")
    assert logout.find_element(By.XPATH, "ancestor::form"), "#logout is not inside a form"
    logout.click()
    WebDriverWait(browser, WAIT).until(
        lambda driver: driver.get_cookie("rapport_session") is None or path_of(driver) == "/login"
    )

    browser.get(server.url("/"))
    wait_for_path(browser, "/login")
    # The old cookie is dead on the server too, not just forgotten by the browser.
    stale = requests.get(
        server.url("/api/v1/me"), cookies={"rapport_session": session_cookie["value"]}, timeout=HTTP_TIMEOUT
    )
    assert stale.status_code == 401, show(stale)


def test_login_form_has_the_expected_fields(server: RapportServer, browser: WebDriver):
    browser.get(server.url("/login"))
    assert browser.find_element(By.NAME, "email")
    assert browser.find_element(By.NAME, "password").get_attribute("type") == "password"
    assert browser.find_element(By.ID, "submit").is_displayed()


def test_login_with_the_right_password_lands_on_dashboard(server: RapportServer, cli: Cli, browser: WebDriver):
    cli.create_workspace("Acme")
    cli.create_user("Acme", "grace@acme.example")

    sign_in(browser, server, "grace@acme.example", PASSWORD)

    wait_for_path(browser, "/")
    assert text_of_testid(browser, "workspace-name") == "Acme"
    assert "grace@acme.example" in text_of_testid(browser, "current-user")


def test_wrong_password_shows_an_alert(server: RapportServer, cli: Cli, browser: WebDriver):
    cli.create_workspace("Acme")
    cli.create_user("Acme", "grace@acme.example")

    sign_in(browser, server, "grace@acme.example", "not-the-password")

    assert path_of(browser) != "/"
    assert alert_text(browser)
    assert browser.get_cookie("rapport_session") is None


def test_sixth_attempt_after_five_failures_is_locked_out_even_with_right_password(
    server: RapportServer, cli: Cli, browser: WebDriver
):
    cli.create_workspace("Acme")
    cli.create_user("Acme", "grace@acme.example")

    wrong_password_messages = []
    for _ in range(LOCKOUT_THRESHOLD):
        sign_in(browser, server, "grace@acme.example", "not-the-password")
        wrong_password_messages.append(alert_text(browser))

    sign_in(browser, server, "grace@acme.example", PASSWORD)

    assert path_of(browser) != "/", "signed in despite the lockout"
    lockout_message = alert_text(browser)
    assert lockout_message != wrong_password_messages[0], "the lockout message reads like a wrong password"
    # The same lockout, seen by a plain HTTP client: the form answers 429.
    response = post_login(server.client(), "grace@acme.example", PASSWORD)
    assert response.status_code == 429, show(response)
