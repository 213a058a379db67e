"""The job queue shared by several processes on one PostgreSQL database, as the runtime issue's acceptance asks:
two `rapport serve` and one `rapport worker` run 10,000 jobs with none run twice and none lost, and the scheduled
segment refresh fires once per firing, not once per process.

Skipped unless RAPPORT_E2E_POSTGRES_ADMIN_URL names a cluster (scripts/test starts one)."""

from __future__ import annotations

import subprocess
import time

import pytest

from conftest import CLI_TIMEOUT, POSTGRES_ADMIN_URL, psql_path, run_psql

pytestmark = pytest.mark.skipif(not POSTGRES_ADMIN_URL, reason="RAPPORT_E2E_POSTGRES_ADMIN_URL is not set")

JOBS = 10_000
ENV = {"JOB_POLL_MILLIS": "50", "JOB_CONCURRENCY": "4", "SEGMENT_REFRESH_CRON": "* * * * *"}


def query(url: str, sql: str) -> list[list[str]]:
    result = subprocess.run(
        [psql_path(), url, "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=CLI_TIMEOUT,
    )
    assert result.returncode == 0, f"psql failed on {sql!r}:\n{result.stderr}"
    return [line.split("\t") for line in result.stdout.splitlines() if line]


def test_three_processes_run_10000_jobs_once_each_and_the_schedule_once_per_firing(
    start_server, start_worker, postgres_database: str
):
    first = start_server(postgres_database, env=ENV, wait=False)
    second = start_server(postgres_database, env=ENV, wait=False)
    first.wait_until_healthy()
    second.wait_until_healthy()
    start_worker(postgres_database, env=ENV)

    # Enqueued in one statement, as a burst of work would arrive; `noop` jobs are handled by every process.
    run_psql(postgres_database, f"""
        INSERT INTO jobs (id, workspace_id, kind, payload, run_at, priority, attempts, max_attempts, state,
                          created_at, updated_at)
        SELECT 'e2e-' || n, NULL, 'noop', '{{}}', 0, 0, 0, 8, 'queued', 0, 0 FROM generate_series(1, {JOBS}) AS n
        """)
    started = time.monotonic()
    deadline = started + 240
    while time.monotonic() < deadline:
        (done,), = query(postgres_database, "SELECT COUNT(*) FROM jobs WHERE id LIKE 'e2e-%' AND state = 'succeeded'")
        if int(done) == JOBS:
            break
        time.sleep(0.5)
    elapsed = time.monotonic() - started
    states = dict(query(postgres_database, "SELECT state, COUNT(*) FROM jobs WHERE id LIKE 'e2e-%' GROUP BY state"))
    assert states == {"succeeded": str(JOBS)}, f"after {elapsed:.0f} s: {states}"
    # A job claimed twice would have two attempts: every one was claimed, and run, once.
    (most,), = query(postgres_database, "SELECT MAX(attempts) FROM jobs WHERE id LIKE 'e2e-%'")
    assert most == "1"
    print(f"\n{JOBS} jobs through 3 processes in {elapsed:.1f} s ({JOBS / elapsed:.0f} jobs/s, debug build)")

    # The segment refresh schedule fires every minute: wait for two firings, then count its jobs per firing.
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        firings = query(postgres_database, """
            SELECT idempotency_key, COUNT(*) FROM jobs WHERE kind = 'segments.refresh_all' GROUP BY idempotency_key
            """)
        if len(firings) >= 2:
            break
        time.sleep(1)
    assert len(firings) >= 2, firings
    # Each firing is one job (the key names the schedule and the minute it was due), and the firings are distinct
    # minutes: three processes ticking every second enqueued each minute's refresh once between them.
    assert all(count == "1" for _, count in firings), firings
    dues = sorted(int(key.rsplit(":", 1)[1]) for key, _ in firings)
    assert all(due % 60 == 0 for due in dues), dues
    assert len(set(dues)) == len(dues), dues
