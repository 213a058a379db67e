"""The Customer 360 pages in a real browser (headless Chromium): a CSV import uploaded through the form, followed on its
page while a background job runs it, with its rejected rows listed by number; a customer found by search and opened;
a segment built from a rule and its members listed."""

from __future__ import annotations

import re
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from browser_ui import (
    alert_text,
    click_and_wait_for_page,
    complete_setup,
    fill,
    path_of,
    table_rows,
    text_of_testid,
    wait_for_testid_text,
)
from conftest import UUID_PATTERN, RapportServer

CUSTOMERS_CSV = """email,name,plan
grace@acme.test,Grace Hopper,pro
,Nobody Known,free
alan@acme.test,Alan Turing,free
not-an-email,Bad Address,pro
ada@acme.test,Ada Lovelace,pro
"""


def upload(browser: WebDriver, server: RapportServer, path: Path, kind: str) -> None:
    browser.get(server.url("/imports"))
    Select(browser.find_element(By.NAME, "type")).select_by_value(kind)
    browser.find_element(By.NAME, "file").send_keys(str(path))
    click_and_wait_for_page(browser, "upload-import")


def customer_names(browser: WebDriver) -> set[str]:
    return {row[0] for row in table_rows(browser, "customer-table") if len(row) == 4}


def test_imported_customers_are_searched_opened_and_segmented_in_the_browser(
    server: RapportServer, browser: WebDriver, tmp_path: Path
):
    complete_setup(browser, server, "Acme Support", "lead@acme.test")

    # Import: good rows kept, each bad row listed by its number (the header is row 1).
    path = tmp_path / "customers.csv"
    path.write_text(CUSTOMERS_CSV, encoding="utf-8")
    upload(browser, server, path, "customers")
    match = re.fullmatch(r"/imports/(.+)", path_of(browser))
    assert match and UUID_PATTERN.fullmatch(match[1]), browser.current_url
    # The file is imported in the background; the page follows it without being reloaded.
    assert text_of_testid(browser, "import-status") in {"queued", "running", "completed"}
    assert wait_for_testid_text(browser, "import-status", {"completed", "failed"}) == "completed"
    assert path_of(browser) == f"/imports/{match[1]}"
    assert (text_of_testid(browser, "rows-read"), text_of_testid(browser, "rows-imported"),
            text_of_testid(browser, "rows-rejected")) == ("5", "3", "2")
    rejected = table_rows(browser, "rejections")
    assert [(row[0], row[1]) for row in rejected] == [("3", "email"), ("5", "email")], rejected
    assert all(row[2] for row in rejected), rejected
    browser.get(server.url("/imports"))
    assert table_rows(browser, "import-table")[0][1:] == ["customers", "completed", "5", "3", "2"]

    # Search by a full email finds one person; the profile shows what the file said.
    browser.get(server.url("/customers"))
    fill(browser, search="grace@acme.test")
    click_and_wait_for_page(browser, "search")
    assert customer_names(browser) == {"Grace Hopper"}
    fill(browser, search="ada")
    click_and_wait_for_page(browser, "search")
    assert customer_names(browser) == {"Ada Lovelace"}
    browser.find_element(By.LINK_TEXT, "Ada Lovelace").click()
    assert text_of_testid(browser, "customer-name") == "Ada Lovelace"
    traits = {
        row.find_element(By.TAG_NAME, "th").text.strip(): row.find_element(By.TAG_NAME, "td").text.strip()
        for row in browser.find_elements(By.CSS_SELECTOR, "[data-testid=traits] tr")
    }
    assert traits["plan"] == "pro" and traits["email"] == "ada@acme.test", traits
    assert "email:ada@acme.test" in text_of_testid(browser, "identifiers")

    # Consent recorded from the profile (she asked on the phone to stop marketing emails); a bad purpose is refused.
    profile_path = path_of(browser)
    fill(browser, purpose="marketing_email")
    Select(browser.find_element(By.NAME, "channel")).select_by_value("email")
    Select(browser.find_element(By.NAME, "status")).select_by_value("withdrawn")
    click_and_wait_for_page(browser, "record-consent")
    assert path_of(browser) == profile_path, "after recording, the browser should be back on the profile (post/redirect/get)"
    assert "Consent recorded" in browser.find_element(By.CSS_SELECTOR, "[role=status]").text
    consents = browser.find_element(By.CSS_SELECTOR, "[data-testid=consents]").text
    assert "marketing_email on email: withdrawn" in consents and "web:lead@acme.test" in consents, consents
    fill(browser, purpose="Not A Purpose!")
    click_and_wait_for_page(browser, "record-consent")
    assert "purpose" in alert_text(browser)
    browser.get(server.url(profile_path))
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=consents]").text.count("marketing_email") == 1

    # A segment from a rule typed as JSON (the advanced editor under the builder): exactly the matching people; a rule
    # that is not JSON is refused with a message. The builder itself is tested in test_segment_builder.py.
    browser.get(server.url("/segments"))
    open_json_editor(browser)
    fill(browser, name="Pro plan", rule='{"field": "trait.plan", "op": "eq", "value": "pro"}')
    click_and_wait_for_page(browser, "create-segment")
    browser.get(server.url("/segments"))
    segments = table_rows(browser, "segment-table")
    assert [(row[0], row[1], row[2]) for row in segments] == [("Pro plan", "2", "Plan is pro")], segments
    browser.find_element(By.CSS_SELECTOR, "[data-testid=segment-table] a[aria-label^='2 members']").click()
    assert customer_names(browser) == {"Grace Hopper", "Ada Lovelace"}
    browser.get(server.url("/segments"))
    open_json_editor(browser)
    fill(browser, name="Broken", rule="{not json")
    click_and_wait_for_page(browser, "create-segment")
    assert "not valid JSON" in alert_text(browser)
    assert [row[0] for row in table_rows(browser, "segment-table")] == ["Pro plan"]


def open_json_editor(browser: WebDriver) -> None:
    """Opens "Advanced: edit as JSON" under the rule builder (the builder closes it when JavaScript runs)."""
    details = browser.find_element(By.CSS_SELECTOR, "[data-rule-json]")
    if details.get_attribute("open") is None:
        details.find_element(By.TAG_NAME, "summary").click()


def test_a_file_without_an_identifier_column_shows_why_the_import_stopped(
    server: RapportServer, browser: WebDriver, tmp_path: Path
):
    complete_setup(browser, server, "Acme Support", "lead@acme.test")
    path = tmp_path / "nameless.csv"
    path.write_text("name,plan\nGrace,pro\n", encoding="utf-8")
    upload(browser, server, path, "customers")
    assert text_of_testid(browser, "import-status") == "failed"
    assert "email or user_id" in alert_text(browser)
    browser.get(server.url("/customers"))
    assert customer_names(browser) == set()
