"""Single-event tracking against the release `rapport serve` (issue 9, points 14 and 15), driven by wrk.

One realistic Segment `track` message a request (analytics.js context, about 1.2 KB, a unique messageId, one of
`--people` known users) to `/v1/track` over `--connections` keep-alive connections, each sending its next request as
soon as the answer arrives; the server runs as users run it (its default log level, `info`: one access-log line a
request, written to a file). References measured in the same run, alternating with it round by round:

- the HTTP floor: `GET /healthz` under the same wrk load on the same server, what the HTTP stack and the load tool
  cost on this machine before any tracking work;
- the storage floor: the same number of timeline rows, of the same size, written outside Rapport by
  `physical_limit.py` (SQLite: Python's `sqlite3`, Rapport's PRAGMAs, 2,000 rows a transaction; PostgreSQL: `COPY`);
- the two together: a request that did nothing but cross HTTP and store its row would cost both, on the same cores,
  so 1 / (1 / HTTP floor + 1 / storage floor) is what no implementation can beat here.

Every acknowledged request must be stored: the run fails if the timeline rows counted afterwards are fewer than the
2xx answers. Writes a Markdown fragment to `--output`.
"""

import argparse
import csv
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from metrics_bench import Rapport, parse_wrk, log  # noqa: E402

AIM = 10_000

LUA = r"""
auth = "__AUTH__"
-- Each wrk thread gets its own number (a global of its Lua state, set from the main state), so that the threads'
-- message ids differ.
local made = 0
function setup(thread) made = made + 1; thread:set("thread_number", made) end
function init(args) counter = 0; math.randomseed(thread_number * 7919 + os.time()) end
local ctx = '"context":{"library":{"name":"analytics.js","version":"4.1.0"},"page":{"path":"/pricing","referrer":"https://www.google.com/","search":"?utm_source=newsletter","title":"Pricing – Example","url":"https://www.example.com/pricing?utm_source=newsletter"},"userAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36","locale":"en-US","timezone":"Europe/Berlin","ip":"203.0.113.7","campaign":{"name":"winter","source":"newsletter","medium":"email"},"screen":{"width":1920,"height":1080,"density":2}}'
function request()
  counter = counter + 1
  local user = math.random(0, __PEOPLE__ - 1)
  local body = '{"type":"track","event":"Product Viewed","userId":"user-' .. user .. '","messageId":"__TAG__-' .. thread_number .. '-' .. counter .. '-' .. math.random(1, 1e9) .. '","timestamp":"2026-12-01T10:00:00.000Z","properties":{"product_id":"p-' .. (counter % 500) .. '","sku":"SKU-' .. (counter % 500) .. '","category":"Games","name":"Monopoly: 3rd Edition","brand":"Hasbro","variant":"200 pieces","price":18.99,"quantity":1,"currency":"USD","position":3,"value":18.99,"url":"https://www.example.com/product/path","image_url":"https://www.example.com/product/path.jpg"},' .. ctx .. '}'
  return wrk.format("POST", "/v1/track", {["Content-Type"] = "application/json", ["Authorization"] = auth}, body)
end
"""


def run_wrk(rapport: Rapport, path: str, connections: int, seconds: int, script: Path | None) -> dict:
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "30s", "--latency"]
    if script:
        command += ["-s", str(script)]
    ticks = cpu_ticks(rapport)
    output = subprocess.run(command + [rapport.url(path)], capture_output=True, text=True, check=True).stdout
    found = parse_wrk(output)
    found["cpu_seconds"] = (cpu_ticks(rapport) - ticks) / os.sysconf("SC_CLK_TCK")
    return found


def cpu_ticks(rapport: Rapport) -> int:
    with open(f"/proc/{rapport.server.pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def count_rows(database: str, psql: str | None) -> int:
    if database.startswith("sqlite:"):
        import sqlite3
        db = sqlite3.connect(database[len("sqlite:"):])
        try:
            return db.execute("SELECT COUNT(*) FROM activities").fetchone()[0]
        finally:
            db.close()
    output = subprocess.run([psql, database, "-At", "-c", "SELECT COUNT(*) FROM activities"], capture_output=True, text=True, check=True)
    return int(output.stdout.strip())


def storage_floor(args, rows: int, work: Path) -> tuple[float, str]:
    """The same number of timeline rows, shaped like the ones ingest stores, written outside Rapport."""
    path = work / "limit.csv"
    properties = ('{"product_id":"p-1","sku":"SKU-1","category":"Games","name":"Monopoly: 3rd Edition","brand":"Hasbro",'
                  '"variant":"200 pieces","price":18.99,"quantity":1,"currency":"USD","position":3,"value":18.99,'
                  '"url":"https://www.example.com/product/path","image_url":"https://www.example.com/product/path.jpg"}')
    context = ('{"campaign":{"medium":"email","name":"winter","source":"newsletter"},"ip":"203.0.113.7","library":'
               '{"name":"analytics.js","version":"4.1.0"},"locale":"en-US","page":{"path":"/pricing","referrer":'
               '"https://www.google.com/","search":"?utm_source=newsletter","title":"Pricing – Example","url":'
               '"https://www.example.com/pricing?utm_source=newsletter"},"screen":{"density":2,"height":1080,"width":1920},'
               '"timezone":"Europe/Berlin","userAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 '
               '(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"}')
    stamp = int(time.time() * 1000)
    with open(path, "w", newline="") as file:
        writer = csv.writer(file, quoting=csv.QUOTE_ALL, lineterminator="\n")
        for n in range(rows):
            writer.writerow([args.workspace, f"limit-{stamp}-{n:08d}", f"customer-{n % args.people}", "track", "Product Viewed",
                             stamp - n, stamp, f"limit-{stamp}-{n}", properties, context])
    command = [sys.executable, args.physical_limit, "--database", args.database, "--rows", str(path),
               "--transaction", str(args.limit_transaction)]
    if args.psql:
        command += ["--psql", args.psql]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the storage floor failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    output = done.stdout.strip().splitlines()[-1]
    path.unlink()
    rate = float(output.split()[1])
    return rate, output.split(" method ", 1)[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rapport", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--psql")
    parser.add_argument("--physical-limit", required=True)
    parser.add_argument("--limit-transaction", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--people", type=int, default=2000)
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    engine = "SQLite" if args.database.startswith("sqlite:") else "PostgreSQL"

    rapport = Rapport(args.rapport, args.database, work)
    rapport.env["LOG_LEVEL"] = "info"
    rapport.run("migrate")
    args.workspace = rapport.run("workspace", "create", "--name", "Single").strip().splitlines()[-1]
    key = rapport.run("apikey", "create", "--workspace", "Single", "--name", "single", "--scope", "track").strip().splitlines()[-1]
    import base64
    auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    script = work / "track.lua"
    rapport.start()
    try:
        # Warm-up: every person is met once (profiles created), then the rounds see known people only.
        script.write_text(LUA.replace("__AUTH__", auth).replace("__PEOPLE__", str(args.people)).replace("__TAG__", "warm"))
        run_wrk(rapport, "/v1/track", args.connections, 5, script)
        rounds = []
        for round in range(args.rounds):
            script.write_text(LUA.replace("__AUTH__", auth).replace("__PEOPLE__", str(args.people)).replace("__TAG__", f"r{round}"))
            before = count_rows(args.database, args.psql)
            track = run_wrk(rapport, "/v1/track", args.connections, args.seconds, script)
            stored = count_rows(args.database, args.psql) - before
            acknowledged = track["requests"] - track["non2xx"] - track["errors"] - track["timeouts"]
            if stored < acknowledged:
                raise SystemExit(f"{acknowledged} requests were acknowledged but {stored} timeline rows were stored")
            floor = run_wrk(rapport, "/healthz", args.connections, args.seconds, None)
            rounds.append({"track": track, "floor": floor, "stored": stored, "acknowledged": acknowledged})
            log(f"single events round {round + 1}: {track['rps']:.0f} requests/s (p99 {track['p99']} ms), "
                f"/healthz {floor['rps']:.0f} requests/s, {stored} rows stored")
    finally:
        rapport.stop()
    limits = [storage_floor(args, 20_000, work) for _ in range(args.rounds)]

    def median(values):
        return statistics.median(values)

    rps = median([r["track"]["rps"] for r in rounds])
    p50, p99 = median([r["track"]["p50"] for r in rounds]), median([r["track"]["p99"] for r in rounds])
    floor = median([r["floor"]["rps"] for r in rounds])
    storage = median([rate for rate, _ in limits])
    both = 1 / (1 / floor + 1 / storage)
    cpu = median([r["track"]["cpu_seconds"] / max(1, r["track"]["requests"]) * 1e6 for r in rounds])
    floor_cpu = median([r["floor"]["cpu_seconds"] / max(1, r["floor"]["requests"]) * 1e6 for r in rounds])
    problems = sum(r["track"]["non2xx"] + r["track"]["errors"] + r["track"]["timeouts"] for r in rounds)
    lines = [
        f"### Single events, {engine}",
        "",
        f"`/v1/track`, one message a request, {args.connections} connections of wrk for {args.seconds} s a round, "
        f"median of {args.rounds} rounds ({problems} failed or non-2xx requests in all; every acknowledged request's "
        f"timeline row was counted in the database afterwards).",
        "",
        "| measure | Rapport | reference (same run) | ratio |",
        "| --- | --- | --- | --- |",
        f"| requests/s | {rps:,.0f} (p50 {p50:.1f} ms, p99 {p99:.1f} ms) | the aim: {AIM:,} requests/s | {rps / AIM:.2f} |",
        f"| the same | {rps:,.0f} | HTTP floor, `GET /healthz` under the same load: {floor:,.0f} requests/s | {rps / floor:.2f} |",
        f"| the same | {rps:,.0f} | storage floor, the same number of timeline rows written outside Rapport ({limits[0][1]}): "
        f"{storage:,.0f} rows/s | {rps / storage:.2f} |",
        f"| the same | {rps:,.0f} | both floors on the same cores, 1 / (1/HTTP + 1/storage): {both:,.0f} requests/s | {rps / both:.2f} |",
        f"| server CPU per request | {cpu:.0f} µs | `/healthz`: {floor_cpu:.0f} µs | {cpu / max(1, floor_cpu):.1f} |",
        "",
    ]
    if both < AIM:
        lines.append(f"On this machine the two floors together allow {both:,.0f} requests/s: the aim of {AIM:,} is above what any "
                     "server could reach here with the load tool on the same cores.")
        lines.append("")
    Path(args.output).write_text("\n".join(lines))


if __name__ == "__main__":
    main()
