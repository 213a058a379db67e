#!/usr/bin/env python3
"""What `synchronous=FULL` costs against `NORMAL` in WAL mode on this disk: commits of N rows of ~1.2 KB (the size
of a realistic Segment track message's timeline row) into an indexed table, as Rapport's writer does.

Usage: scripts/measure-sqlite-sync.py [DIR]   (DIR: where the database files go; default: a temp folder)
"""
import os
import sqlite3
import sys
import tempfile
import time

def run(folder, mode, rows_per_commit, commits):
    path = os.path.join(folder, f"sync-{mode}-{rows_per_commit}.sqlite")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute(f"PRAGMA synchronous = {mode}")
    db.execute("CREATE TABLE t (id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, occurred_at INTEGER, body TEXT)")
    db.execute("CREATE INDEX t_by_customer ON t (customer_id, occurred_at, id)")
    body = "x" * 1200
    n = 0
    start = time.perf_counter()
    for _ in range(commits):
        db.execute("BEGIN IMMEDIATE")
        db.executemany("INSERT INTO t VALUES (?, ?, ?, ?)",
                       [(f"{n + i:012d}", f"c{(n + i) % 2000}", n + i, body) for i in range(rows_per_commit)])
        db.execute("COMMIT")
        n += rows_per_commit
    seconds = time.perf_counter() - start
    db.close()
    return n / seconds, seconds / commits * 1000

def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="sync-measure-")
    os.makedirs(folder, exist_ok=True)
    print(f"folder {folder}, sqlite {sqlite3.sqlite_version}")
    for rows, commits in ((1, 400), (100, 200), (2000, 20)):
        results = {}
        for mode in ("NORMAL", "FULL", "NORMAL", "FULL"):  # alternated: a slow spell hits both
            rate, per_commit = run(folder, mode, rows, commits)
            results.setdefault(mode, []).append((rate, per_commit))
        line = [f"{rows:>5} rows/commit:"]
        for mode in ("NORMAL", "FULL"):
            best = max(results[mode])
            line.append(f"{mode} {best[0]:>8.0f} rows/s ({best[1]:.2f} ms/commit)")
        ratio = max(results["FULL"])[0] / max(results["NORMAL"])[0]
        line.append(f"FULL/NORMAL {ratio:.2f}")
        print("  ".join(line))

if __name__ == "__main__":
    main()
