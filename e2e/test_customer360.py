"""Customer 360: what a shop sees after wiring Rapport in.

Events arrive through the Segment-compatible tracking API (`/v1/*`, a `track` key as the HTTP Basic user name), from
Segment's own Python client, from raw HTTP and from `/rapport.js` in a real browser; CSV files arrive through
`rapport import` and `POST /api/v1/imports` (stored, then imported by a background job). Everything is then checked
through the REST API with an admin key:
search, profile, timeline, orders, segments, export and erasure, and that another workspace sees none of it.
"""

from __future__ import annotations

import functools
import gzip as gzip_codec
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from segment.analytics import Client as SegmentClient
from selenium.webdriver.remote.webdriver import WebDriver

from conftest import (
    HTTP_TIMEOUT,
    NO_DATABASE_URL,
    UUID_PATTERN,
    ApiClient,
    Cli,
    RapportServer,
    assert_error,
    seed_workspace,
    show,
)

BROWSER_WAIT = 15  # seconds for a page's script to finish sending

# ---------------------------------------------------------------------------------------------------------------
# Helpers


@dataclass
class Shop:
    """A workspace on a running server, with a track key (for /v1/*) and an admin key (for /api/v1)."""

    server: RapportServer
    name: str
    id: str
    track_key: str
    api: ApiClient


def open_shop(cli: Cli, server: RapportServer, name: str) -> Shop:
    workspace = seed_workspace(cli, name)
    track_key = cli.create_api_key(name, "e2e-track", "track")
    return Shop(server, name, workspace.id, track_key, server.client(workspace.admin_key))


def iso(moment: datetime) -> str:
    """ISO-8601 UTC with milliseconds, as Rapport writes it."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def track_raw(shop: Shop, path: str, body: dict[str, Any], compress: bool = False) -> requests.Response:
    """POSTs one tracking call the way Segment's HTTP API is called: write key as the Basic user, no password."""
    data = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if compress:
        data = gzip_codec.compress(data)
        headers["Content-Encoding"] = "gzip"
    return requests.post(
        shop.server.url(path), data=data, headers=headers, auth=(shop.track_key, ""), timeout=HTTP_TIMEOUT
    )


def track_ok(shop: Shop, path: str, body: dict[str, Any], compress: bool = False) -> dict[str, Any]:
    response = track_raw(shop, path, body, compress)
    assert response.status_code == 200, show(response)
    answer = response.json()
    assert answer.get("success") is True, show(response)
    if path == "/v1/batch":
        assert answer.get("rejected") == [], show(response)
    return answer


def customers(shop: Shop, search: str | None = None) -> list[dict[str, Any]]:
    params = {"limit": "200"}
    if search is not None:
        params["search"] = search
    response = shop.api.get("/api/v1/customers", params=params)
    assert response.status_code == 200, show(response)
    return response.json()["data"]


def the_customer(shop: Shop, email: str) -> dict[str, Any]:
    """The one customer that a search for `email` finds with exactly that email."""
    found = [customer for customer in customers(shop, search=email) if customer["email"] == email]
    assert len(found) == 1, f"expected one customer with email {email}, search found: {json.dumps(found, indent=1)}"
    return found[0]


def profile(shop: Shop, customer_id: str) -> dict[str, Any]:
    response = shop.api.get(f"/api/v1/customers/{customer_id}")
    assert response.status_code == 200, show(response)
    return response.json()


def timeline(shop: Shop, customer_id: str, types: str | None = None) -> list[dict[str, Any]]:
    """The customer's timeline, newest first."""
    params = {"limit": "200"}
    if types is not None:
        params["type"] = types
    response = shop.api.get(f"/api/v1/customers/{customer_id}/timeline", params=params)
    assert response.status_code == 200, show(response)
    body = response.json()
    assert body["next_cursor"] is None, "more than 200 timeline entries: the test expected far fewer"
    return body["data"]


def summary(entries: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    return [(entry["type"], entry["name"]) for entry in entries]


def identifier_set(customer_profile: dict[str, Any]) -> set[tuple[str, str]]:
    return {(identifier["type"], identifier["value"]) for identifier in customer_profile["identifiers"]}


class SegmentSender:
    """Segment's Python client (unmodified), pointed at Rapport; collects upload errors instead of logging them."""

    def __init__(self, shop: Shop, gzip: bool = False):
        self.errors: list[str] = []
        self.client = SegmentClient(
            shop.track_key,
            host=shop.server.base_url,
            gzip=gzip,
            max_retries=0,
            on_error=lambda error, batch: self.errors.append(f"{error!r} for {len(batch)} messages"),
        )

    def flush(self) -> None:
        """Sends what is queued and waits for the answers; fails on any refused upload."""
        self.client.flush()
        assert not self.errors, f"Rapport refused uploads of the Segment client: {self.errors}"

    def close(self) -> None:
        self.client.shutdown()


@pytest.fixture
def shop(cli: Cli, server: RapportServer) -> Shop:
    return open_shop(cli, server, "Acme Shop")


@pytest.fixture
def segment_sender(shop: Shop):
    senders: list[SegmentSender] = []

    def make(gzip: bool = False) -> SegmentSender:
        sender = SegmentSender(shop, gzip)
        senders.append(sender)
        return sender

    yield make
    for sender in senders:
        sender.close()


# ---------------------------------------------------------------------------------------------------------------
# 1. Segment's Python client


@pytest.mark.parametrize("gzip", [False, True], ids=["plain", "gzip"])
def test_segment_python_client_events_land_on_the_profile_timeline_in_order(shop: Shop, segment_sender, gzip: bool):
    """An unmodified Segment Python client, pointed at Rapport with a track key, sends identify + track + page + an
    `Order Completed`; after `flush()` the customer is found by email search and its timeline shows those
    interactions in order, the order with its lines."""
    sender = segment_sender(gzip)
    email = "ann.lee@example.com"
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)
    at = [start + timedelta(seconds=5 * step) for step in range(4)]
    lines = [
        {"product_id": "p-mug", "sku": "MUG-1", "name": "Mug", "category": "Kitchen", "price": 12.5, "quantity": 2},
        {"product_id": "p-tee", "sku": "TEE-9", "name": "T-shirt", "category": "Apparel", "price": 34.0, "quantity": 1},
    ]
    client = sender.client
    client.identify(
        user_id="user-ann",
        traits={"email": email, "name": "Ann Lee", "plan": "pro"},
        timestamp=at[0],
        message_id="m-identify",
    )
    client.page(
        user_id="user-ann", name="Pricing", properties={"path": "/pricing"}, timestamp=at[1], message_id="m-page"
    )
    client.track(
        user_id="user-ann", event="Viewed Product", properties={"sku": "MUG-1"}, timestamp=at[2], message_id="m-track"
    )
    client.track(
        user_id="user-ann",
        event="Order Completed",
        properties={"order_id": "ORD-1001", "total": 59.0, "currency": "EUR", "products": lines},
        timestamp=at[3],
        message_id="m-order",
    )
    sender.flush()

    customer = the_customer(shop, email)
    assert customer["name"] == "Ann Lee"
    assert customer["traits"]["plan"] == "pro"

    entries = timeline(shop, customer["id"])
    assert summary(entries) == [
        ("order", "ORD-1001"),
        ("track", "Viewed Product"),
        ("page", "Pricing"),
        ("identify", None),
    ], json.dumps(entries, indent=1)
    assert [entry["message_id"] for entry in entries] == ["m-order", "m-track", "m-page", "m-identify"]
    for entry, sent_at in zip(reversed(entries), at):
        drift = abs((parse_time(entry["occurred_at"]) - sent_at).total_seconds())
        assert drift < 60, f"{entry['type']} occurred_at {entry['occurred_at']}, sent with timestamp {iso(sent_at)}"
    assert entries[1]["properties"] == {"sku": "MUG-1"}
    assert entries[2]["properties"]["path"] == "/pricing"
    assert entries[3]["properties"]["email"] == email

    order = entries[0]["properties"]
    assert order["order_id"] == "ORD-1001"
    assert order["total"] == 59.0 and order["currency"] == "EUR"
    assert [{key: line[key] for key in lines[0]} for line in order["products"]] == lines

    only_page_and_track = timeline(shop, customer["id"], types="page,track")
    assert summary(only_page_and_track) == [("track", "Viewed Product"), ("page", "Pricing")]

    response = shop.api.get(f"/api/v1/customers/{customer['id']}/orders")
    assert response.status_code == 200, show(response)
    orders = response.json()["data"]
    assert len(orders) == 1, show(response)
    assert orders[0]["order_id"] == "ORD-1001" and orders[0]["customer_id"] == customer["id"]
    assert orders[0]["total"] == 59.0 and orders[0]["source"] == "track"
    assert [{key: line[key] for key in lines[0]} for line in orders[0]["products"]] == lines

    full = profile(shop, customer["id"])
    assert {("user_id", "user-ann"), ("email", email)} <= identifier_set(full)
    purchases = full["purchases"]
    assert purchases["order_count"] == 1
    assert purchases["revenue"] == 59.0 and purchases["average_order_value"] == 59.0
    assert purchases["first_order_at"] == purchases["last_order_at"] == entries[0]["occurred_at"]
    assert purchases["repeat_purchaser"] is False


# ---------------------------------------------------------------------------------------------------------------
# 2. Deduplication by messageId


def test_same_message_id_sent_twice_by_the_segment_client_is_stored_once(shop: Shop, segment_sender):
    """Sending the same messageId twice stores one event."""
    sender = segment_sender()
    sender.client.identify(user_id="user-dup", traits={"email": "dup@example.com"})
    for _ in range(2):
        sender.client.track(user_id="user-dup", event="Clicked Banner", message_id="banner-click-1")
    sender.flush()
    sender.client.track(user_id="user-dup", event="Clicked Banner", message_id="banner-click-1")
    sender.flush()

    customer = the_customer(shop, "dup@example.com")
    clicks = timeline(shop, customer["id"], types="track")
    assert [entry["message_id"] for entry in clicks] == ["banner-click-1"], json.dumps(clicks, indent=1)


def test_same_message_id_in_separate_requests_is_stored_once(shop: Shop):
    """Sending the same messageId twice stores one event (raw HTTP, once gzipped; a batch's answer counts the
    duplicate)."""
    message = {
        "userId": "user-raw",
        "event": "Signed Up",
        "messageId": "signup-raw-1",
        "properties": {"plan": "trial"},
        "context": {"traits": {"email": "raw@example.com"}},
    }
    track_ok(shop, "/v1/track", message)
    track_ok(shop, "/v1/track", message, compress=True)
    answer = track_ok(shop, "/v1/batch", {"batch": [{"type": "track", **message}]})
    assert (answer["stored"], answer["duplicates"]) == (0, 1), answer

    customer = the_customer(shop, "raw@example.com")
    assert [(entry["name"], entry["message_id"]) for entry in timeline(shop, customer["id"])] == [
        ("Signed Up", "signup-raw-1")
    ]


# ---------------------------------------------------------------------------------------------------------------
# 3. rapport.js in a browser


PAGE_TEMPLATE = """<!doctype html>
<html>
<head>
<meta charset="utf-8">
<title>{title}</title>
<script>
  // Not part of the client: records what /v1/batch answered, so a refused batch shows in the test's report.
  window.batchResponses = [];
  const realFetch = window.fetch.bind(window);
  window.fetch = async (url, options) => {{
    try {{
      const response = await realFetch(url, options);
      if (String(url).endsWith("/v1/batch")) {{
        const body = await response.clone().text();
        window.batchResponses.push({{ url: String(url), status: response.status, body }});
      }}
      return response;
    }} catch (error) {{
      window.batchResponses.push({{ url: String(url), status: 0, body: String(error) }});
      throw error;
    }}
  }};
</script>
<script src="{rapport}/rapport.js" data-write-key="{key}"></script>
</head>
<body>
<h1>{title}</h1>
<script>
  window.pageSent = (async () => {{ rapport.page(); await rapport.flush(); return "sent"; }})();
</script>
</body>
</html>
"""


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Site:
    """The shop's own web site: static pages on another origin than Rapport."""

    root: Path
    base_url: str
    pages: dict[str, str] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.base_url + path


@pytest.fixture
def site(tmp_path: Path):
    root = tmp_path / "site"
    root.mkdir()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, name="e2e-site", daemon=True)
    thread.start()
    yield Site(root, f"http://127.0.0.1:{httpd.server_address[1]}")
    httpd.shutdown()
    httpd.server_close()


def write_pages(site: Site, shop: Shop) -> None:
    for path, title in (("/a.html", "Page A"), ("/b.html", "Page B")):
        html = PAGE_TEMPLATE.format(title=title, rapport=shop.server.base_url, key=shop.track_key)
        (site.root / path.lstrip("/")).write_text(html, encoding="utf-8")
        site.pages[path] = title


def in_page(browser: WebDriver, body: str, *args: Any) -> Any:
    """Runs async JavaScript (`body` may `await`, and `return`s the result) and waits for it."""
    script = (
        "const done = arguments[arguments.length - 1];"
        f"(async (...args) => {{ {body} }})(...Array.from(arguments).slice(0, -1))"
        ".then(value => done({ value }), error => done({ error: String(error && error.stack || error) }));"
    )
    outcome = browser.execute_async_script(script, *args)
    assert "error" not in outcome, f"script failed in the page: {outcome['error']}"
    return outcome.get("value")


def assert_batches_accepted(browser: WebDriver, expected: int) -> None:
    responses = browser.execute_script("return window.batchResponses")
    assert len(responses) == expected, f"expected {expected} POST /v1/batch from the page, saw: {responses}"
    for response in responses:
        assert response["status"] == 200, f"POST {response['url']} -> {response['status']}\n{response['body']}"
        answer = json.loads(response["body"])
        assert answer.get("success") is True and answer.get("rejected") == [], response


def visit(browser: WebDriver, site: Site, path: str) -> None:
    """Opens a page and waits until its rapport.page() has been flushed to Rapport."""
    browser.get(site.url(path))
    assert in_page(browser, "return await window.pageSent;") == "sent"
    assert_batches_accepted(browser, 1)


@pytest.mark.parametrize("known_before", [False, True], ids=["new-visitor", "known-customer"])
def test_anonymous_browser_visitor_who_identifies_ends_as_one_profile(
    shop: Shop, site: Site, browser: WebDriver, known_before: bool
):
    """A browser-anonymous visitor who later identifies ends as one profile with the anonymous page views on its
    timeline. With `known-customer`, the backend identified that user before the visit, so the anonymous profile
    is merged into the known one."""
    browser.set_script_timeout(BROWSER_WAIT)
    write_pages(site, shop)
    email = "visitor@example.com"
    user_id = "user-visitor"
    # Somebody else, known beforehand, who must stay apart.
    track_ok(
        shop,
        "/v1/identify",
        {"userId": "user-bystander", "anonymousId": str(uuid.uuid4()), "traits": {"email": "bystander@example.com"}},
    )
    known_id = None
    if known_before:
        track_ok(shop, "/v1/identify", {"userId": user_id, "traits": {"email": email, "plan": "pro"}})
        known_id = the_customer(shop, email)["id"]

    visit(browser, site, "/a.html")
    anonymous_id = (browser.get_cookie("rapport_anonymous_id") or {}).get("value")
    assert anonymous_id, f"no rapport_anonymous_id cookie on {site.base_url}: {browser.get_cookies()}"
    visit(browser, site, "/b.html")
    assert browser.get_cookie("rapport_anonymous_id")["value"] == anonymous_id, "the anonymous id changed between pages"
    assert len(customers(shop)) == (3 if known_before else 2), "the anonymous visits should make one profile"

    in_page(
        browser,
        "rapport.identify(args[0], { email: args[1], name: 'Vera Visitor' }); await rapport.flush(); return true;",
        user_id,
        email,
    )
    assert_batches_accepted(browser, 2)

    visitor = the_customer(shop, email)
    everyone = {customer["email"]: customer["id"] for customer in customers(shop)}
    assert set(everyone) == {email, "bystander@example.com"}, f"expected the visitor and the bystander: {everyone}"

    entries = timeline(shop, visitor["id"])
    views = [entry for entry in entries if entry["type"] == "page"]
    assert [(entry["name"], entry["properties"]["path"]) for entry in views] == [
        ("Page B", "/b.html"),
        ("Page A", "/a.html"),
    ], json.dumps(entries, indent=1)
    identifies = [entry for entry in entries if entry["type"] == "identify"]
    browser_identify = [entry for entry in identifies if entry["properties"].get("name") == "Vera Visitor"]
    assert len(browser_identify) == 1, json.dumps(entries, indent=1)
    assert entries.index(browser_identify[0]) < entries.index(views[0]), "the identify came after the page views"

    full = profile(shop, visitor["id"])
    assert {("anonymous_id", anonymous_id), ("user_id", user_id), ("email", email)} <= identifier_set(full)
    assert full["name"] == "Vera Visitor"
    if known_before:
        assert visitor["id"] == known_id, "the older, known profile survives the merge"
        assert full["traits"].get("plan") == "pro"
        assert len(full["merges"]) == 1, json.dumps(full["merges"], indent=1)
        merged_id = full["merges"][0]["merged_id"]
        assert merged_id != known_id
        # The merged profile's id leads to the survivor.
        assert profile(shop, merged_id)["id"] == known_id
    else:
        assert full["merges"] == []

    bystander = the_customer(shop, "bystander@example.com")
    assert summary(timeline(shop, bystander["id"])) == [("identify", None)]


# ---------------------------------------------------------------------------------------------------------------
# 4. CSV imports


CUSTOMERS_CSV = """email,name,plan,phone
good1@example.com,Grace One,pro,+1 555 0101
not-an-email,Bad Email,pro,
,Nobody,free,
good2@example.com,"Two, Grace",free,
good3@example.com,Grace Three,pro,,surplus
good4@example.com,Grace Four,enterprise,+1 555 0104
"""
# Rows count the header as row 1.
CUSTOMERS_GOOD = {"good1@example.com": 2, "good2@example.com": 5, "good4@example.com": 7}
CUSTOMERS_BAD = {3: "email", 4: "email", 6: "row"}

ORDERS_CSV = """order_id,email,total,currency,sku,product_name,price,quantity,occurred_at
A-1,good1@example.com,42,USD,MUG-1,Mug,10,3,2026-11-01T10:00:00Z
A-1,good1@example.com,42,USD,TEE-9,T-shirt,12,1,2026-11-01T10:00:00Z
A-2,good1@example.com,lots,USD,MUG-1,Mug,10,1,2026-11-02
A-3,,15,USD,CAP-2,Cap,15,1,2026-11-03
A-4,good2@example.com,20,USD,CAP-2,Cap,20,1,last tuesday
A-5,good2@example.com,15,EUR,CAP-2,Cap,15,1,2026-11-05
"""
ORDERS_BAD = {4: "total", 5: "email", 6: "occurred_at"}


def rejections_by_row(job: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {rejection["row"]: rejection for rejection in job["rejections"]}


def test_cli_import_keeps_good_rows_and_reports_bad_rows_by_number(shop: Shop, cli: Cli, tmp_path: Path):
    """Importing a CSV with some malformed rows keeps the good rows and reports each bad one by row number
    (`rapport import customers FILE --workspace NAME --database URL`)."""
    path = tmp_path / "customers.csv"
    path.write_text(CUSTOMERS_CSV, encoding="utf-8")
    result = cli.run(
        "import", "customers", str(path), "--workspace", shop.name, "--database", cli.database, database=NO_DATABASE_URL
    )

    lines = [line for line in result.stdout.splitlines() if line.strip()]
    reported = {int(match[1]): match[2] for line in lines if (match := re.fullmatch(r"row (\d+): (.+)", line))}
    assert set(reported) == set(CUSTOMERS_BAD), result.stdout
    assert all(reason.strip() for reason in reported.values()), result.stdout
    match = re.fullmatch(r"import (\S+): completed, 3 imported, 3 rejected of 6 rows", lines[-1])
    assert match, f"unexpected summary line: {lines[-1]!r}\n{result.stdout}"
    import_id = match[1]
    assert UUID_PATTERN.fullmatch(import_id), import_id

    response = shop.api.get(f"/api/v1/imports/{import_id}")
    assert response.status_code == 200, show(response)
    job = response.json()
    assert (job["type"], job["status"]) == ("customers", "completed"), show(response)
    assert (job["rows_read"], job["rows_imported"], job["rows_rejected"]) == (6, 3, 3), show(response)
    by_row = rejections_by_row(job)
    assert {row: rejection["field"] for row, rejection in by_row.items()} == CUSTOMERS_BAD, show(response)
    assert {row: rejection["reason"] for row, rejection in by_row.items()} == reported

    for email in CUSTOMERS_GOOD:
        the_customer(shop, email)
    assert the_customer(shop, "good2@example.com")["traits"]["name"] == "Two, Grace"
    assert {customer["email"] for customer in customers(shop)} == set(CUSTOMERS_GOOD)
    phone_owner = profile(shop, the_customer(shop, "good4@example.com")["id"])
    assert phone_owner["traits"]["plan"] == "enterprise"
    phones = [value for kind, value in identifier_set(phone_owner) if kind == "phone"]
    assert [re.sub(r"\D", "", phone) for phone in phones] == ["15550104"], phone_owner["identifiers"]


def test_cli_import_of_a_file_without_an_identifier_column_fails(shop: Shop, cli: Cli, tmp_path: Path):
    """An import that fails as a whole (no email or user_id column) says so and exits non-zero."""
    path = tmp_path / "nameless.csv"
    path.write_text("name,plan\nGrace,pro\n", encoding="utf-8")
    result = cli.run("import", "customers", str(path), "--workspace", shop.name, check=False)
    assert result.returncode != 0, result.stdout
    assert re.search(r"import \S+: failed, 0 imported", result.stdout), result.stdout
    assert customers(shop) == []


def post_import(shop: Shop, kind: str, csv_text: str) -> dict[str, Any]:
    response = shop.api.post(
        "/api/v1/imports", params={"type": kind}, data=csv_text.encode(), headers={"Content-Type": "text/csv"}
    )
    # The file is stored and queued; a background job imports it, and the import's address shows its progress.
    assert response.status_code == 202, show(response)
    queued = response.json()
    assert queued["status"] == "queued", queued
    assert response.headers["Location"] == f"/api/v1/imports/{queued['id']}"
    deadline = time.monotonic() + 60
    while True:
        again = shop.api.get(response.headers["Location"])
        assert again.status_code == 200, show(again)
        job = again.json()
        if job["status"] in ("completed", "failed"):
            return job
        assert job["status"] in ("queued", "running"), job
        assert time.monotonic() < deadline, f"the import did not finish: {job}"
        time.sleep(0.1)


def test_api_import_keeps_good_rows_and_reports_bad_rows_by_number(shop: Shop):
    """Importing a CSV with some malformed rows keeps the good rows and reports each bad one by row number
    (`POST /api/v1/imports`, text/csv), for customers and then for their orders."""
    job = post_import(shop, "customers", CUSTOMERS_CSV)
    assert (job["type"], job["status"]) == ("customers", "completed"), job
    assert (job["rows_read"], job["rows_imported"], job["rows_rejected"]) == (6, 3, 3), job
    by_row = rejections_by_row(job)
    assert {row: rejection["field"] for row, rejection in by_row.items()} == CUSTOMERS_BAD, job
    assert all(rejection["reason"].strip() for rejection in job["rejections"]), job
    assert {customer["email"] for customer in customers(shop)} == set(CUSTOMERS_GOOD)

    job = post_import(shop, "orders", ORDERS_CSV)
    assert (job["type"], job["status"]) == ("orders", "completed"), job
    assert (job["rows_read"], job["rows_imported"], job["rows_rejected"]) == (6, 3, 3), job
    by_row = rejections_by_row(job)
    assert {row: rejection["field"] for row, rejection in by_row.items()} == ORDERS_BAD, job

    grace = the_customer(shop, "good1@example.com")
    response = shop.api.get(f"/api/v1/customers/{grace['id']}/orders")
    assert response.status_code == 200, show(response)
    (order,) = response.json()["data"]
    assert (order["order_id"], order["total"], order["source"]) == ("A-1", 42.0, "import"), order
    assert order["occurred_at"] == "2026-11-01T10:00:00.000Z"
    assert [(line["sku"], line["name"], line["price"], line["quantity"]) for line in order["products"]] == [
        ("MUG-1", "Mug", 10.0, 3),
        ("TEE-9", "T-shirt", 12.0, 1),
    ]
    two = profile(shop, the_customer(shop, "good2@example.com")["id"])
    assert two["purchases"]["order_count"] == 1 and two["purchases"]["revenue"] == 15.0, two["purchases"]
    assert profile(shop, grace["id"])["purchases"]["order_count"] == 1

    # The same orders again: every order is already there, nothing is counted twice.
    job = post_import(shop, "orders", ORDERS_CSV)
    assert (job["rows_imported"], job["rows_rejected"]) == (0, 6), job
    assert profile(shop, grace["id"])["purchases"]["order_count"] == 1


# ---------------------------------------------------------------------------------------------------------------
# 5. Segments, on SQLite and PostgreSQL


@dataclass
class Person:
    name: str
    plan: str | None
    pricing_views_days_ago: list[float]
    orders_days_ago: list[float]
    other_traits: dict[str, Any] = field(default_factory=dict)
    product_views_days_ago: list[float] = field(default_factory=list)

    @property
    def email(self) -> str:
        return f"{self.name}@segment.example"


SEGMENT_RULE = {
    "all": [
        {"any": [
            {"field": "trait.plan", "op": "eq", "value": "pro"},
            {"field": "trait.plan", "op": "eq", "value": "enterprise"},
        ]},
        {"field": "event.Viewed Pricing.count", "op": "gte", "value": 2, "within_days": 7},
        {"field": "orders.count", "op": "gte", "value": 1},
        {"not": {"field": "trait.churned", "op": "eq", "value": True}},
    ]
}
SEGMENT_PEOPLE = [
    Person("ada", "pro", [1, 2], [3]),  # in
    Person("bob", "enterprise", [0.5, 1, 6], [10, 40]),  # in
    Person("cyd", "free", [1, 2], [3]),  # plan
    Person("dan", "pro", [1, 20, 30], [3]),  # only one view in the last 7 days
    Person("eve", "pro", [1, 2], []),  # no order
    Person("fay", None, [1, 2], [3]),  # no plan at all
    Person("gus", "pro", [], [3], product_views_days_ago=[1, 2]),  # viewed products, not pricing
    Person("hal", "pro", [1, 2], [3], other_traits={"churned": True}),  # churned
]
SEGMENT_MEMBERS = {"ada@segment.example", "bob@segment.example"}


def segment_dataset(now: datetime) -> list[dict[str, Any]]:
    """Tracking messages for SEGMENT_PEOPLE, with timestamps relative to `now`."""
    messages: list[dict[str, Any]] = []
    for person in SEGMENT_PEOPLE:
        user = f"user-{person.name}"
        traits = {"email": person.email, **person.other_traits}
        if person.plan is not None:
            traits["plan"] = person.plan
        ago = lambda days: iso(now - timedelta(days=days))  # noqa: E731
        messages.append({"type": "identify", "userId": user, "traits": traits, "timestamp": ago(45)})
        for days in person.pricing_views_days_ago:
            messages.append({"type": "track", "userId": user, "event": "Viewed Pricing", "timestamp": ago(days)})
        for days in person.product_views_days_ago:
            messages.append({"type": "track", "userId": user, "event": "Viewed Product", "timestamp": ago(days)})
        for number, days in enumerate(person.orders_days_ago):
            messages.append({
                "type": "track",
                "userId": user,
                "event": "Order Completed",
                "properties": {"order_id": f"{person.name}-{number}", "total": 25, "currency": "USD"},
                "timestamp": ago(days),
            })
    return messages


@pytest.fixture(params=["sqlite", "postgres"])
def any_database(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_database")
    return request.getfixturevalue("postgres_database")


def test_segment_rule_returns_exactly_the_matching_customers(any_database: str, start_server, tmp_path: Path):
    """A segment defined by a rule returns exactly the matching customers on both databases."""
    server = start_server(any_database)
    shop = open_shop(Cli(any_database, tmp_path), server, "Segment Shop")
    dataset = segment_dataset(datetime.now(timezone.utc))
    answer = track_ok(shop, "/v1/batch", {"batch": dataset})
    assert answer["stored"] == len(dataset), answer

    response = shop.api.post("/api/v1/segments/preview", json={"rule": SEGMENT_RULE})
    assert response.status_code == 200, show(response)
    preview = response.json()
    assert preview["count"] == len(SEGMENT_MEMBERS), show(response)
    assert {customer["email"] for customer in preview["sample"]} == SEGMENT_MEMBERS, show(response)

    response = shop.api.post("/api/v1/segments", json={"name": "Engaged paying pros", "rule": SEGMENT_RULE})
    assert response.status_code == 201, show(response)
    segment = response.json()
    assert segment["member_count"] == len(SEGMENT_MEMBERS), show(response)

    response = shop.api.get(f"/api/v1/segments/{segment['id']}/members", params={"limit": "200"})
    assert response.status_code == 200, show(response)
    assert {customer["email"] for customer in response.json()["data"]} == SEGMENT_MEMBERS, show(response)

    response = shop.api.get("/api/v1/customers", params={"segment_id": segment["id"], "limit": "200"})
    assert response.status_code == 200, show(response)
    assert {customer["email"] for customer in response.json()["data"]} == SEGMENT_MEMBERS, show(response)


# ---------------------------------------------------------------------------------------------------------------
# 6. Workspaces are sealed off


def test_another_workspace_sees_none_of_the_customers(cli: Cli, server: RapportServer):
    """Another workspace's key sees none of this (404)."""
    acme = open_shop(cli, server, "Acme Shop")
    globex = open_shop(cli, server, "Globex Shop")
    email = "shared@example.com"
    track_ok(acme, "/v1/identify", {"userId": "user-shared", "traits": {"email": email, "plan": "pro"}})
    track_ok(acme, "/v1/track", {
        "userId": "user-shared",
        "event": "Order Completed",
        "properties": {"order_id": "ACME-1", "total": 10},
    })
    customer_id = the_customer(acme, email)["id"]

    for path in ("", "/timeline", "/orders", "/export"):
        assert_error(globex.api.get(f"/api/v1/customers/{customer_id}{path}"), 404, "not_found")
    assert_error(globex.api.delete(f"/api/v1/customers/{customer_id}"), 404, "not_found")
    assert customers(globex) == []
    assert customers(globex, search=email) == []
    assert customers(globex, search="user-shared") == []
    response = globex.api.post("/api/v1/segments/preview", json={"rule": {"field": "trait.plan", "op": "exists"}})
    assert response.status_code == 200, show(response)
    assert response.json()["count"] == 0, show(response)

    # The same person tracked by Globex becomes Globex's own profile, not Acme's.
    track_ok(globex, "/v1/identify", {"userId": "user-shared", "traits": {"email": email, "plan": "free"}})
    theirs = the_customer(globex, email)
    assert theirs["id"] != customer_id and theirs["traits"]["plan"] == "free"
    assert_error(acme.api.get(f"/api/v1/customers/{theirs['id']}"), 404, "not_found")
    ours = profile(acme, customer_id)
    assert ours["traits"]["plan"] == "pro" and ours["purchases"]["order_count"] == 1
    assert summary(timeline(acme, customer_id)) == [("order", "ACME-1"), ("identify", None)]


# ---------------------------------------------------------------------------------------------------------------
# 7. GDPR: access and erasure


def test_customer_export_holds_the_events_and_erasure_removes_the_customer(shop: Shop):
    """GDPR: the export contains the person's events; after erasure the profile answers 404 and the erasure is in the
    audit log."""
    email = "erase.me@example.com"
    person = {"userId": "user-erase"}
    track_ok(shop, "/v1/batch", {"batch": [
        {**person, "type": "identify", "messageId": "gdpr-identify", "traits": {"email": email, "name": "Eve Rase"}},
        {**person, "type": "page", "messageId": "gdpr-page", "name": "Privacy", "properties": {"path": "/privacy"}},
        {**person, "type": "track", "messageId": "gdpr-track", "event": "Downloaded Invoice"},
        {**person, "type": "track", "messageId": "gdpr-order", "event": "Order Completed",
         "properties": {"order_id": "GDPR-1", "total": 20, "products": [{"sku": "BOOK", "price": 20, "quantity": 1}]}},
    ]})
    customer_id = the_customer(shop, email)["id"]

    response = shop.api.get(f"/api/v1/customers/{customer_id}/export")
    assert response.status_code == 200, show(response)
    export = response.json()
    assert export["customer"]["id"] == customer_id
    assert export["customer"]["traits"]["email"] == email
    assert {"gdpr-identify", "gdpr-page", "gdpr-track", "gdpr-order"} <= {
        entry["message_id"] for entry in export["timeline"]
    }, json.dumps(export["timeline"], indent=1)
    assert ("track", "Downloaded Invoice") in summary(export["timeline"])
    assert [order["order_id"] for order in export["orders"]] == ["GDPR-1"]
    assert {"email": email, "user_id": "user-erase"}.items() <= {
        identifier["type"]: identifier["value"] for identifier in export["identifiers"]
    }.items()

    response = shop.api.delete(f"/api/v1/customers/{customer_id}")
    assert response.status_code == 204, show(response)
    for path in ("", "/timeline", "/export"):
        assert_error(shop.api.get(f"/api/v1/customers/{customer_id}{path}"), 404, "not_found")
    assert customers(shop, search=email) == []
    assert customers(shop, search="user-erase") == []
    assert customers(shop) == []

    response = shop.api.get("/api/v1/audit-log", params={"action": "customer.erased"})
    assert response.status_code == 200, show(response)
    entries = response.json()["data"]
    assert [(entry["action"], entry["target_type"], entry["target_id"]) for entry in entries] == [
        ("customer.erased", "customer", customer_id)
    ], show(response)
    assert entries[0]["actor_type"] == "api_key"


def test_events_queued_when_the_visitor_leaves_are_sent_with_send_beacon(shop: Shop, site: Site, browser: WebDriver):
    """A call still queued when the visitor leaves the page (before the one-second batch timer) is not lost:
    rapport.js hands it to `navigator.sendBeacon` on `pagehide`, and it lands on the visitor's timeline."""
    browser.set_script_timeout(BROWSER_WAIT)
    write_pages(site, shop)
    visit(browser, site, "/a.html")
    # Count sendBeacon calls across the navigation (sessionStorage survives it on the same origin), then leave at
    # once, well before the batch timer would send the event with fetch.
    in_page(
        browser,
        """
        const real = navigator.sendBeacon.bind(navigator);
        navigator.sendBeacon = (url, data) => {
          sessionStorage.setItem("beacons", String(Number(sessionStorage.getItem("beacons") || 0) + 1));
          return real(url, data);
        };
        rapport.track("Clicked Buy", { sku: "mug-1" });
        return true;
        """,
    )
    browser.get(site.url("/b.html"))
    assert in_page(browser, "return await window.pageSent;") == "sent"
    assert browser.execute_script("return sessionStorage.getItem('beacons')") == "1"
    anonymous_id = browser.get_cookie("rapport_anonymous_id")["value"]
    deadline = time.monotonic() + BROWSER_WAIT
    while True:
        people = [c for c in customers(shop) if anonymous_id in {i["value"] for i in profile(shop, c["id"])["identifiers"]}]
        entries = timeline(shop, people[0]["id"]) if people else []
        clicks = [entry for entry in entries if entry["type"] == "track" and entry["name"] == "Clicked Buy"]
        if clicks or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert len(clicks) == 1, json.dumps(entries, indent=1)
    assert clicks[0]["properties"] == {"sku": "mug-1"}
    assert [entry["name"] for entry in entries if entry["type"] == "page"] == ["Page B", "Page A"]
