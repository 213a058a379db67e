"""Automation rules against the real binary: a tracked event, sent as a tracking client sends it, fires a rule whose
actions set a trait, add a timeline note and call a webhook endpoint, which a real receiver verifies with the
`standardwebhooks` library. The rule is evaluated and acted on by the server's own job worker, off the request."""

from __future__ import annotations

import time

import pytest
import requests

from conftest import Cli, seed_workspace, show
from test_webhooks import SERVER_ENV, WAIT, Receiver, create_endpoint, receiver, verified  # noqa: F401 (fixture)


def wait_for_runs(api, rule_id: str, count: int, state: str) -> list[dict]:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        runs = api.get(f"/api/v1/automation/rules/{rule_id}/runs").json()["data"]
        if len([run for run in runs if run["state"] == state]) >= count:
            return runs
        time.sleep(0.2)
    raise AssertionError(f"expected {count} {state} runs, got {runs}")


@pytest.mark.parametrize("database_fixture", ["sqlite_database", "postgres_database"])
def test_a_tracked_event_fires_a_rule_whose_webhook_arrives_signed(request: pytest.FixtureRequest, start_server, tmp_path,
                                                                   database_fixture: str, receiver: Receiver):
    database = request.getfixturevalue(database_fixture)
    server = start_server(database, env=SERVER_ENV)
    cli = Cli(database, tmp_path)
    seed = seed_workspace(cli, "Acme")
    api = server.client(seed.admin_key)
    track_key = cli.create_api_key("Acme", "e2e-track", "track")
    # Subscribed to nothing the test causes: the rule's action sends to it directly.
    endpoint = create_endpoint(api, receiver.url, ["customer.erased"])
    created = api.post("/api/v1/automation/rules", json={
        "name": "Welcome pros",
        "trigger": {"type": "event", "event": "Signed Up", "filters": [{"property": "plan", "op": "eq", "value": "pro"}]},
        "actions": [
            {"type": "set_trait", "trait": "welcomed", "value": True},
            {"type": "add_note", "text": "Call to say hello."},
            {"type": "webhook", "endpoint_id": endpoint["id"]},
        ],
    })
    assert created.status_code == 201, show(created)
    rule = created.json()

    def track(user_id: str, plan: str) -> None:
        answer = requests.post(server.url("/v1/track"), auth=(track_key, ""), timeout=10,
                               json={"userId": user_id, "event": "Signed Up", "properties": {"plan": plan}})
        assert answer.status_code == 200, show(answer)

    track("free-1", "free")
    track("pro-1", "pro")
    (headers, body), = receiver.wait_for(1)
    payload = verified(endpoint["secret"], (headers, body))
    assert payload["type"] == "automation.rule_fired"
    assert payload["data"]["rule_id"] == rule["id"] and payload["data"]["rule_name"] == "Welcome pros"
    runs = wait_for_runs(api, rule["id"], 1, "completed")
    assert len(runs) == 1, runs
    assert headers["webhook-id"] == f"msg_{runs[0]['id']}_2"
    customer_id = runs[0]["customer_id"]
    assert payload["data"]["customer_id"] == customer_id
    profile = api.get(f"/api/v1/customers/{customer_id}").json()
    assert profile["traits"]["welcomed"] is True, profile
    notes = api.get(f"/api/v1/customers/{customer_id}/timeline?type=note").json()["data"]
    assert [note["properties"]["text"] for note in notes] == ["Call to say hello."]

    # Paused, the rule starts nothing; the free plan's sign-up never matched.
    paused = api.post(f"/api/v1/automation/rules/{rule['id']}/pause")
    assert paused.status_code == 200 and paused.json()["enabled"] is False, show(paused)
    track("pro-2", "pro")
    time.sleep(1.5)
    assert len(api.get(f"/api/v1/automation/rules/{rule['id']}/runs").json()["data"]) == 1
    assert len(receiver.requests) == 1
