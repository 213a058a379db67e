"""Operating the server: health, readiness, metrics, request ids, error envelopes, shutdown and first-run
bootstrap (environment variables and --demo)."""

from __future__ import annotations

import re
import time

import pytest

from conftest import PASSWORD, Cli, RapportServer, assert_error, logged_in_client, post_login, redirect_path, show

DEMO_STARTUP_TIMEOUT = 240
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")


def test_healthz_answers_ok(server: RapportServer):
    response = server.client().get("/healthz")
    assert response.status_code == 200, show(response)
    assert response.json() == {"status": "ok"}


def test_readyz_reports_database_and_schema_version(server: RapportServer):
    response = server.client().get("/readyz")
    assert response.status_code == 200, show(response)
    body = response.json()
    assert body["status"] == "ready"
    assert body["database"] == "sqlite"
    assert isinstance(body["schema_version"], int) and body["schema_version"] >= 1, body


def test_metrics_expose_request_duration_histogram_after_requests(server: RapportServer):
    client = server.client()
    for _ in range(3):
        client.get("/healthz")
        client.get("/api/v1/me")

    metrics = client.get("/metrics")
    assert metrics.status_code == 200, show(metrics)
    assert metrics.headers.get("Content-Type", "").startswith("text/plain"), metrics.headers
    assert "http_server_request_duration_seconds" in metrics.text, metrics.text[:3000]
    by_route = re.compile(r'^http_server_request_duration_seconds\w*\{[^}]*http_route="', re.M)
    assert by_route.search(metrics.text), metrics.text[:3000]


@pytest.mark.parametrize("path", ["/healthz", "/api/v1/me", "/api/v1/no-such-route", "/login"])
def test_every_response_carries_a_request_id(server: RapportServer, path: str):
    response = server.client().get(path)
    request_id = response.headers.get("X-Request-Id")
    assert request_id and REQUEST_ID_PATTERN.fullmatch(request_id), f"{path}: X-Request-Id={request_id!r}"


def test_request_ids_differ_between_requests(server: RapportServer):
    client = server.client()
    ids = {client.get("/healthz").headers.get("X-Request-Id") for _ in range(3)}
    assert len(ids) == 3, ids


def test_valid_incoming_request_id_is_echoed(server: RapportServer):
    response = server.client().get("/healthz", headers={"X-Request-Id": "abc-123"})
    assert response.headers.get("X-Request-Id") == "abc-123"


@pytest.mark.parametrize("incoming", ["not/a/token", "x" * 65, "semi;colon"])
def test_invalid_incoming_request_id_is_replaced(server: RapportServer, incoming: str):
    response = server.client().get("/healthz", headers={"X-Request-Id": incoming})
    request_id = response.headers.get("X-Request-Id")
    assert request_id != incoming
    assert request_id and REQUEST_ID_PATTERN.fullmatch(request_id), request_id


def test_unknown_api_route_answers_404_envelope(server: RapportServer, cli: Cli):
    cli.create_workspace("Acme")
    client = server.client(cli.create_api_key("Acme", scope="admin"))
    assert_error(client.get("/api/v1/no-such-route"), 404, "not_found")


def test_undeclared_method_answers_405_with_allow_header(server: RapportServer, cli: Cli):
    cli.create_workspace("Acme")
    client = server.client(cli.create_api_key("Acme", scope="admin"))
    response = client.request("PUT", "/api/v1/me", json={})
    assert_error(response, 405, "method_not_allowed")
    allowed = {method.strip() for method in response.headers.get("Allow", "").split(",")}
    assert "GET" in allowed, response.headers


def test_openapi_document_is_served(server: RapportServer):
    response = server.client().get("/openapi.json")
    assert response.status_code == 200, show(response)
    document = response.json()
    assert document["openapi"].startswith("3.1"), document["openapi"]
    assert "/api/v1/me" in document["paths"]


def test_serve_exits_0_on_sigterm(server: RapportServer):
    assert server.stop() == 0, server.log_tail()


@pytest.mark.parametrize(("workspace_env", "workspace_name"), [(None, "Default"), ("Acme Support", "Acme Support")])
def test_serve_bootstraps_first_owner_from_environment(
    start_server, sqlite_database: str, workspace_env: str | None, workspace_name: str
):
    env = {"RAPPORT_ADMIN_EMAIL": "Admin@Example.com", "RAPPORT_ADMIN_PASSWORD": PASSWORD}
    if workspace_env is not None:
        env["RAPPORT_ADMIN_WORKSPACE"] = workspace_env
    server = start_server(sqlite_database, env=env)

    session, _ = logged_in_client(server.base_url, "admin@example.com")
    me = session.get("/api/v1/me")
    assert me.status_code == 200, show(me)
    assert me.json()["workspace"]["name"] == workspace_name
    assert me.json()["role"] == "owner"


def test_bootstrap_environment_is_ignored_once_a_user_exists(start_server, sqlite_database: str, cli: Cli):
    first = start_server(sqlite_database)
    cli.create_workspace("Acme")
    cli.create_user("Acme", "owner@acme.example")
    assert first.stop() == 0

    env = {"RAPPORT_ADMIN_EMAIL": "intruder@example.com", "RAPPORT_ADMIN_PASSWORD": PASSWORD}
    second = start_server(sqlite_database, env=env)
    response = post_login(second.client(), "intruder@example.com", PASSWORD)
    assert redirect_path(response) != "/", show(response)


def test_demo_flag_creates_demo_workspace_and_owner(start_server, sqlite_database: str):
    started = time.monotonic()
    # The demo's year of data takes a few seconds in a release build, up to a minute in a debug build on a busy machine.
    server = start_server(sqlite_database, args=("--demo",), wait=False)
    server.wait_until_healthy(timeout=DEMO_STARTUP_TIMEOUT)
    print(f"rapport serve --demo ready in {time.monotonic() - started:.1f} s")
    session, _ = logged_in_client(server.base_url, "demo@rapport.local", "rapport-demo-password")
    me = session.get("/api/v1/me")
    assert me.status_code == 200, show(me)
    assert me.json()["workspace"]["name"] == "Demo"
    assert me.json()["role"] == "owner"
    # A year of sample data: thousands of customers, 150 accounts with members, and the pages that show them.
    overview = session.get("/")
    count = re.search(r'data-testid="customer-count">([0-9,.\s\u202f\u00a0]+)<', overview.text)
    assert count and 2900 <= int(re.sub(r"\D", "", count.group(1))) <= 3100, show(overview)
    accounts = session.get("/api/v1/accounts", params={"limit": "200"})
    assert accounts.status_code == 200, show(accounts)
    by_name = {account["traits"]["name"]: account for account in accounts.json()["data"]}
    assert 140 <= len(by_name) <= 160 and "Northwind Traders" in by_name, show(accounts)
    page = session.get("/accounts")
    assert page.status_code == 200 and "Northwind Traders" in page.text, show(page)
    northwind = session.get(f"/accounts/{by_name['Northwind Traders']['id']}")
    assert northwind.status_code == 200, show(northwind)
    members = session.get("/api/v1/customers", params={"account_id": by_name["Northwind Traders"]["id"], "limit": "200"})
    assert f'data-testid="member-count">{len(members.json()["data"])}<' in northwind.text, show(northwind)
    # Repeat buyers, with the rate's interval.
    stats = session.get("/api/v1/stats/purchases").json()
    assert stats["purchasers"] > 900 and stats["confidence_interval"]["method"] == "wilson", stats
    low, high = stats["confidence_interval"]["low"], stats["confidence_interval"]["high"]
    assert 0.2 <= low <= stats["repeat_purchase_rate"] <= high <= 0.8, stats
    # Three active surveys with answers; the NPS of the last 90 days comes from hundreds of them; agents and teams.
    surveys = {survey["name"]: survey for survey in session.get("/api/v1/surveys").json()["data"]}
    assert set(surveys) == {"Support NPS", "Delivery satisfaction", "Checkout effort"}, surveys
    assert all(survey["status"] == "active" for survey in surveys.values()), surveys
    nps = session.get("/api/v1/metrics/nps", params={"survey": surveys["Support NPS"]["id"]})
    assert nps.status_code == 200 and nps.json()["overall"]["estimate"]["n"] > 200, show(nps)
    invitations = session.get(f"/api/v1/surveys/{surveys['Support NPS']['id']}/invitation-stats")
    assert invitations.status_code == 200, show(invitations)
    assert "no_consent" in invitations.text and "recontact_period" in invitations.text, show(invitations)
    overdue = session.get("/api/v1/follow-ups", params={"overdue": "true"})
    assert overdue.status_code == 200 and overdue.json()["data"], show(overdue)
    teams = session.get("/api/v1/teams")
    assert {team["name"] for team in teams.json()["data"]} == {"Support EU", "Billing & Returns"}, show(teams)
