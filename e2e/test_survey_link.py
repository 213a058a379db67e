"""Issue 11's shareable link, tried as a team and its respondents would: an admin gives the workspace a brand colour
and makes a survey's public link through the API; a respondent opens it (with a `touchpoint` in the address) in a
real browser at phone size with JavaScript off, sees the workspace's name on its colour, answers, reloads, changes
the answer through the same browser and adds a reason: one anonymous response, channel `link`, with the touchpoint,
no customer, shown by the API. A browser without the first one's cookie starts a second response. Rotating the link
makes the old address a page that says the link is not valid."""

from __future__ import annotations

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from conftest import Cli, seed_workspace, show, wait_for
from test_survey_invitations import nps_with_reason, phone_without_javascript  # noqa: F401 (fixture)


def choose(browser: WebDriver, field: str, value: int) -> None:
    """Picks a score as a person does: by its label (the radio button itself is visually hidden)."""
    browser.find_element(By.CSS_SELECTOR, f"label[for=a_{field}_{value}]").click()
    assert browser.find_element(By.ID, f"a_{field}_{value}").is_selected()


def test_a_shared_link_collects_one_anonymous_response_per_browser_in_the_workspaces_colour(
    start_server, cli: Cli, sqlite_database: str, phone_without_javascript: WebDriver,
):
    server = start_server(sqlite_database)
    seed = seed_workspace(cli, "Acme")
    api = server.client(seed.admin_key)
    branded = api.patch(f"/api/v1/workspaces/{seed.id}", json={"brand_color": "#1F6FEB"})
    assert branded.status_code == 200 and branded.json()["brand_text_color"] == "#ffffff", show(branded)

    survey = api.post("/api/v1/surveys", json={
        "name": "How was your visit?",
        "questions": nps_with_reason(),
    })
    assert survey.status_code == 201, show(survey)
    survey_id = survey.json()["id"]
    assert api.post(f"/api/v1/surveys/{survey_id}/activate").status_code == 200
    made = api.post(f"/api/v1/surveys/{survey_id}/link")
    assert made.status_code == 201, show(made)
    url = made.json()["url"]
    assert url.startswith(server.url("/s/")), url
    assert api.get(f"/api/v1/surveys/{survey_id}/link").json()["url"] is None, "the address is shown once"

    browser = phone_without_javascript
    browser.get(url + "?touchpoint=website&agent=someone")
    header = browser.find_element(By.CSS_SELECTOR, ".survey-brand")
    assert header.text == "Acme"
    assert header.value_of_css_property("background-color") in ("rgba(31, 111, 235, 1)", "rgb(31, 111, 235)")
    assert api.get(f"/api/v1/surveys/{survey_id}/responses").json()["data"] == [], "opening the link records nothing"
    choose(browser, "score", 9)
    browser.find_element(By.ID, "survey-submit").click()
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "[data-testid=survey-thanks]"), "the thank-you page")

    # A reload in the same browser shows the saved answer: nothing new is made.
    browser.get(url)
    assert browser.find_elements(By.CSS_SELECTOR, "[data-testid=survey-thanks]")
    (response,) = api.get(f"/api/v1/surveys/{survey_id}/responses").json()["data"]
    assert response["customer_id"] is None and response["channel"] == "link" and response["score"] == 9
    assert response["attributes"] == {"touchpoint": "website"}, response
    assert response["status"] == "completed"

    # The person changes their mind within the edit window: the same response, and the follow-up question appears.
    browser.find_element(By.LINK_TEXT, "change your answers").click()
    wait_for(lambda: browser.find_elements(By.ID, "survey-submit"), "the form again")
    choose(browser, "score", 5)
    browser.find_element(By.ID, "survey-submit").click()
    reason = wait_for(lambda: browser.find_elements(By.ID, "a_reason"), "the follow-up question")
    reason[0].send_keys("The queue was long.")
    browser.find_element(By.ID, "survey-submit").click()
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "[data-testid=survey-thanks]"), "the thank-you page")
    (response,) = api.get(f"/api/v1/surveys/{survey_id}/responses").json()["data"]
    assert response["score"] == 5 and response["band"] == "detractor"
    assert response["answers"]["reason"] == "The queue was long."
    assert api.get("/api/v1/follow-ups").json()["data"] == [], "nobody to call back: no follow-up case"

    # Another person (a browser without the first one's cookie) starts a response of their own.
    browser.delete_all_cookies()
    browser.get(url)
    choose(browser, "score", 10)
    browser.find_element(By.ID, "survey-submit").click()
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "[data-testid=survey-thanks]"), "the thank-you page")
    responses = api.get(f"/api/v1/surveys/{survey_id}/responses", params={"channel": "link"}).json()["data"]
    assert sorted(r["score"] for r in responses) == [5, 10]
    assert api.get(f"/api/v1/surveys/{survey_id}/link").json()["responses"] == {"partial": 0, "completed": 2}
    export = api.get(f"/api/v1/surveys/{survey_id}/responses.csv")
    assert export.status_code == 200 and export.text.count(",link,") == 2, export.text

    # Rotating the link: the old address is a page saying so, the new one opens the survey.
    rotated = api.post(f"/api/v1/surveys/{survey_id}/link/rotate")
    assert rotated.status_code == 200, show(rotated)
    browser.get(url)
    assert "This survey link is not valid" in browser.find_element(By.CSS_SELECTOR, "[data-testid=survey-message]").text
    assert requests.get(url, timeout=10).status_code == 404
    browser.get(rotated.json()["url"])
    assert browser.find_elements(By.ID, "survey-submit")
