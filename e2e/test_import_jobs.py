"""CSV imports run as durable jobs: `rapport serve` is killed with SIGKILL in the middle of a 50,000-row import and
started again; the import finishes from where it stopped, every row is imported once, and `import.completed` reaches
a webhook receiver once."""

from __future__ import annotations

import json
import sqlite3
import time

from conftest import Cli, seed_workspace, show
from test_webhooks import Receiver, create_endpoint, receiver  # noqa: F401 (fixture)

ROWS = 50_000
WAIT = 180  # seconds for the import to finish on a busy machine (debug build)


def wait_for(api, location: str, done, what: str, timeout: float = WAIT) -> dict:
    deadline = time.monotonic() + timeout
    job: dict = {}
    while time.monotonic() < deadline:
        response = api.get(location)
        assert response.status_code == 200, show(response)
        job = response.json()
        if done(job):
            return job
        time.sleep(0.05)
    raise AssertionError(f"the import never {what}: {job}")


def test_an_import_survives_kill_9_of_the_server_and_imports_every_row_once(
    start_server, cli: Cli, sqlite_database: str, receiver: Receiver
):
    # A short lease, so the restarted server takes the killed one's job over within seconds.
    env = {"JOB_LEASE_SECONDS": "5", "JOB_POLL_MILLIS": "200", "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true"}
    server = start_server(sqlite_database, env=env)
    seed = seed_workspace(cli, "Bulk")
    api = server.client(seed.admin_key)
    create_endpoint(api, receiver.url, ["import.completed"])

    csv = "email,name,plan\n" + "".join(f"person{i}@example.com,Person {i},{('free', 'pro')[i % 2]}\n" for i in range(ROWS))
    response = api.post("/api/v1/imports", params={"type": "customers"}, data=csv.encode(),
                        headers={"Content-Type": "text/csv"})
    assert response.status_code == 202, show(response)
    location = response.headers["Location"]
    job = wait_for(api, location, lambda job: job["status"] == "running" and job["rows_imported"] >= 1_000,
                   "got going")
    server.process.kill()
    server.process.wait(timeout=10)
    assert job["rows_imported"] < ROWS, "the import finished before the server could be killed: make the file bigger"

    restarted = start_server(sqlite_database, env=env)
    api = restarted.client(seed.admin_key)
    seen = wait_for(api, location, lambda job: True, "answered")
    assert seen["status"] in ("running", "completed") and seen["rows_imported"] >= job["rows_imported"], seen
    done = wait_for(api, location, lambda job: job["status"] in ("completed", "failed"), "finished")
    assert done["status"] == "completed", done
    assert (done["rows_read"], done["rows_imported"], done["rows_rejected"]) == (ROWS, ROWS, 0), done
    assert done["rejections"] == [], "no row is rejected because of the restart"

    # Every person is there once, and each row was applied once: one import entry on each timeline.
    for i in (0, job["rows_imported"], ROWS - 1):
        found = api.get("/api/v1/customers", params={"search": f"person{i}@example.com"}).json()["data"]
        assert [customer["email"] for customer in found] == [f"person{i}@example.com"], found
        timeline = api.get(f"/api/v1/customers/{found[0]['id']}/timeline").json()["data"]
        assert [entry["type"] for entry in timeline] == ["traits_updated"], timeline
    with sqlite3.connect(sqlite_database.removeprefix("sqlite:")) as db:
        customers, people = db.execute("SELECT COUNT(*), COUNT(DISTINCT email) FROM customers").fetchone()
        (entries,) = db.execute("SELECT COUNT(*) FROM activities WHERE kind = 'traits_updated'").fetchone()
        (pieces,) = db.execute("SELECT COUNT(*) FROM import_chunks").fetchone()
    assert (customers, people, entries) == (ROWS, ROWS, ROWS)
    assert pieces == 0, "the stored file is deleted once the import has finished"

    # `import.completed` once, with the final counts.
    (delivered,) = receiver.wait_for(1)
    time.sleep(2)
    assert len(receiver.requests) == 1, receiver.requests
    event = json.loads(delivered[1])
    assert event["type"] == "import.completed"
    assert (event["data"]["status"], event["data"]["rows_imported"]) == ("completed", ROWS), event
