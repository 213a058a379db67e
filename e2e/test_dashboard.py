"""The dashboard at `/` in a real browser: NPS, CSAT and CES tiles and their charts drawn on the server, at laptop
and phone width without horizontal overflow, a figure's n followed to the responses behind it (the same count), a
survey's results page, and axe-core with no violation on either page (WCAG 2.1 A/AA, as test_accessibility runs it)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from browser_ui import fill, submit_and_wait_for_page, text_of_testid, wait_for_path
from conftest import PASSWORD, Cli, seed_workspace
from test_accessibility import check_page, check_page_as_is

LAPTOP = (1280, 900)
PHONE = (390, 844)


def make_survey(api, name: str, kind: str) -> str:
    made = api.post("/api/v1/surveys", json={"name": name, "questions": [
        {"id": "score", "type": kind, "required": True, "text": "How did we do?"},
        {"id": "reason", "type": "text", "text": "Why?"},
    ]})
    assert made.status_code == 201, made.text
    survey = made.json()["id"]
    assert api.post(f"/api/v1/surveys/{survey}/activate").status_code == 200
    return survey


def answer(api, survey: str, index: int, score: int, agent: str, days_ago: int, comment: str | None = None) -> None:
    when = (datetime.now(timezone.utc) - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    answers: dict = {"score": score}
    if comment:
        answers["reason"] = comment
    reply = api.post(f"/api/v1/surveys/{survey}/responses", json={
        "email": f"p{survey[:4]}{index}@example.com", "answers": answers, "attributes": {"agent": agent, "team": "care"},
        "submitted_at": when, "channel": "import"})
    assert reply.status_code == 201, reply.text


def fits(browser: WebDriver) -> tuple[int, int]:
    return (browser.execute_script("return document.documentElement.scrollWidth"),
            browser.execute_script("return window.innerWidth"))


def test_dashboard_shows_the_metrics_fits_a_phone_and_links_numbers_to_responses(
    start_server, sqlite_database: str, cli: Cli, browser: WebDriver
):
    server = start_server(sqlite_database)
    seed = seed_workspace(cli, "Acme")
    api = server.client(seed.admin_key)
    nps = make_survey(api, "After support", "nps")
    csat = make_survey(api, "After delivery", "csat")
    for index, (score, agent, days) in enumerate([(10, "sam", 2), (9, "sam", 9), (6, "kim", 16), (3, "kim", 23), (10, "sam", 40),
                                                  (8, "kim", 47), (0, "kim", 60), (10, "sam", 75)]):
        answer(api, nps, index, score, agent, days, comment="Slow <b>reply</b>" if score <= 6 else None)
    for index, (score, days) in enumerate([(5, 3), (4, 10), (2, 20), (5, 33)]):
        answer(api, csat, index, score, "sam", days)

    browser.set_window_size(*LAPTOP)
    browser.get(server.url("/login"))
    fill(browser, email=seed.owner_email, password=PASSWORD)
    submit_and_wait_for_page(browser)
    wait_for_path(browser, "/")

    # Tiles with values from the API's numbers, charts drawn as accessible SVG, no horizontal overflow.
    metrics = api.get("/api/v1/metrics/nps").json()["overall"]["estimate"]
    assert text_of_testid(browser, "tile-nps-n") == f"n = {metrics['n']}" == "n = 8"
    value = browser.find_element(By.CSS_SELECTOR, "[data-testid=tile-nps-value]").get_attribute("data-value")
    assert abs(float(value) - metrics["value"]) < 1e-9
    assert "No survey asks for CES yet." in text_of_testid(browser, "tile-ces-empty")
    charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart[role=img]")
    assert len(charts) >= 5, "three sparklines or trends and a breakdown"
    assert browser.find_element(By.CSS_SELECTOR, "#nps-trend svg title").get_attribute("textContent").startswith("NPS by")
    assert "Slow <b>reply</b>" in text_of_testid(browser, "latest-comments")
    width, screen = fits(browser)
    assert width <= screen, f"{width} px wide on a {screen} px screen"
    problems = check_page_as_is(browser, server, "/ (laptop)")

    # Printed (print media emulated), the view is a report: no navigation, no forms, the filters as one line, the
    # charts kept. The print button appears only where JavaScript runs.
    assert browser.find_element(By.CSS_SELECTOR, "button[data-print]").is_displayed()
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not browser.find_element(By.CSS_SELECTOR, "nav.mainnav").is_displayed()
        assert not browser.find_element(By.CSS_SELECTOR, "form.metric-filters").is_displayed()
        summary = browser.find_element(By.CSS_SELECTOR, "[data-testid=view-summary]")
        assert summary.is_displayed() and summary.text.startswith("Showing the last "), summary.text
        assert "all surveys · all customers · all channels" in summary.text, summary.text
        assert browser.find_element(By.CSS_SELECTOR, "#nps-trend svg").is_displayed()
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert not browser.find_element(By.CSS_SELECTOR, "[data-testid=view-summary]").is_displayed()

    # At phone width: still no overflow, and the charts shrink with the screen.
    browser.set_window_size(*PHONE)
    browser.get(server.url("/?range=365&by=team"))
    width, screen = fits(browser)
    assert width <= screen, f"{width} px wide on a {screen} px screen"
    chart = browser.find_element(By.CSS_SELECTOR, "#nps-trend svg")
    assert 0 < chart.size["width"] <= screen
    problems += check_page_as_is(browser, server, "/?range=365&by=team (phone)")

    # Follow the NPS tile's n to the survey's responses: the same 8, filtered as the tile counted them.
    browser.find_element(By.CSS_SELECTOR, "[data-testid=tile-nps-n]").click()
    wait_for_path(browser, f"/surveys/{nps}")
    assert text_of_testid(browser, "response-count") == "8"
    assert len(browser.find_elements(By.CSS_SELECTOR, "[data-testid=response-table] tbody tr")) == 8
    problems += check_page_as_is(browser, server, f"/surveys/{nps}?… (filtered)")

    # The survey's results page, and a breakdown row's n to its group's responses.
    browser.find_element(By.ID, "survey-results").click()
    wait_for_path(browser, f"/surveys/{nps}/results")
    problems += check_page_as_is(browser, server, f"/surveys/{nps}/results (phone)")
    kim = browser.find_element(By.XPATH, "//section[@id='results-nps-by-agent']//tr[th[text()='kim']]//a")
    kim_n = kim.text
    kim.click()
    wait_for_path(browser, f"/surveys/{nps}")
    assert text_of_testid(browser, "response-count") == kim_n == "4"

    # A filter that does not fit: a message, the form to fix it, no error page.
    problems += check_page(browser, server, "/?from=2026-02-30")
    assert "The start date must be a date like" in text_of_testid(browser, "filter-error")
    assert not problems, "\n".join(problems)
