"""`rapport worker`: the background services without HTTP, beside `rapport serve` on the same database.

The worker migrates, runs the scheduler and the job worker until SIGTERM and exits 0; the HTTP server it runs beside
sees its work (the shared segment-refresh schedule, set to every minute by the worker's `SEGMENT_REFRESH_CRON`, fires
once for both processes and its jobs recompute a segment's members).
"""

from __future__ import annotations

import time

from conftest import Cli, RapportServer, seed_workspace, show


def test_worker_migrates_then_exits_0_on_sigterm(start_worker, cli: Cli, sqlite_database: str):
    worker = start_worker(sqlite_database)
    assert cli.run("migrate").stdout.strip() == "no pending migrations", "the worker did not migrate the database"
    assert worker.stop() == 0, worker.log_tail()
    assert "Rapport worker stopped" in worker.log_text(), worker.log_tail()


def test_worker_refuses_invalid_configuration_with_one_line(cli: Cli):
    result = cli.run("worker", env={"SEGMENT_REFRESH_SECONDS": "1"}, check=False)
    assert result.returncode != 0, result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "SEGMENT_REFRESH_SECONDS" in lines[0], result.stderr


def test_worker_refreshes_segments_beside_the_server(start_worker, server: RapportServer, cli: Cli, sqlite_database: str):
    seed = seed_workspace(cli, "Acme")
    write_key = cli.create_api_key("Acme", "site", "track")
    api = server.client(seed.admin_key)
    tracking = server.client()
    tracking.http.auth = (write_key, "")

    def identify(user_id: str) -> None:
        response = tracking.post("/v1/identify", json={"userId": user_id, "traits": {"plan": "pro"}})
        assert response.status_code == 200, show(response)

    def member_count(segment_id: str) -> int:
        response = api.get(f"/api/v1/segments/{segment_id}")
        assert response.status_code == 200, show(response)
        return response.json()["member_count"]

    identify("u-1")
    created = api.post("/api/v1/segments", json={"name": "Pros", "rule": {"field": "trait.plan", "op": "eq", "value": "pro"}})
    assert created.status_code == 201, show(created)
    segment_id = created.json()["id"]
    identify("u-2")
    # The server's schedule fires every 5 minutes (the default): only the worker's every-minute setting, which the
    # worker writes to the shared schedule when it starts, can count u-2 in time.
    assert member_count(segment_id) == 1

    worker = start_worker(sqlite_database, env={"SEGMENT_REFRESH_CRON": "* * * * *"})
    deadline = time.monotonic() + 90
    while member_count(segment_id) != 2 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert member_count(segment_id) == 2, worker.log_tail()
    assert worker.stop() == 0, worker.log_tail()
