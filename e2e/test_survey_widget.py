"""Issue 11's web widget, tried as a customer's site would use it: a static shop page served by Python's http.server
on another origin loads rapport.js and widget.js from the real `rapport serve`, identifies the visitor and tracks an
event; the survey appears in headless Chromium at phone width once its rule matches (path, event, seconds on the page),
passes axe-core's WCAG 2.1 A/AA checks, and the visitor answers it with the keyboard alone (score, then the follow-up
it reveals). The response arrives through the API with channel `widget` and the page; a second visit shows nothing
(the recontact period); a second visitor closes it with Escape and the dismissal is counted."""

from __future__ import annotations

import functools
import http.server
import threading
import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from conftest import Cli, free_port, seed_workspace, show, wait_for
from test_accessibility import check_page_as_is
from test_survey_invitations import nps_with_reason

WAIT = 30
PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Acme shop</title></head>
<body>
<main>
  <h1>Your basket</h1>
  <p>One pair of walking boots.</p>
  <button type="button" id="buy">Complete checkout</button>
</main>
<script src="{rapport}/rapport.js" data-write-key="{key}"></script>
<script src="{rapport}/widget.js"></script>
<script>
  var user = new URLSearchParams(location.search).get("user");
  rapport.identify(user, {{ email: user + "@example.com" }});
  document.getElementById("buy").addEventListener("click", function () {{ rapport.track("Checkout Completed"); }});
</script>
</body>
</html>
"""


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


@pytest.fixture
def shop(tmp_path: Path):
    """A static site on its own port (another origin than Rapport's), serving `tmp_path/site`."""
    root = tmp_path / "site"
    (root / "shop").mkdir(parents=True)
    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{port}"
    server.shutdown()
    server.server_close()


def widget(browser: WebDriver):
    found = browser.find_elements(By.CSS_SELECTOR, "[data-rapport-widget]")
    return found[0] if found else None


wait_for = functools.partial(wait_for, timeout=WAIT)


def active(browser: WebDriver):
    return browser.switch_to.active_element


def active_tag(browser: WebDriver) -> str | None:
    """The focused element's tag name, read in one script: the widget replaces its form as it moves on, and an element
    handle taken between two renders would be stale by the time its tag is asked for."""
    return browser.execute_script("return document.activeElement ? document.activeElement.tagName.toLowerCase() : null")


def press(browser: WebDriver, key: str) -> None:
    active(browser).send_keys(key)


def test_the_widget_shows_on_another_site_once_its_rule_matches_and_is_answered_with_the_keyboard(
    start_server, cli: Cli, sqlite_database: str, shop, browser: WebDriver
):
    server = start_server(sqlite_database)
    seed_workspace(cli, "Acme")
    api = server.client(cli.create_api_key("Acme", "e2e-admin", "admin"))
    track_key = cli.create_api_key("Acme", "e2e-track", "track")
    root, site = shop
    (root / "shop" / "checkout.html").write_text(PAGE.format(rapport=server.base_url, key=track_key), encoding="utf-8")
    (root / "about.html").write_text(PAGE.format(rapport=server.base_url, key=track_key), encoding="utf-8")

    survey = api.post("/api/v1/surveys", json={
        "name": "After checkout",
        "questions": nps_with_reason("How likely are you to recommend Acme to a friend?"),
        "settings": {"widget": {"enabled": True, "paths": ["/shop/*"], "event": "Checkout Completed", "seconds_on_page": 2}},
    })
    assert survey.status_code == 201, show(survey)
    survey_id = survey.json()["id"]
    assert survey.json()["settings"]["widget"]["paths"] == ["/shop/*"]
    assert api.post(f"/api/v1/surveys/{survey_id}/activate").status_code == 200

    browser.set_window_size(375, 812)
    # Another page of the site, even after the event: nothing.
    browser.get(f"{site}/about.html?user=cust-42")
    browser.find_element(By.ID, "buy").click()
    time.sleep(3)
    assert widget(browser) is None

    # The checkout page: nothing until the event, then the survey.
    browser.get(f"{site}/shop/checkout.html?user=cust-42")
    time.sleep(2.5)
    assert widget(browser) is None, "the rule waits for the event"
    browser.find_element(By.ID, "buy").click()
    dialog = wait_for(lambda: widget(browser), "the widget after the event")
    assert dialog.get_attribute("role") == "dialog"
    assert "A question from Acme" in dialog.text
    assert "How likely are you to recommend Acme to a friend?" in dialog.text
    WebDriverWait(browser, WAIT).until(lambda driver: driver.switch_to.active_element == widget(driver))
    width = browser.execute_script("return window.innerWidth")
    box = browser.execute_script("return arguments[0].getBoundingClientRect().toJSON()", dialog)
    assert box["left"] >= 0 and box["right"] <= width, f"the widget fits a phone's width: {box} on {width}"
    problems = check_page_as_is(browser, server, "/shop/checkout.html with the widget")
    assert not problems, "\n".join(problems)

    # The keyboard alone: into the scale, arrow to 3, to Send, Enter.
    for _ in range(5):
        press(browser, Keys.TAB)
        if active(browser).get_attribute("name") == "score":
            break
    assert active(browser).get_attribute("name") == "score", active(browser).get_attribute("outerHTML")
    assert active(browser).get_attribute("value") == "0"
    for _ in range(3):
        press(browser, Keys.ARROW_RIGHT)
    assert active(browser).get_attribute("value") == "3" and active(browser).is_selected()
    press(browser, Keys.TAB)
    assert active(browser).text == "Send"
    press(browser, Keys.ENTER)

    # The follow-up the score reveals takes the focus.
    wait_for(lambda: active_tag(browser) == "textarea", "the follow-up question to take the focus")
    assert "What is the main reason for your score?" in widget(browser).text
    press(browser, "The boots arrived late.")
    press(browser, Keys.TAB)
    press(browser, Keys.ENTER)
    wait_for(lambda: "Thank you" in (widget(browser).text if widget(browser) else ""), "the thanks")

    (response,) = api.get(f"/api/v1/surveys/{survey_id}/responses").json()["data"]
    assert response["channel"] == "widget" and response["status"] == "completed", response
    assert response["score"] == 3 and response["band"] == "detractor"
    assert response["answers"]["reason"] == "The boots arrived late."
    assert response["attributes"]["page_url"] == f"{site}/shop/checkout.html", "the page, without its query"
    timeline = api.get(f"/api/v1/customers/{response['customer_id']}/timeline", params={"type": "survey_response"})
    assert [entry["properties"]["channel"] for entry in timeline.json()["data"]] == ["widget"]

    # Closing the thanks is no dismissal; a second visit shows nothing (the recontact period), and says why.
    press(browser, Keys.ESCAPE)
    wait_for(lambda: widget(browser) is None, "the widget to close")
    browser.get(f"{site}/shop/checkout.html?user=cust-42")
    browser.find_element(By.ID, "buy").click()
    held = wait_for(lambda: [i for i in api.get(f"/api/v1/surveys/{survey_id}/invitations").json()["data"]
                             if i["status"] == "suppressed"], "the second visit to be held back")
    assert held[0]["reason"] == "recontact_period" and held[0]["channel"] == "widget"
    time.sleep(1)
    assert widget(browser) is None

    # Another visitor (another browser: rapport.js's anonymous id cookie would tie them to the first) closes it with
    # Escape: a dismissal, counted.
    browser.delete_all_cookies()
    browser.get(f"{site}/shop/checkout.html?user=cust-43")
    browser.find_element(By.ID, "buy").click()
    wait_for(lambda: widget(browser), "the widget for the second visitor")
    WebDriverWait(browser, WAIT).until(lambda driver: driver.switch_to.active_element == widget(driver))
    press(browser, Keys.ESCAPE)
    wait_for(lambda: widget(browser) is None, "the widget to close")

    def dismissed():
        stats = api.get(f"/api/v1/surveys/{survey_id}/invitation-stats").json()
        return stats if stats["by_status"]["dismissed"] == 1 else None

    stats = wait_for(dismissed, "the dismissal to be counted")
    assert stats["by_status"]["responded"] == 1 and stats["suppressed_by_reason"]["recontact_period"] == 1, stats
    assert len(api.get(f"/api/v1/surveys/{survey_id}/responses").json()["data"]) == 1, "a dismissal records no answer"
