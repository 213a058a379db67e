"""The design of the web UI in a real browser (headless Chromium), as a new user meets it: every page the navigation
leads to, plus a customer profile, a survey, an import and a follow-up case, at laptop (1280×800) and phone (390×844)
width. Each page is saved as a screenshot (in a temporary folder whose path is printed, never in git); at phone width
no page may be wider than the screen; axe finds no serious or critical WCAG 2.1 A/AA violation. The dark scheme
(Chromium's emulated `prefers-color-scheme: dark`) is checked once for colour contrast. The workspace is the demo one
(`--demo`) with more data sent through the API, so tables, timeline and audit log are not empty."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import requests
from axe_core_python.selenium import Axe
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from browser_ui import fill, submit_and_wait_for_page, wait_for_path
from conftest import ApiClient, Cli, RapportServer, show, wait_for
from test_survey_invitations import nps_with_reason

DEMO_EMAIL = "demo@rapport.local"
DEMO_PASSWORD = "rapport-demo-password"
LAPTOP = (1280, 800)
PHONE = (390, 844)
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
CONTRAST_ONLY = {"runOnly": {"type": "rule", "values": ["color-contrast"]}}


def seed(server: RapportServer, cli: Cli) -> dict[str, str]:
    """Data the demo lacks, sent as a client would: a tracked event with properties (one nested), a consent, an
    order, a survey with a detractor's answer (which opens a follow-up case), a CSV import and a segment edit.
    Returns the pages they lead to."""
    api = server.client(cli.create_api_key("Demo", "design", "admin"))
    track_key = cli.create_api_key("Demo", "design-track", "track")
    sent = requests.post(server.url("/v1/batch"), auth=(track_key, ""), timeout=10, json={"batch": [
        {"type": "identify", "userId": "design-1", "traits": {"email": "lee.design@example.com", "name": "Lee Design"}},
        {"type": "track", "userId": "design-1", "event": "Plan Upgraded", "properties": {
            "plan": "pro", "seats": 12, "annual": True, "note": "x" * 200,
            "billing": {"country": "DE", "vat": "DE123", "method": "card"}, "tags": ["beta", "eu"]}},
    ]})
    assert sent.status_code == 200, show(sent)
    customer = wait_for(lambda: next(iter(api.get("/api/v1/customers", params={"search": "lee.design@example.com"})
                                          .json()["data"]), None), "the tracked customer")
    customer_id = customer["id"]
    consent = api.post(f"/api/v1/customers/{customer_id}/consents",
                       json={"purpose": "marketing_email", "status": "granted", "channel": "email"})
    assert consent.status_code == 201, show(consent)
    order = api.post("/api/v1/orders", json={"order_id": "D-1", "customer_id": customer_id, "currency": "EUR", "products": [
        {"product_id": "MUG", "name": "Mug", "price": 9.5, "quantity": 2}, {"name": "Tee", "price": 20, "quantity": 1}]})
    assert order.status_code == 201, show(order)
    survey = api.post("/api/v1/surveys", json={"name": "After your ticket", "questions": nps_with_reason()})
    assert survey.status_code == 201, show(survey)
    survey_id = survey.json()["id"]
    assert api.post(f"/api/v1/surveys/{survey_id}/activate").status_code == 200
    answered = api.post(f"/api/v1/surveys/{survey_id}/responses", json={
        "email": "lee.design@example.com", "answers": {"score": 3, "reason": "Nobody called back"}})
    assert answered.status_code == 201, show(answered)
    cases = wait_for(lambda: api.get("/api/v1/follow-ups").json()["data"], "the follow-up case")
    csv = "email,name,plan\nana@example.com,Ana,pro\nnot-an-email,Bad,free\n"
    queued = api.post("/api/v1/imports", params={"type": "customers"}, data=csv.encode(),
                      headers={"Content-Type": "text/csv"})
    assert queued.status_code == 202, show(queued)
    segment = api.get("/api/v1/segments").json()["data"][0]
    assert api.patch(f"/api/v1/segments/{segment['id']}", json={"name": segment["name"] + " (EU)"}).status_code == 200
    return {"customer": f"/customers/{customer_id}", "survey": f"/surveys/{survey_id}",
            "import": f"/imports/{queued.json()['id']}", "follow-up": f"/follow-ups/{cases[0]['id']}"}


def sign_in(browser: WebDriver, server: RapportServer) -> None:
    browser.get(server.url("/login"))
    fill(browser, email=DEMO_EMAIL, password=DEMO_PASSWORD)
    submit_and_wait_for_page(browser)
    wait_for_path(browser, "/")


def serious_violations(browser: WebDriver, options: dict) -> list[str]:
    results = Axe().run(browser, options=options)
    return [f"{violation['id']} ({violation['impact']}): {violation['help']} at "
            f"{[node['target'] for node in violation['nodes'][:3]]}"
            for violation in results["violations"] if violation["impact"] in ("serious", "critical")]


def test_every_page_at_laptop_and_phone_width_fits_and_passes_axe(
    start_server, sqlite_database: str, cli: Cli, browser: WebDriver
):
    server = start_server(sqlite_database, args=("--demo",))
    pages = seed(server, cli)
    sign_in(browser, server)
    nav = [link.get_attribute("href").removeprefix(server.url(""))
           for link in browser.find_elements(By.CSS_SELECTOR, "nav.mainnav a")]
    assert "/settings/audit-log" in nav and len(nav) >= 15, nav
    paths = nav + list(pages.values())
    shots = Path(tempfile.mkdtemp(prefix="rapport-screenshots-"))
    print(f"\nscreenshots: {shots}")
    problems: list[str] = []
    for width, height in (LAPTOP, PHONE):
        browser.set_window_size(width, height)
        for path in paths:
            browser.get(server.url(path))
            name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "overview"
            inner = browser.execute_script("return window.innerWidth")
            page_width = browser.execute_script("return document.documentElement.scrollWidth")
            browser.set_window_size(width, max(height, browser.execute_script("return document.body.scrollHeight")))
            browser.save_screenshot(str(shots / f"{width}-{name}.png"))
            browser.set_window_size(width, height)
            if width == PHONE[0] and page_width > inner:
                problems.append(f"{path}: {page_width} px wide on a {inner} px screen")
            problems += [f"{path} at {width} px: {problem}" for problem in serious_violations(browser, AXE_OPTIONS)]
            # "You are here": the page's own navigation item, and only it, is marked.
            current = browser.find_elements(By.CSS_SELECTOR, "nav.mainnav a[aria-current=page]")
            if path in nav and [link.get_attribute("href").removeprefix(server.url("")) for link in current] != [path]:
                problems.append(f"{path}: aria-current marks {[link.text for link in current]}")
    assert not problems, "\n".join(problems)

    # The skip link is the first stop of the keyboard, and leads to the page's main part.
    browser.get(server.url(pages["customer"]))
    skip = browser.find_element(By.CSS_SELECTOR, "a.skip-link")
    assert skip.get_attribute("href").endswith("#main") and browser.find_elements(By.ID, "main")
    # The timeline says what happened: the event's properties (long text cut, the nested object summarised), the
    # consent's status and channel, the order's total and items, the survey answer's score.
    pairs = browser.execute_script(
        """return [...document.querySelectorAll('[data-testid=timeline] .props > div')]
             .map(d => d.querySelector('dt').textContent + ': ' + d.querySelector('dd').textContent)""")
    for said in ("plan: pro", "seats: 12", "annual: yes", "billing: 3 fields", "tags: beta, eu", "status: granted",
                 "channel: email", "total: 39.00 EUR", "items: 3", "score: 3 (detractor)", "reason: Nobody called back"):
        assert said in pairs, f"{said!r} not in the timeline: {pairs}"
    assert "note: " + "x" * 79 + "…" in pairs, pairs
    assert "1 order ·" in browser.find_element(By.CSS_SELECTOR, "main").text
    # Dates are <time> elements the browser shows in the viewer's zone, the exact moment on hover.
    stamp = browser.find_element(By.CSS_SELECTOR, "[data-testid=timeline] time")
    assert stamp.get_attribute("datetime").endswith("Z") and stamp.get_attribute("title")
    assert re.search(r"(ago|now|minute|second)", stamp.text), stamp.text

    # The audit log shows the consent and the segment edit, in words.
    browser.get(server.url("/settings/audit-log"))
    audit = browser.find_element(By.CSS_SELECTOR, "[data-testid=audit-table]").text
    assert "Consent recorded" in audit and "Segment updated" in audit and "Segment created" in audit, audit


def test_a_new_key_is_shown_once_with_a_copy_button_and_the_snippets_that_use_it(
    start_server, sqlite_database: str, cli: Cli, browser: WebDriver
):
    server = start_server(sqlite_database, args=("--demo",))
    sign_in(browser, server)
    browser.get(server.url("/settings/api-keys"))
    fill(browser, name="Website")
    browser.find_element(By.CSS_SELECTOR, "select[name=scope] option[value=track]").click()
    browser.find_element(By.ID, "create-key").click()
    secret = wait_for(lambda: browser.find_elements(By.ID, "new-secret"), "the new key")[0].text
    snippet = browser.find_element(By.CSS_SELECTOR, "[data-testid=key-snippet]").text
    assert f'<script src="{server.url("/rapport.js")}" data-write-key="{secret}"></script>' in snippet, snippet
    curl = browser.find_element(By.CSS_SELECTOR, "[data-testid=key-curl]").text
    assert f"curl -u '{secret}:'" in curl and server.url("/v1/track") in curl, curl
    # The copy button (shown by app.js) puts the key on the clipboard: pasted into a field, it reads the same.
    browser.execute_cdp_cmd("Browser.grantPermissions", {
        "origin": server.url(""), "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    browser.find_element(By.ID, "copy-secret").click()
    wait_for(lambda: "Copied." in browser.find_element(By.CSS_SELECTOR, "[data-testid=new-secret]").text, "Copied.")
    pasted = browser.execute_async_script("navigator.clipboard.readText().then(arguments[0], () => arguments[0](''))")
    assert pasted == secret
    # The curl command of a REST key works as written.
    browser.get(server.url("/settings/api-keys"))
    fill(browser, name="Reports")
    browser.find_element(By.ID, "create-key").click()
    curl = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "[data-testid=key-curl]"), "the curl example")[0].text
    key = re.search(r"Bearer ([^']+)'", curl)[1]
    url = re.search(r"'(http[^']+)'", curl)[1]
    answer = requests.get(url, headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert answer.status_code == 200 and answer.json()["data"], show(answer)
    # Shown once: the page again has no secret.
    browser.get(server.url("/settings/api-keys"))
    assert not browser.find_elements(By.ID, "new-secret")


def test_the_dark_scheme_keeps_contrast(start_server, sqlite_database: str, cli: Cli, browser: WebDriver):
    server = start_server(sqlite_database, args=("--demo",))
    pages = seed(server, cli)
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {
        "features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    sign_in(browser, server)
    problems: list[str] = []
    for path in ["/", "/customers", pages["customer"], pages["survey"], pages["follow-up"], pages["import"],
                 "/settings/api-keys", "/settings/audit-log", "/settings/jobs"]:
        browser.get(server.url(path))
        background = browser.execute_script("return getComputedStyle(document.body).backgroundColor")
        channels = [int(value) for value in re.findall(r"\d+", background)[:3]]
        assert max(channels) < 60, f"{path} is not dark: {background}"
        problems += [f"{path}: {problem}" for problem in serious_violations(browser, CONTRAST_ONLY)]
    assert not problems, "\n".join(problems)
