"""Signed webhooks against a real receiver: a local HTTP server that checks each request with the `standardwebhooks`
library (the Standard Webhooks reference implementation), as a receiver in another system would.

Covers: events from REST changes arrive signed and verifiable, with the payload Rapport logged; the delivery log shows
the receiver's answer; after a rotation the old and the new secret both verify until the overlap ends, then only the
new one; a receiver that is down gets the delivery when it is back, with the same `webhook-id`; a
`kill -9` of the server between the change and the delivery does not lose the delivery."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks import Webhook

from conftest import Cli, free_port, seed_workspace, show

WAIT = 30.0
SERVER_ENV = {"WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true", "JOB_POLL_MILLIS": "100"}


class Receiver:
    """An HTTP server on localhost that records every POST (headers and body) and answers `status`."""

    def __init__(self, port: int | None = None, status: int = 204):
        self.port = port or free_port()
        self.status = status
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/rapport"

    def wait_for(self, count: int) -> list[tuple[dict[str, str], bytes]]:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.requests) >= count:
                    return list(self.requests)
            time.sleep(0.1)
        raise AssertionError(f"the receiver got {len(self.requests)} requests, expected {count}")

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    started = Receiver()
    yield started
    started.stop()


def verified(secret: str, request: tuple[dict[str, str], bytes]) -> dict:
    headers, body = request
    # Raises when the signature, the id or the timestamp is wrong or missing.
    return Webhook(secret).verify(body, headers)


def create_endpoint(api, url: str, types: list[str]) -> dict:
    response = api.post("/api/v1/webhooks", json={"url": url, "event_types": types, "description": "e2e"})
    assert response.status_code == 201, show(response)
    return response.json()


def deliveries(api, endpoint_id: str) -> list[dict]:
    response = api.get(f"/api/v1/webhooks/{endpoint_id}/deliveries")
    assert response.status_code == 200, show(response)
    return response.json()["data"]


def test_changes_arrive_signed_and_the_log_shows_the_answer(start_server, cli: Cli, sqlite_database: str, receiver: Receiver):
    server = start_server(sqlite_database, env=SERVER_ENV)
    seed = seed_workspace(cli, "Acme")
    api = server.client(seed.admin_key)
    endpoint = create_endpoint(api, receiver.url, ["customer.created", "customer.merged", "order.completed"])

    ann = api.post("/api/v1/customers", json={"traits": {"email": "ann@example.com", "name": "Ann"}}).json()
    dup = api.post("/api/v1/customers", json={"traits": {"email": "ann.work@example.com"}}).json()
    merged = api.post(f"/api/v1/customers/{dup['id']}/merge", json={"customer_id": ann["id"]})
    assert merged.status_code == 200, show(merged)
    order = api.post("/api/v1/orders", json={"order_id": "A-1", "customer_id": ann["id"], "currency": "EUR", "total": 19.99})
    assert order.status_code == 201, show(order)

    requests = receiver.wait_for(4)
    payloads = [verified(endpoint["secret"], request) for request in requests]
    by_type: dict[str, list[dict]] = {}
    for payload in payloads:
        by_type.setdefault(payload["type"], []).append(payload)
    assert sorted(by_type) == ["customer.created", "customer.merged", "order.completed"], payloads
    assert {p["data"]["customer_id"] for p in by_type["customer.created"]} == {ann["id"], dup["id"]}
    assert by_type["customer.merged"][0]["data"]["merged_id"] == dup["id"]
    assert by_type["order.completed"][0]["data"] == {
        "customer_id": ann["id"], "order_id": "A-1", "currency": "EUR", "total": 19.99,
        "occurred_at": by_type["order.completed"][0]["data"]["occurred_at"], "source": "api",
    }
    # A signature made with another secret does not verify.
    with pytest.raises(Exception):
        verified("whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB", requests[0])

    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        log = deliveries(api, endpoint["id"])
        if len(log) == 4 and all(entry["status"] == "succeeded" for entry in log):
            break
        time.sleep(0.2)
    assert all(entry["status"] == "succeeded" and entry["response_status"] == 204 for entry in log), log
    ids = {headers["webhook-id"] for headers, _ in requests}
    assert ids == {entry["message_id"] for entry in log}


def test_a_rotated_secret_and_the_previous_one_both_verify_until_the_overlap_ends(
        start_server, cli: Cli, sqlite_database: str, receiver: Receiver):
    server = start_server(sqlite_database, env=SERVER_ENV)
    seed = seed_workspace(cli, "Acme")
    api = server.client(seed.admin_key)
    endpoint = create_endpoint(api, receiver.url, ["customer.created"])
    old = endpoint["secret"]

    rotated = api.post(f"/api/v1/webhooks/{endpoint['id']}/rotate-secret", json={"overlap_seconds": 3600})
    assert rotated.status_code == 200, show(rotated)
    new = rotated.json()["secret"]
    assert new != old and rotated.json()["previous_secret_expires_at"] is not None
    assert api.post("/api/v1/customers", json={"traits": {"email": "ann@example.com"}}).status_code == 201
    during = receiver.wait_for(1)[0]
    # The receiver may still hold the old secret, or already the new one: the reference library accepts either.
    assert verified(old, during)["type"] == "customer.created"
    assert verified(new, during)["type"] == "customer.created"

    # Rotated with no overlap: only the newest secret verifies.
    latest = api.post(f"/api/v1/webhooks/{endpoint['id']}/rotate-secret", json={"overlap_seconds": 0})
    assert latest.status_code == 200 and latest.json()["previous_secret_expires_at"] is None, show(latest)
    assert api.post("/api/v1/customers", json={"traits": {"email": "bob@example.com"}}).status_code == 201
    after = receiver.wait_for(2)[1]
    assert verified(latest.json()["secret"], after)["data"]["customer_id"]
    for stale in (old, new):
        with pytest.raises(Exception):
            verified(stale, after)

    log = api.get("/api/v1/audit-log?action=webhook.secret_rotated")
    assert log.status_code == 200 and len(log.json()["data"]) == 2, show(log)


def test_a_receiver_that_is_down_gets_the_delivery_when_it_is_back(start_server, cli: Cli, sqlite_database: str):
    server = start_server(sqlite_database, env=SERVER_ENV)
    seed = seed_workspace(cli, "Acme")
    api = server.client(seed.admin_key)
    port = free_port()
    endpoint = create_endpoint(api, f"http://127.0.0.1:{port}/hooks/rapport", ["customer.created"])
    api.post("/api/v1/customers", json={"traits": {"email": "bo@example.com"}})

    # Nothing listens yet: the first attempt fails and is logged; the next is due 5 s later.
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        log = deliveries(api, endpoint["id"])
        if log and log[0]["attempts"] >= 1:
            break
        time.sleep(0.1)
    assert log[0]["status"] == "pending" and log[0]["response_status"] is None, log
    assert log[0]["response_excerpt"], "the connection error is logged"

    late = Receiver(port=port)
    try:
        (headers, body), = late.wait_for(1)
        payload = verified(endpoint["secret"], (headers, body))
        assert payload["type"] == "customer.created"
        assert headers["webhook-id"] == log[0]["message_id"]
    finally:
        late.stop()
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline and deliveries(api, endpoint["id"])[0]["status"] != "succeeded":
        time.sleep(0.1)
    final = deliveries(api, endpoint["id"])[0]
    assert final["status"] == "succeeded" and final["attempts"] == 2, final


def test_a_delivery_survives_kill_9_between_the_change_and_the_send(start_server, cli: Cli, sqlite_database: str):
    port = free_port()
    # A short lease: an attempt cut short by the kill is claimable again soon after the restart.
    env = {**SERVER_ENV, "JOB_LEASE_SECONDS": "5"}
    # The server is killed before the receiver exists: the delivery can only come from the stored job.
    server = start_server(sqlite_database, env=env)
    seed = seed_workspace(cli, "Acme")
    api = server.client(seed.admin_key)
    endpoint = create_endpoint(api, f"http://127.0.0.1:{port}/hooks/rapport", ["customer.created"])
    created = api.post("/api/v1/customers", json={"traits": {"email": "cy@example.com"}})
    assert created.status_code == 201, show(created)
    server.process.kill()
    server.process.wait(timeout=10)

    late = Receiver(port=port)
    try:
        restarted = start_server(sqlite_database, env=env)
        requests = late.wait_for(1)
        time.sleep(1.0)  # anything sent twice would have arrived by now
        with late.lock:
            ids = [headers["webhook-id"] for headers, _ in late.requests]
        assert len(set(ids)) == 1, "one delivery, however many attempts"
        payload = verified(endpoint["secret"], requests[0])
        assert payload["data"]["customer_id"] == created.json()["id"]
        log = deliveries(restarted.client(seed.admin_key), endpoint["id"])
        assert log[0]["status"] in ("succeeded", "pending"), log
    finally:
        late.stop()
