#!/usr/bin/env python3
"""The physical limit of writing timeline rows, outside Rapport: scripts/bench's ingest reference.

RapportBench writes each round's timeline rows (the rows its ingest round stored) to a CSV file and runs this
script on it; the script inserts the same rows into the same `activities` table, with its three indexes, of the
same database, and prints one line: `rows_per_second <rate>` (and the seconds, rows and method).

- SQLite (`--database sqlite:/path`): Python's stdlib `sqlite3` module (it links its own SQLite, 3.40 here, against
  the 3.54 that Rapport bundles), with the PRAGMAs Rapport's connections set (WAL, synchronous=FULL, a 32 MB page
  cache, a 1 GiB memory map, a busy timeout) and `executemany` of one prepared INSERT, `--transaction` rows per
  `BEGIN IMMEDIATE … COMMIT` (by default 2,000: the largest group Rapport's group commit forms). Only the inserts
  and commits are timed, not reading the CSV.
- PostgreSQL (`--database postgres://…`): one `COPY activities (…) FROM STDIN WITH (FORMAT csv)` of the whole file
  through psql (one transaction, the bulk-load path), timed by psql's `\\timing`, so psql's start and connection
  are not counted.

Stdlib only.
"""
import argparse
import csv
import re
import sqlite3
import subprocess
import sys
import time

COLUMNS = ("workspace_id", "id", "customer_id", "kind", "name", "occurred_at", "received_at", "message_id",
           "properties", "context")


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = []
        for r in csv.reader(f):
            # Same types as Rapport binds: integers for the two times, NULL for an empty unquoted name.
            rows.append((r[0], r[1], r[2], r[3], r[4] or None, int(r[5]), int(r[6]), r[7] or None, r[8], r[9]))
        return rows


def sqlite_limit(path, rows_file, transaction, synchronous):
    rows = read_rows(rows_file)
    db = sqlite3.connect(path, isolation_level=None, timeout=30)
    db.execute("PRAGMA busy_timeout = 30000")
    db.execute("PRAGMA journal_mode = WAL")
    db.execute(f"PRAGMA synchronous = {synchronous}")
    db.execute("PRAGMA cache_size = -32768")
    db.execute(f"PRAGMA mmap_size = {1 << 30}")
    sql = f"INSERT INTO activities ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    began = time.perf_counter()
    for start in range(0, len(rows), transaction):
        db.execute("BEGIN IMMEDIATE")
        db.executemany(sql, rows[start:start + transaction])
        db.execute("COMMIT")
    elapsed = time.perf_counter() - began
    db.close()
    return len(rows), elapsed, f"python sqlite3 {sqlite3.sqlite_version}, executemany, {transaction} rows/transaction"


def postgres_limit(url, rows_file, psql):
    with open(rows_file, "rb") as f:
        data = f.read()
    with open(rows_file, newline="", encoding="utf-8") as f:
        rows = sum(1 for _ in csv.reader(f))
    script = (b"\\timing on\n"
              + f"COPY activities ({', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT csv);\n".encode()
              + data + b"\\.\n")
    done = subprocess.run([psql, "-X", "-v", "ON_ERROR_STOP=1", "-d", url], input=script, capture_output=True,
                          check=False)
    if done.returncode != 0:
        sys.exit(f"physical_limit: psql failed: {done.stderr.decode(errors='replace')}")
    times = re.findall(rb"Time: ([0-9.]+) ms", done.stdout)
    if not times:
        sys.exit(f"physical_limit: no timing in psql's output: {done.stdout[-500:]!r}")
    return rows, float(times[-1]) / 1000, "psql COPY FROM STDIN (csv), one transaction"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="sqlite:/path or postgres://…")
    parser.add_argument("--rows", required=True, help="CSV file of activities rows, in COLUMNS order")
    parser.add_argument("--transaction", type=int, default=2000, help="SQLite rows per transaction")
    parser.add_argument("--synchronous", default="FULL", help="SQLite PRAGMA synchronous (Rapport's default: FULL)")
    parser.add_argument("--psql", default="psql")
    args = parser.parse_args()
    if args.database.startswith("sqlite:"):
        rows, elapsed, method = sqlite_limit(args.database[len("sqlite:"):], args.rows, args.transaction,
                                             args.synchronous)
    else:
        rows, elapsed, method = postgres_limit(args.database, args.rows, args.psql)
    print(f"rows_per_second {rows / elapsed:.1f} seconds {elapsed:.4f} rows {rows} method {method}")


if __name__ == "__main__":
    main()
