"""Issue 11's acceptance for the survey builder: "A survey built and activated in the UI, answered on its page, shows on
the customer's timeline". An admin builds a two-language survey in Chromium (with JavaScript: the preview follows the
typing), with a choice question that only promoters are asked; activates it; a customer made through the API, whose
locale is French, is invited through the API; the email arrives at a real SMTP server (aiosmtpd, STARTTLS); its link,
opened in the browser, asks in French, reveals the choice question after a 10, and the answer is on the customer's
timeline, in the API and on their page."""

from __future__ import annotations

import re
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select, WebDriverWait

from browser_ui import click_and_wait_for_page, fill, submit_and_wait_for_page, wait_for_path
from conftest import PASSWORD, Cli, seed_workspace, show
from test_email import Certificates, certificates, start_smtp  # noqa: F401 (fixtures)
from test_email_outbox import server_env, wait_for_messages

WAIT = 60


def preview_srcdoc(browser: WebDriver) -> str:
    frames = browser.find_elements(By.CSS_SELECTOR, "[data-testid=preview-page]")
    return frames[0].get_attribute("srcdoc") if frames else ""


def test_a_survey_built_and_activated_in_the_ui_and_answered_on_its_page_shows_on_the_timeline(
    start_server, start_smtp, certificates: Certificates, cli: Cli, sqlite_database: str, browser: WebDriver,
):
    smtp = start_smtp("starttls")
    server = start_server(sqlite_database, env=server_env(smtp, certificates))
    seed = seed_workspace(cli, "Acme")
    api = server.client(seed.admin_key)
    browser.set_window_size(1280, 1000)

    browser.get(server.url("/login"))
    fill(browser, email=seed.owner_email, password=PASSWORD)
    submit_and_wait_for_page(browser)
    wait_for_path(browser, "/")

    # Build a custom survey: a draft with one NPS question, opened in the builder.
    browser.get(server.url("/surveys"))
    fill(browser, custom_name="After onboarding")
    click_and_wait_for_page(browser, "build-survey")
    assert re.fullmatch(r"/surveys/[0-9a-f-]{36}/edit", browser.current_url.removeprefix(server.url("")).split("?")[0])
    survey_id = browser.current_url.split("/surveys/")[1].split("/")[0]
    assert "How likely are you to recommend us" in preview_srcdoc(browser)

    # Live preview: the hosted page follows the question's wording as it is typed, without a page load.
    page = browser.find_element(By.TAG_NAME, "html")
    fill(browser, q0_text_en="How likely are you to recommend Acme to a friend?")
    WebDriverWait(browser, WAIT).until(lambda driver: "recommend Acme to a friend" in preview_srcdoc(driver))
    assert page.is_displayed(), "the preview changed in place"
    WebDriverWait(browser, WAIT).until(
        lambda driver: "recommend Acme to a friend" in driver.find_element(By.CSS_SELECTOR, "[data-testid=preview-email-text]")
        .get_attribute("textContent"))
    # The hosted page really renders inside its sandboxed frame.
    browser.switch_to.frame(browser.find_element(By.CSS_SELECTOR, "[data-testid=preview-page]"))
    assert "recommend Acme to a friend" in browser.find_element(By.TAG_NAME, "legend").text
    browser.switch_to.default_content()

    # A second language (the Preview button brings its fields), then a choice question asked only of promoters.
    fill(browser, languages="en, fr")
    click_and_wait_for_page(browser, "preview-button")
    fill(browser, q0_text_fr="Recommanderiez-vous Acme à un ami ?")
    Select(browser.find_element(By.ID, "new-type")).select_by_value("single_choice")
    click_and_wait_for_page(browser, "add-question")
    fill(browser, q1_id="liked", q1_text_en="What did you like most?", q1_text_fr="Qu'avez-vous préféré ?",
         q1_options_en="fast | Fast answers\nfriendly | Friendly staff", q1_options_fr="Réponses rapides\nPersonnel aimable")
    browser.find_element(By.CSS_SELECTOR, "#question-1 details.logic summary").click()
    Select(browser.find_element(By.ID, "q1-show-question")).select_by_value("score")
    browser.find_element(By.ID, "q1-band-promoter").click()

    # The preview in French as a promoter sees it: the choice question appears.
    Select(browser.find_element(By.ID, "preview-language")).select_by_value("fr")
    Select(browser.find_element(By.ID, "preview-score")).select_by_value("10")
    WebDriverWait(browser, WAIT).until(lambda driver: "Personnel aimable" in preview_srcdoc(driver))
    assert "Recommanderiez-vous Acme" in preview_srcdoc(browser)

    click_and_wait_for_page(browser, "save-survey")
    assert "done=saved" in browser.current_url
    stored = api.get(f"/api/v1/surveys/{survey_id}").json()
    assert stored["languages"] == ["en", "fr"] and [q["id"] for q in stored["questions"]] == ["score", "liked"], stored
    assert stored["questions"][1]["show_if"] == {"question": "score", "band": ["promoter"]}

    # Activate it from its page.
    browser.get(server.url(f"/surveys/{survey_id}"))
    click_and_wait_for_page(browser, "activate-survey")
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=survey-status]").text == "active"

    # A French-speaking customer made through the API is invited through the API; the email arrives.
    customer = api.post("/api/v1/customers", json={"traits": {"email": "lea@example.com", "first_name": "Léa", "locale": "fr-FR"}})
    assert customer.status_code == 201, show(customer)
    customer_id = customer.json()["id"]
    invited = api.post(f"/api/v1/surveys/{survey_id}/invitations", json={"customer_ids": [customer_id]})
    assert invited.status_code in (200, 201, 202), show(invited)
    (message,) = wait_for_messages(smtp.mailbox, 1)
    text = message.parsed().get_body(("plain",)).get_content()
    assert "Recommanderiez-vous Acme à un ami ?" in text, text
    (link,) = set(re.findall(r"(/s/[A-Za-z0-9_-]{32})", text))

    # Answered on its page, in French: a 10 reveals the choice question.
    browser.get(server.url(link))
    assert "Recommanderiez-vous Acme à un ami ?" in browser.find_element(By.TAG_NAME, "legend").text
    browser.find_element(By.CSS_SELECTOR, "label[for=a_score_10]").click()
    click_and_wait_for_page(browser, "survey-submit")
    browser.find_element(By.CSS_SELECTOR, "label[for=a_liked_friendly]").click()
    assert "Personnel aimable" in browser.find_element(By.CSS_SELECTOR, "label[for=a_liked_friendly]").text
    click_and_wait_for_page(browser, "survey-submit")
    assert browser.find_elements(By.CSS_SELECTOR, "[data-testid=survey-thanks]")

    # On the customer's timeline: in the API and on their page.
    (response,) = api.get(f"/api/v1/surveys/{survey_id}/responses").json()["data"]
    assert response["score"] == 10 and response["answers"] == {"score": 10, "liked": "friendly"} and response["language"] == "fr"
    deadline = time.monotonic() + WAIT
    while True:
        timeline = api.get(f"/api/v1/customers/{customer_id}/timeline", params={"type": "survey_response"}).json()["data"]
        if timeline or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert [entry["properties"]["score"] for entry in timeline] == [10], timeline
    browser.get(server.url(f"/customers/{customer_id}"))
    entries = [item.text for item in browser.find_elements(By.CSS_SELECTOR, ".timeline > li")]
    assert any("After onboarding" in entry and "survey" in entry.lower() for entry in entries), entries
