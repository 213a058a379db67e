"""Issue 11's first acceptance, tried as a new user would: a `Ticket Resolved` event with an agent, sent as a tracking
client sends it, fires a rule whose `send_survey` action invites the customer after its delay; one email arrives at a
real SMTP server (aiosmtpd, STARTTLS and AUTH) with one link per score; the score link, opened in a real browser at
phone size with JavaScript off, proposes the score, the person confirms it, and answers the follow-up question on the
hosted page. The response is attributed to the agent and on the customer's timeline; a second trigger within the
recontact period sends nothing and records why."""

from __future__ import annotations

import re
import time

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from conftest import CHROMEDRIVER, CHROMIUM, Cli, seed_workspace, show, wait_for
from test_email import Certificates, certificates, start_smtp  # noqa: F401 (fixtures)
from test_email_outbox import server_env, wait_for_messages

DELAY_SECONDS = 2
WAIT = 60


@pytest.fixture
def phone_without_javascript(request: pytest.FixtureRequest) -> WebDriver:
    """Headless Chromium the size of a phone, with JavaScript turned off."""
    options = Options()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=390,844"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    request.node.rapport_browser = driver
    yield driver
    driver.quit()


def nps_with_reason(question: str = "How likely are you to recommend Acme?") -> list[dict]:
    """An NPS question and, for detractors and passives, "What is the main reason for your score?"."""
    return [
        {"id": "score", "type": "nps", "required": True, "text": question,
         "low_label": "Not at all likely", "high_label": "Extremely likely"},
        {"id": "reason", "type": "text", "text": "What is the main reason for your score?",
         "show_if": {"question": "score", "band": ["detractor", "passive"]}},
    ]


def test_a_resolved_ticket_leads_to_one_email_and_an_answer_on_the_hosted_page_attributed_to_the_agent(
    start_server, start_smtp, certificates: Certificates, cli: Cli, sqlite_database: str,
    phone_without_javascript: WebDriver,
):
    smtp = start_smtp("starttls")
    server = start_server(sqlite_database, env=server_env(smtp, certificates))
    seed = seed_workspace(cli, "Acme")
    api = server.client(seed.admin_key)
    track_key = cli.create_api_key("Acme", "e2e-track", "track")

    survey = api.post("/api/v1/surveys", json={
        "name": "After your ticket",
        "questions": nps_with_reason(),
    })
    assert survey.status_code == 201, show(survey)
    survey_id = survey.json()["id"]
    assert api.post(f"/api/v1/surveys/{survey_id}/activate").status_code == 200
    rule = api.post("/api/v1/automation/rules", json={
        "name": "NPS after a resolved ticket", "trigger": {"type": "event", "event": "Ticket Resolved"},
        "delay_seconds": DELAY_SECONDS, "max_runs_per_customer": 10,
        "actions": [{"type": "send_survey", "survey_id": survey_id}],
    })
    assert rule.status_code == 201, show(rule)

    def resolve_ticket(ticket: str) -> None:
        sent = requests.post(server.url("/v1/batch"), auth=(track_key, ""), timeout=10, json={"batch": [
            {"type": "identify", "userId": "cust-7", "traits": {"email": "mia@example.com", "first_name": "Mia"}},
            {"type": "track", "userId": "cust-7", "event": "Ticket Resolved",
             "properties": {"agent": "sam@acme.test", "ticket_id": ticket, "channel": "chat"}},
        ]})
        assert sent.status_code == 200, show(sent)

    resolve_ticket("T-1042")
    (message,) = wait_for_messages(smtp.mailbox, 1)
    assert message.rcpt_tos == ["mia@example.com"] and message.tls
    email = message.parsed()
    text = email.get_body(("plain",)).get_content()
    assert "How likely are you to recommend Acme?" in text
    links = re.findall(r"(/s/[A-Za-z0-9_-]{32})\?score=(\d+)", text)
    assert [int(score) for _, score in links] == list(range(11)), text
    html = email.get_body(("html",)).get_content()
    assert "/unsubscribe/" in html, "the surveys consent can be withdrawn (the header needs an https PUBLIC_URL)"

    # The score link in a phone-sized browser without JavaScript: the score is proposed, and nothing is recorded
    # until the person confirms it.
    browser = phone_without_javascript
    path = links[6][0]
    browser.get(server.url(f"{path}?score=6"))
    assert browser.find_element(By.ID, "a_score_6").is_selected()
    assert browser.find_elements(By.CSS_SELECTOR, "[data-testid=survey-confirm]")
    assert api.get(f"/api/v1/surveys/{survey_id}/responses").json()["data"] == []
    browser.find_element(By.ID, "survey-submit").click()
    reason = wait_for(lambda: browser.find_elements(By.ID, "a_reason"), "the follow-up question")
    assert browser.find_elements(By.CSS_SELECTOR, "[data-testid=survey-saved]")
    reason[0].send_keys("The reply took a week.")
    browser.find_element(By.ID, "survey-submit").click()
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "[data-testid=survey-thanks]"), "the thank-you page")

    (response,) = api.get(f"/api/v1/surveys/{survey_id}/responses").json()["data"]
    assert response["score"] == 6 and response["band"] == "detractor" and response["status"] == "completed"
    assert response["answers"]["reason"] == "The reply took a week."
    assert response["attributes"]["agent"] == "sam@acme.test" and response["attributes"]["ticket_id"] == "T-1042"
    assert response["channel"] == "email"
    customer_id = response["customer_id"]
    timeline = api.get(f"/api/v1/customers/{customer_id}/timeline", params={"type": "survey_response"}).json()["data"]
    assert [entry["properties"]["score"] for entry in timeline] == [6]

    # A second ticket within the recontact period: nothing is sent, and the invitation says why.
    resolve_ticket("T-1043")

    def suppressed():
        invitations = api.get(f"/api/v1/surveys/{survey_id}/invitations").json()["data"]
        return [i for i in invitations if i["status"] == "suppressed"]

    (held,) = wait_for(suppressed, "the second invitation to be held back")
    assert held["reason"] == "recontact_period", held
    time.sleep(1.0)
    assert len(smtp.mailbox.messages) == 1
    entries = api.get(f"/api/v1/customers/{customer_id}/timeline", params={"type": "survey_invitation"}).json()["data"]
    assert [entry["properties"]["reason"] for entry in entries] == ["recontact_period"]
