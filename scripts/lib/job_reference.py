#!/usr/bin/env python3
"""The job queue's protocol run by the database's own plain client, outside Rapport: scripts/bench's job reference.

RapportBench fills the `jobs` table with `noop` jobs, runs this script, and reads the jobs' `finished_at` and
`run_at` afterwards, exactly as it does after Rapport's workers drained the same queue. Each of `--workers`
workers, one job at a time, runs Rapport's protocol with Rapport's statements and nothing else:

1. claim, one transaction: `UPDATE jobs SET state = 'running', lease_owner, lease_expires_at, attempts + 1 …
   WHERE id IN (<the first queued due job by priority then due time, or the first running job whose lease
   expired, each [FOR UPDATE SKIP LOCKED]>) RETURNING <every column>` (Rapport's claim statement, read from the
   `jobs_due` index; the database's best for this protocol, and what Rapport runs after migration 0016);
2. run the job (a `noop`: nothing);
3. complete, one transaction: `UPDATE jobs SET state = 'succeeded', … WHERE id = ? AND state = 'running'
   AND lease_owner = ?`.

When a claim finds nothing, the worker stops if no job is queued or running any more, and otherwise waits
`--poll-millis` (Rapport's `JOB_POLL_MILLIS`) and claims again. It does not ask "is anything due" before each claim:
that read is Rapport's choice, not the protocol's.

- SQLite (`--database sqlite:/path`): Python's stdlib `sqlite3` (its own SQLite, 3.40 here, against the 3.54 that
  Rapport bundles), one process and connection per worker, with Rapport's PRAGMAs (WAL, synchronous=FULL, a 32 MB
  page cache, a 1 GiB memory map, a busy timeout) and `BEGIN IMMEDIATE … COMMIT` for each write, as Rapport's writer.
- PostgreSQL (`--database postgres://…`): one `psql` process per worker reading a generated script (psql's `\\gset`
  and `\\if` carry the claimed id to the completion and decide whether to stop or wait), autocommit, so each
  statement is its own transaction; the time is the server's (`statement_timestamp()`, stable, so the claim's
  range on `run_at` still uses the `jobs_claim` index).

Stdlib only. Prints one line: `workers <n> seconds <wall time, start-up included>`; the rates come from the table.
"""
import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time

# Rapport's claim (SQLJobRepository.claimQuery), of one job: the first due queued job in `jobs_due` order, or a
# running job whose lease expired, whichever comes first by priority then due time.
def claim_subquery(now, lock, run_at):
    return (f"SELECT id FROM (SELECT id, priority, run_at FROM (SELECT id, priority, run_at FROM jobs "
            f"WHERE state = 'queued' AND {run_at} <= {now} ORDER BY priority DESC, run_at LIMIT 1{lock}) AS due "
            f"UNION ALL SELECT id, priority, run_at FROM (SELECT id, priority, run_at FROM jobs "
            f"WHERE state = 'running' AND lease_expires_at < {now} ORDER BY priority DESC, run_at LIMIT 1{lock}) AS expired"
            f") AS candidates ORDER BY priority DESC, run_at LIMIT 1")


COLUMNS = ("id, workspace_id, kind, payload, run_at, priority, attempts, max_attempts, state, last_error, "
           "idempotency_key, lease_owner, lease_expires_at, created_at, updated_at, finished_at")


def sqlite_worker(path, owner, lease_millis, poll_millis, synchronous):
    db = sqlite3_connect(path, synchronous)
    claim = (f"UPDATE jobs SET state = 'running', lease_owner = ?, lease_expires_at = ?, attempts = attempts + 1, "
             f"updated_at = ? WHERE id IN ({claim_subquery('?', '', '+run_at')}) RETURNING {COLUMNS}")
    complete = ("UPDATE jobs SET state = 'succeeded', lease_owner = NULL, lease_expires_at = NULL, finished_at = ?, "
                "updated_at = ? WHERE id = ? AND state = 'running' AND lease_owner = ? RETURNING id")
    while True:
        now = int(time.time() * 1000)
        db.execute("BEGIN IMMEDIATE")
        rows = db.execute(claim, (owner, now + lease_millis, now, now, now)).fetchall()
        db.execute("COMMIT")
        if not rows:
            unfinished = db.execute("SELECT 1 FROM jobs WHERE state IN ('queued', 'running') LIMIT 1").fetchone()
            if unfinished is None:
                break
            time.sleep(poll_millis / 1000)
            continue
        # The job's handler would run here; a noop does nothing.
        now = int(time.time() * 1000)
        db.execute("BEGIN IMMEDIATE")
        db.execute(complete, (now, now, rows[0][0], owner)).fetchall()
        db.execute("COMMIT")
    db.close()


def sqlite3_connect(path, synchronous):
    import sqlite3
    db = sqlite3.connect(path, isolation_level=None, timeout=30)
    for pragma in ("PRAGMA busy_timeout = 30000", "PRAGMA journal_mode = WAL", f"PRAGMA synchronous = {synchronous}",
                   "PRAGMA cache_size = -32768", f"PRAGMA mmap_size = {1 << 30}"):
        db.execute(pragma)
    return db


def run_sqlite(path, workers, lease_millis, poll_millis, synchronous):
    processes = [multiprocessing.Process(target=sqlite_worker,
                                         args=(path, f"reference-{os.getpid()}-{n}", lease_millis, poll_millis,
                                               synchronous))
                 for n in range(workers)]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
        if p.exitcode != 0:
            sys.exit(f"job_reference: a SQLite worker exited with {p.exitcode}")


NOW_MS = "(extract(epoch FROM statement_timestamp()) * 1000)::bigint"


def psql_script(owner, lease_millis, poll_millis, rounds):
    """`rounds` claims (each followed by its completion, or by a wait when nothing was due)."""
    now = NOW_MS
    one = f"""WITH c AS (UPDATE jobs SET state = 'running', lease_owner = '{owner}', lease_expires_at = {now} + {lease_millis},
    attempts = attempts + 1, updated_at = {now}
  WHERE id IN ({claim_subquery(now, " FOR UPDATE SKIP LOCKED", "run_at")})
  RETURNING {COLUMNS})
SELECT COALESCE(max(id), '') AS claimed, count(*) > 0 AS got FROM c \\gset
\\if :got
UPDATE jobs SET state = 'succeeded', lease_owner = NULL, lease_expires_at = NULL, finished_at = {now}, updated_at = {now}
  WHERE id = :'claimed' AND state = 'running' AND lease_owner = '{owner}';
\\else
SELECT NOT EXISTS (SELECT 1 FROM jobs WHERE state IN ('queued', 'running')) AS finished \\gset
\\if :finished
\\echo FINISHED
\\q
\\endif
SELECT pg_sleep({poll_millis / 1000});
\\endif
"""
    return one * rounds


def run_postgres(url, workers, lease_millis, poll_millis, psql, rounds):
    with tempfile.TemporaryDirectory() as folder:
        def start(n):
            owner = f"reference-{os.getpid()}-{n}"
            script = os.path.join(folder, f"worker-{n}.sql")
            if not os.path.exists(script):
                with open(script, "w", encoding="utf-8") as f:
                    f.write(psql_script(owner, lease_millis, poll_millis, rounds))
            return subprocess.Popen([psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-o", "/dev/null", "-f", script,
                                     "-d", url], stdout=subprocess.PIPE, stderr=subprocess.PIPE)

        running = {n: start(n) for n in range(workers)}
        while running:
            time.sleep(0.005)
            for n, p in list(running.items()):
                if p.poll() is None:
                    continue
                out, err = p.communicate()
                if p.returncode != 0:
                    sys.exit(f"job_reference: psql exited with {p.returncode}: {err.decode(errors='replace')[-2000:]}")
                # A script that ran out of claims before the queue emptied is started again.
                running.pop(n)
                if b"FINISHED" not in out:
                    running[n] = start(n)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="sqlite:/path or postgres://…")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--lease-millis", type=int, default=60_000)
    parser.add_argument("--poll-millis", type=int, default=1_000)
    parser.add_argument("--synchronous", default="FULL", help="SQLite PRAGMA synchronous (Rapport's default: FULL)")
    parser.add_argument("--psql", default="psql")
    parser.add_argument("--rounds", type=int, default=5_000,
                        help="PostgreSQL: claims in each psql script; psql starts again until the queue is empty")
    args = parser.parse_args()
    began = time.perf_counter()
    if args.database.startswith("sqlite:"):
        run_sqlite(args.database[len("sqlite:"):], args.workers, args.lease_millis, args.poll_millis, args.synchronous)
    else:
        run_postgres(args.database, args.workers, args.lease_millis, args.poll_millis, args.psql, args.rounds)
    print(f"workers {args.workers} seconds {time.perf_counter() - began:.3f}")


if __name__ == "__main__":
    main()
