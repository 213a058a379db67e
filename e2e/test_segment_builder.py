"""The Segments page's rule builder in a real browser (headless Chromium), as a support lead uses it: a two-condition
rule built with the mouse and the keyboard from the workspace's own traits and events, the live count following each
change, the segment saved and then edited on its own page (its rule read as a sentence), and both pages at phone width
(nothing wider than the screen) and through axe (no WCAG 2.1 A/AA violation)."""

from __future__ import annotations

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from browser_ui import click_and_wait_for_page, complete_setup, path_of, table_rows
from conftest import Cli, RapportServer, wait_for
from test_accessibility import check_page_as_is

PHONE = (390, 844)


def seed_people(server: RapportServer, cli: Cli) -> None:
    """Four customers: two on the pro plan (one who logged in three times this week), two on the free plan (one who
    logged in twice)."""
    track_key = cli.create_api_key("Acme", "builder-track", "track")
    batch = [
        {"type": "identify", "userId": "a1", "traits": {"email": "a1@example.com", "name": "Ann", "plan": "pro"}},
        {"type": "identify", "userId": "a2", "traits": {"email": "a2@example.com", "name": "Bo", "plan": "pro"}},
        {"type": "identify", "userId": "a3", "traits": {"email": "a3@example.com", "name": "Cy", "plan": "free"}},
        {"type": "identify", "userId": "a4", "traits": {"email": "a4@example.com", "name": "Di", "plan": "free"}},
    ]
    batch += [{"type": "track", "userId": "a1", "event": "Logged In"} for _ in range(3)]
    batch += [{"type": "track", "userId": "a3", "event": "Logged In"} for _ in range(2)]
    sent = requests.post(server.url("/v1/batch"), auth=(track_key, ""), json={"batch": batch}, timeout=10)
    assert sent.status_code == 200, sent.text


def count_text(browser: WebDriver) -> str:
    return browser.find_element(By.CSS_SELECTOR, "[data-segment-count]").text


def wait_for_count(browser: WebDriver, expected: str) -> str:
    return wait_for(lambda: expected in count_text(browser) and count_text(browser), f"the live count {expected!r}",
                    timeout=20)


def rows(browser: WebDriver):
    return browser.find_elements(By.CSS_SELECTOR, "[data-rule-builder] .rule-row")


def active(browser: WebDriver):
    return browser.switch_to.active_element


def test_a_rule_is_built_counted_saved_and_edited(server: RapportServer, cli: Cli, browser: WebDriver):
    complete_setup(browser, server, "Acme", "lead@acme.test")
    seed_people(server, cli)
    browser.get(server.url("/segments"))
    assert "docs/segments.md" not in browser.page_source
    wait_for(lambda: browser.find_element(By.CSS_SELECTOR, "[data-rule-builder]").is_displayed(), "the builder")
    assert browser.find_element(By.CSS_SELECTOR, "[data-rule-json]").get_attribute("open") is None, "JSON is advanced"

    browser.find_element(By.NAME, "name").send_keys("Active pros")
    # First condition with the mouse: the field picker lists the workspace's traits and events by name.
    field = Select(rows(browser)[0].find_element(By.CSS_SELECTOR, "select[data-part=field]"))
    groups = [group.get_attribute("label") for group in field._el.find_elements(By.TAG_NAME, "optgroup")]
    assert groups[:2] == ["Customer traits", "Events (how many times)"], groups
    assert "Plan" in [option.text for option in field.options] and "Logged In" in [o.text for o in field.options]
    field.select_by_value("trait.plan")
    assert Select(rows(browser)[0].find_element(By.CSS_SELECTOR, "select[data-part=op]")).first_selected_option.text == "is"
    rows(browser)[0].find_element(By.CSS_SELECTOR, "input[data-part=value]").send_keys("pro")
    wait_for_count(browser, "2 customers match")

    # Second condition with the keyboard: "Add condition" puts the focus on the new row's field picker.
    add = browser.find_element(By.XPATH, "//button[normalize-space()='Add condition']")
    add.send_keys(Keys.ENTER)
    wait_for(lambda: len(rows(browser)) == 2, "a second row")
    assert active(browser).get_attribute("data-part") == "field", "the focus moves to the new row"
    Select(active(browser)).select_by_value("event.Logged In.count")
    assert active(browser).get_attribute("data-part") == "field", "the focus stays on the picker after it redraws"
    # An incomplete condition says why it is not counted yet.
    wait_for_count(browser, "Not counted yet")
    active(browser).send_keys(Keys.TAB)  # the operator: "at least" by default
    assert active(browser).get_attribute("data-part") == "op"
    active(browser).send_keys(Keys.TAB)
    assert active(browser).get_attribute("data-part") == "value"
    active(browser).send_keys("2")
    active(browser).send_keys(Keys.TAB)
    assert active(browser).get_attribute("data-part") == "days"
    active(browser).send_keys("30")
    wait_for_count(browser, "1 customer matches")

    click_and_wait_for_page(browser, "create-segment")
    segment_path = path_of(browser)
    assert segment_path.startswith("/segments/"), segment_path
    sentence = browser.find_element(By.CSS_SELECTOR, "[data-testid=segment-sentence]").text
    assert sentence == "Plan is pro and did Logged In at least 2 times in the last 30 days", sentence
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=member-count]").text == "1 customer"

    # Editing: the builder shows the saved rule; "Any of these" widens it, and the count compares with the members.
    wait_for_count(browser, "1 customer matches")
    assert len(rows(browser)) == 2
    name = browser.find_element(By.NAME, "name")
    name.clear()
    name.send_keys("Pros or regulars")
    Select(browser.find_element(By.CSS_SELECTOR, "[data-rule-builder] select[data-part=mode]")).select_by_value("any")
    wait_for_count(browser, "3 customers match (the segment has 1 member now)")
    # Removing a row moves the focus to the row that took its place, and the count follows.
    rows(browser)[1].find_element(By.CSS_SELECTOR, "button[data-action=remove]").click()
    wait_for(lambda: len(rows(browser)) == 1, "one row left")
    wait_for_count(browser, "2 customers match")
    browser.find_element(By.XPATH, "//button[normalize-space()='Add condition']").click()
    Select(active(browser)).select_by_value("event.Logged In.count")
    rows(browser)[1].find_element(By.CSS_SELECTOR, "input[data-part=value]").send_keys("2")
    wait_for_count(browser, "3 customers match")
    click_and_wait_for_page(browser, "save-segment")
    assert "Segment saved" in browser.find_element(By.CSS_SELECTOR, "[role=status]").text
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=segment-name]").text == "Pros or regulars"
    sentence = browser.find_element(By.CSS_SELECTOR, "[data-testid=segment-sentence]").text
    assert sentence == "Plan is pro or did Logged In at least 2 times", sentence
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=member-count]").text == "3 customers"

    browser.get(server.url("/segments"))
    listed = table_rows(browser, "segment-table")
    assert [(row[0], row[1], row[2]) for row in listed] == [
        ("Pros or regulars", "3", "Plan is pro or did Logged In at least 2 times")], listed

    # Phone width: nothing wider than the screen, and axe finds nothing, on the list (with the new-segment builder),
    # the segment's page and a refused edit (its inline error and the entered values).
    browser.set_window_size(*PHONE)
    problems = []
    for path in ("/segments", segment_path):
        browser.get(server.url(path))
        wait_for_count(browser, "match")
        problems += check_page_as_is(browser, server, path)
    browser.find_element(By.NAME, "name").clear()
    browser.find_element(By.ID, "save-segment").click()  # the browser's own check refuses an empty name first
    assert path_of(browser) == segment_path
    wait_for(lambda: rows(browser), "the builder")
    Select(rows(browser)[0].find_element(By.CSS_SELECTOR, "select[data-part=op]")).select_by_value("gt")
    browser.find_element(By.NAME, "name").send_keys("Big pros")
    click_and_wait_for_page(browser, "save-segment")
    error = browser.find_element(By.ID, "segment-form-error")
    assert "needs a number" in error.text, error.text
    assert browser.find_element(By.NAME, "name").get_attribute("value") == "Big pros"
    assert browser.switch_to.active_element == error, "the focus goes to the message"
    problems += check_page_as_is(browser, server, segment_path + " (refused)")
    assert not problems, "\n".join(problems)

    # Deleting asks for a confirmation.
    browser.get(server.url(segment_path))
    browser.find_element(By.ID, "confirm-delete").click()
    click_and_wait_for_page(browser, "delete-segment")
    assert path_of(browser) == "/segments"
    assert "No segments yet." in browser.find_element(By.CSS_SELECTOR, "[data-testid=segment-table]").text
