"""Every page of the web UI at phone width in a real browser (headless Chromium, 375 px wide): nothing wider than
the screen (a wide table scrolls inside its own box, not the page), and no WCAG 2.1 A/AA violation found by axe-core
(the accessibility engine browsers' own audits use), run inside the page. The pages are those a support lead sees in a
workspace with sample data (`rapport serve --demo`), signed in as its owner, plus the sign-in, first-run and error
pages."""

from __future__ import annotations

import json
import time

import pytest
from axe_core_python.selenium import Axe
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select, WebDriverWait

from browser_ui import fill, submit_and_wait_for_page, wait_for_path
from conftest import Cli, RapportServer

DEMO_EMAIL = "demo@rapport.local"
DEMO_PASSWORD = "rapport-demo-password"
PHONE = (375, 812)
# WCAG 2.0 and 2.1, levels A and AA: what accessibility laws and procurement rules point to.
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def check_page(browser: WebDriver, server: RapportServer, path: str) -> list[str]:
    """Opens `path` and returns what is wrong with it at phone width (empty when nothing is)."""
    browser.get(server.url(path))
    return check_page_as_is(browser, server, path)


def check_page_as_is(browser: WebDriver, server: RapportServer, path: str) -> list[str]:
    """What is wrong with the page the browser shows (a form's answer, named `path` in the report)."""
    problems = []
    width = browser.execute_script("return window.innerWidth")
    page_width = browser.execute_script("return document.documentElement.scrollWidth")
    if page_width > width:
        wide = browser.execute_script(
            """return [...document.querySelectorAll('body *')]
                 .filter(e => !e.closest('.table-scroll') && e.getBoundingClientRect().right > window.innerWidth + 1)
                 .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))"""
        )
        problems.append(f"{path}: the page is {page_width} px wide on a {width} px screen (too wide: {wide})")
    results = Axe().run(browser, options=AXE_OPTIONS)
    for violation in results["violations"]:
        targets = [node["target"] for node in violation["nodes"][:3]]
        problems.append(f"{path}: {violation['id']} ({violation['impact']}): {violation['help']} at {json.dumps(targets)}")
    return problems


def first_link(browser: WebDriver, server: RapportServer, list_path: str, testid: str) -> str:
    browser.get(server.url(list_path))
    href = browser.find_element(By.CSS_SELECTOR, f"[data-testid={testid}] tbody a").get_attribute("href")
    return href.removeprefix(server.url(""))


@pytest.fixture
def phone_browser(browser: WebDriver) -> WebDriver:
    browser.set_window_size(*PHONE)
    assert browser.execute_script("return window.innerWidth") <= PHONE[0] + 20, "the window did not shrink"
    return browser


def test_every_signed_in_page_fits_a_phone_and_passes_axe(
    start_server, sqlite_database: str, cli: Cli, phone_browser: WebDriver
):
    # An SMTP server that is never reached: emails are queued, so the outbox and unsubscribe pages have content.
    server = start_server(sqlite_database, args=("--demo",), wait=False,
                          env={"SMTP_URL": "smtp://127.0.0.1:9?security=none", "SMTP_FROM": "noreply@rapport.test"})
    server.wait_until_healthy(timeout=240)  # the demo's year of data: up to a minute in a debug build
    browser = phone_browser
    problems = check_page(browser, server, "/login")
    fill(browser, email=DEMO_EMAIL, password=DEMO_PASSWORD)
    submit_and_wait_for_page(browser)
    wait_for_path(browser, "/")

    customer = first_link(browser, server, "/customers", "customer-table")
    account = first_link(browser, server, "/accounts", "account-table")
    pages = [
        "/", "/customers", "/customers?search=a", customer, account, "/accounts", "/segments", "/imports",
        "/settings/team", "/settings/workspace", "/settings/api-keys", "/settings/audit-log", "/settings/jobs",
        # The error page, as a signed-in person meets it.
        "/customers/00000000-0000-7000-8000-000000000000",
    ]
    for path in pages:
        problems += check_page(browser, server, path)

    # A webhook endpoint added through its form, then its own page with the delivery of a test event.
    problems += check_page(browser, server, "/settings/webhooks")
    fill(browser, url="https://93.184.216.34/hooks/rapport", description="CRM")
    browser.find_element(By.CSS_SELECTOR, "input[name=event_types][value='customer.created']").click()
    browser.find_element(By.ID, "create-webhook").click()
    WebDriverWait(browser, 10).until(lambda driver: "/settings/webhooks/" in driver.current_url)
    assert "signing secret" in browser.page_source.lower()
    browser.find_element(By.ID, "send-test").click()
    WebDriverWait(browser, 10).until(lambda driver: "done=test" in driver.current_url)
    endpoint_page = browser.current_url.removeprefix(server.url("")).split("?")[0]
    problems += check_page(browser, server, endpoint_page)
    assert "webhook.test" in browser.find_element(By.CSS_SELECTOR, "[data-testid=delivery-table]").text

    # Email settings with a template and a suppressed address added through their forms, and an email in the outbox.
    api = server.client(cli.create_api_key("Demo", scope="admin"))
    queued = api.post("/api/v1/emails", json={"to": "lee@example.com", "purpose": "surveys", "subject": "How did we do?",
                                               "text": "Tell us."})
    assert queued.status_code == 202, queued.text
    browser.get(server.url("/settings/email"))
    fill(browser, name="Follow-up", subject="Thanks, {{customer.first_name}}", text="Hello {{customer.first_name}}")
    browser.find_element(By.ID, "create-template").click()
    WebDriverWait(browser, 10).until(lambda driver: "done=template" in driver.current_url)
    # The demo's suppression list is already listed above the form, each entry with a hidden `address` of its own.
    browser.find_element(By.CSS_SELECTOR, "input[name=address][type=email]").send_keys("bounced@example.com")
    browser.find_element(By.CSS_SELECTOR, "#add-suppression").find_element(By.XPATH, "ancestor::form//input[@name='note']").send_keys("asked by phone")
    browser.find_element(By.ID, "add-suppression").click()
    WebDriverWait(browser, 10).until(lambda driver: "done=suppressed" in driver.current_url)
    problems += check_page(browser, server, "/settings/email")
    assert "bounced@example.com" in browser.find_element(By.CSS_SELECTOR, "[data-testid=suppression-table]").text
    assert "lee@example.com" in browser.find_element(By.CSS_SELECTOR, "[data-testid=email-table]").text

    # The unsubscribe page a recipient opens from the email (no sign-in), before and after confirming.
    link = queued.json()["text"].splitlines()[-1].removeprefix("Unsubscribe: ")
    path = "/unsubscribe/" + link.rsplit("/", 1)[-1]
    problems += check_page(browser, server, path)
    browser.find_element(By.ID, "confirm-unsubscribe").click()
    WebDriverWait(browser, 10).until(lambda driver: "You are unsubscribed" in driver.page_source)

    # An automation rule added through its form (calling that endpoint), its own page, paused, and the list.
    problems += check_page(browser, server, "/settings/automation")
    fill(browser, name="Welcome sign-ups", trigger_target="Signed Up", delay_minutes="60", note="Call to say hello.",
         condition='{"field": "trait.plan", "op": "eq", "value": "pro"}')
    browser.find_element(By.ID, "create-rule").click()
    WebDriverWait(browser, 10).until(lambda driver: "done=created" in driver.current_url)
    rule_page = browser.current_url.removeprefix(server.url("")).split("?")[0]
    problems += check_page(browser, server, rule_page)
    browser.find_element(By.ID, "pause-rule").click()
    WebDriverWait(browser, 10).until(lambda driver: "done=paused" in driver.current_url)
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=rule-state]").text == "paused"
    problems += check_page(browser, server, "/settings/automation")
    assert "Welcome sign-ups" in browser.find_element(By.CSS_SELECTOR, "[data-testid=rule-table]").text

    # A survey built through the quick-start form, answered once through the API, activated; its page and the list.
    problems += check_page(browser, server, "/surveys")
    fill(browser, name="After a resolved ticket", follow_up="What is the main reason for your score?")
    browser.find_element(By.ID, "create-survey").click()
    WebDriverWait(browser, 10).until(lambda driver: "done=created" in driver.current_url)
    survey_page = browser.current_url.removeprefix(server.url("")).split("?")[0]
    survey_id = survey_page.rsplit("/", 1)[-1]
    answered = api.post(f"/api/v1/surveys/{survey_id}/responses", json={
        "email": "lee@example.com", "answers": {"score": 4, "reason": "Slow answers"}, "attributes": {"agent": "sam"}})
    assert answered.status_code == 201, answered.text
    browser.find_element(By.ID, "activate-survey").click()
    WebDriverWait(browser, 10).until(lambda driver: "done=activate" in driver.current_url)
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=survey-status]").text == "active"
    assert "4 (detractor)" in browser.find_element(By.CSS_SELECTOR, "[data-testid=response-table]").text
    assert "shown when score is detractor" in browser.find_element(By.CSS_SELECTOR, "[data-testid=survey-questions]").text
    problems += check_page(browser, server, survey_page)
    # The survey builder with its preview (the survey is active: the page says saving makes version 2), and a refused
    # save with its message beside the field.
    problems += check_page(browser, server, survey_page + "/edit")
    assert "makes version 2" in browser.find_element(By.CSS_SELECTOR, "[data-testid=version-note]").text
    fill(browser, edit_window_hours="a week")
    browser.find_element(By.ID, "save-survey").click()
    WebDriverWait(browser, 10).until(lambda driver: driver.find_elements(By.ID, "err-edit-window-hours"))
    problems += check_page_as_is(browser, server, survey_page + "/edit (refused)")
    problems += check_page(browser, server, "/surveys")
    assert "After a resolved ticket" in browser.find_element(By.CSS_SELECTOR, "[data-testid=survey-table]").text

    # The hosted page /s/{token} people answer on, in a pale brand colour (black text): through the survey's shareable
    # link made on its page (asking, then asking more after a detractor's score), through an invitation email's link,
    # and an unknown link's page.
    workspace_id = api.get("/api/v1/me").json()["workspace"]["id"]
    assert api.patch(f"/api/v1/workspaces/{workspace_id}", json={"brand_color": "#ffcc00"}).status_code == 200
    problems += check_page(browser, server, "/settings/workspace")
    browser.get(server.url(survey_page))
    browser.find_element(By.ID, "create-link").click()
    link = WebDriverWait(browser, 10).until(
        lambda driver: driver.find_elements(By.CSS_SELECTOR, "[data-testid=link-url]"))[0].text
    problems += check_page_as_is(browser, server, survey_page + " (link made)")
    link_path = link.removeprefix(server.url(""))
    problems += check_page(browser, server, link_path + "?touchpoint=qr")
    browser.find_element(By.CSS_SELECTOR, "label[for=a_score_3]").click()
    browser.find_element(By.ID, "survey-submit").click()
    WebDriverWait(browser, 10).until(lambda driver: driver.find_elements(By.ID, "a_reason"))
    problems += check_page_as_is(browser, server, link_path + " (answered)")
    assert api.request("PUT", "/api/v1/survey-contact-rules", json={"quiet_start_hour": 0, "quiet_end_hour": 0}).status_code == 200
    invitee = api.post("/api/v1/customers", json={"traits": {"email": "ines@example.com"}}).json()["id"]
    invited = api.post(f"/api/v1/surveys/{survey_id}/invitations", json={"customer_ids": [invitee]})
    assert invited.status_code == 202, invited.text

    def invitation_path() -> str | None:
        for email in api.get("/api/v1/emails").json()["data"]:
            if email["to"] == "ines@example.com":
                return "/s/" + email["text"].split("/s/", 1)[1][:32]
        return None

    deadline = time.monotonic() + 30
    while invitation_path() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert invitation_path(), "the invitation email was not queued"
    problems += check_page(browser, server, invitation_path())
    problems += check_page(browser, server, "/s/" + "A" * 32)

    # The detractor's answer opened a follow-up case: the queue (mine, then everyone's), the case page, a refused
    # close without an outcome (its error shown on the page), a close with one, and a note.
    problems += check_page(browser, server, "/follow-ups")
    problems += check_page(browser, server, "/follow-ups?show=all")

    # A team made through the team page's form (the owner ticked in), the page with it, and the "My team" queue.
    browser.get(server.url("/settings/team"))
    browser.find_element(By.CSS_SELECTOR, "#create-team").find_element(By.XPATH, "./ancestor::form").find_element(
        By.NAME, "name").send_keys("Support APAC")
    browser.find_element(By.CSS_SELECTOR, "input[id^=new-team-]").click()
    browser.find_element(By.ID, "create-team").click()
    WebDriverWait(browser, 10).until(lambda driver: "The team Support APAC is saved." in driver.page_source)
    problems += check_page_as_is(browser, server, "/settings/team (with a team)")
    problems += check_page(browser, server, "/follow-ups?show=team")
    browser.get(server.url("/follow-ups?show=all"))
    case_link = browser.find_element(By.CSS_SELECTOR, "[data-testid=follow-up-table] a[href*='/follow-ups/']")
    case_page = case_link.get_attribute("href").removeprefix(server.url("")).split("?")[0]
    problems += check_page(browser, server, case_page)
    # The queue's first case may be one of the demo's: its page shows the answers that opened it.
    assert "How likely are you to recommend" in browser.find_element(By.CSS_SELECTOR, "[data-testid=follow-up-answers]").text
    Select(browser.find_element(By.NAME, "status")).select_by_value("resolved")
    browser.find_element(By.ID, "save-follow-up").click()
    WebDriverWait(browser, 10).until(lambda driver: driver.find_elements(By.CSS_SELECTOR, "[data-testid=follow-up-error]"))
    assert "outcome" in browser.find_element(By.CSS_SELECTOR, "[data-testid=follow-up-error]").text
    problems += check_page_as_is(browser, server, case_page + " (refused)")
    fill(browser, text="Called Lee back.")
    browser.find_element(By.ID, "add-follow-up-note").click()
    WebDriverWait(browser, 10).until(lambda driver: "done=noted" in driver.current_url)
    Select(browser.find_element(By.NAME, "status")).select_by_value("resolved")
    fill(browser, outcome="issue fixed")
    browser.find_element(By.ID, "save-follow-up").click()
    WebDriverWait(browser, 10).until(lambda driver: "done=saved" in driver.current_url)
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=follow-up-status]").text == "resolved: issue fixed"
    assert "Called Lee back." in browser.find_element(By.CSS_SELECTOR, "[data-testid=follow-up-notes]").text
    problems += check_page(browser, server, case_page)
    assert not problems, "\n".join(problems)


def test_the_first_run_page_fits_a_phone_and_passes_axe(server: RapportServer, phone_browser: WebDriver):
    problems = check_page(phone_browser, server, "/setup")
    assert not problems, "\n".join(problems)
