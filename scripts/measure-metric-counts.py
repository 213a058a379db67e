#!/usr/bin/env python3
"""Times the metrics API on a SQLite workspace of N responses (default 1,000,000) against DuckDB on the same rows.

Not a test and not the benchmark (branch metrics-bench has that): a quick check, while the engine changes, of what the
database-side counts cost at scale (docs/decisions.md, "Metrics are counted in the database").

    RAPPORT_BIN=.build/debug/rapport /work/main/.venv-e2e/bin/python scripts/measure-metric-counts.py [N]

It migrates a temp SQLite database with the binary, creates a workspace (America/New_York), an NPS and a CSAT survey
and five segments through the API, bulk-loads responses (a year, 8 agents, 3 channels, 100,000 customers) and segment
members with Python's sqlite3 (as the benchmark does), runs `rapport metrics rebuild`, then times each query:
through the API (median of 5, after one warm-up), the same count SQL in Python's sqlite3 (an optimised SQLite build;
the debug binary's SQLite is not), and DuckDB over the same rows.
"""
import json, os, random, socket, sqlite3, statistics, subprocess, sys, tempfile, time, urllib.request, uuid

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
BIN = os.environ.get("RAPPORT_BIN", ".build/debug/rapport")
tmp = tempfile.mkdtemp(prefix="rapport-metric-counts-")
db_path = os.path.join(tmp, "r.sqlite")
url = f"sqlite:{db_path}"


def run(*args):
    return subprocess.run([BIN, *args, "--database", url], check=True, capture_output=True, text=True).stdout


run("migrate")
run("workspace", "create", "--name", "Bench")
key = run("apikey", "create", "--workspace", "Bench", "--name", "bench", "--scope", "admin").strip().splitlines()[-1]
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
server = subprocess.Popen([BIN, "serve", "--port", str(port), "--database", url], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
base = f"http://127.0.0.1:{port}"


def call(method, path, body=None):
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=600) as reply:
        return json.loads(reply.read() or b"null")


try:
    for _ in range(100):
        try:
            call("GET", "/api/v1/surveys")
            break
        except Exception:
            time.sleep(0.2)
    workspace_id = sqlite3.connect(db_path).execute("SELECT id FROM workspaces WHERE name = 'Bench'").fetchone()[0]
    call("PATCH", f"/api/v1/workspaces/{workspace_id}", {"time_zone": "America/New_York"})
    surveys = {}
    for kind in ["nps", "csat"]:
        question = {"id": "q", "type": kind, "required": True, "text": "?"}
        if kind == "csat":
            question["scale"] = "1-5"
        made = call("POST", "/api/v1/surveys", {"name": kind, "questions": [question], "settings": {"follow_up": {"enabled": False}}})
        call("POST", f"/api/v1/surveys/{made['id']}/activate")
        surveys[kind] = made["id"]
    segments = [call("POST", "/api/v1/segments", {"name": f"Segment {i}", "rule": {"all": [{"field": "trait.tier", "op": "eq", "value": f"t{i}"}]}})["id"]
                for i in range(5)]

    random.seed(1)
    customers = [str(uuid.UUID(int=random.getrandbits(128))) for _ in range(100_000)]
    start = 1_767_225_600_000  # 2026-01-01T00:00:00Z
    year = 365 * 86_400_000
    agents = [f"agent{i}@acme.test" for i in range(8)]
    channels = ["email", "widget", "api"]
    rows = []
    for i in range(N):
        survey = "nps" if i % 2 == 0 else "csat"
        score = random.randint(0, 10) if survey == "nps" else random.randint(1, 5)
        band = (("promoter" if score >= 9 else "passive" if score >= 7 else "detractor") if survey == "nps"
                else ("positive" if score >= 4 else "neutral" if score == 3 else "negative"))
        at = start + random.randrange(year)
        rows.append((workspace_id, str(uuid.UUID(int=i + 1)), surveys[survey], 1, random.choice(customers), None, random.choice(channels),
                     "en", json.dumps({"q": score}), score, band, json.dumps({"agent": random.choice(agents), "touchpoint": "support"}),
                     "completed", at, at, at, None))
    t = time.time()
    connection = sqlite3.connect(db_path)
    connection.executemany("INSERT INTO survey_responses (workspace_id, id, survey_id, version, customer_id, invitation_id, channel, language,"
                           " answers, score, band, attributes, status, submitted_at, created_at, updated_at, external_id)"
                           " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    members = [(workspace_id, segment, customer, 0) for index, segment in enumerate(segments)
               for customer in customers[index * 15_000: index * 15_000 + 30_000]]
    connection.executemany("INSERT OR IGNORE INTO segment_members (workspace_id, segment_id, customer_id, added_at) VALUES (?,?,?,?)", members)
    connection.commit()
    print(f"loaded {N} responses and {len(members)} segment members in {time.time() - t:.1f} s (Python sqlite3)")
    t = time.time()
    print(run("metrics", "rebuild").strip(), f"(wall {time.time() - t:.1f} s with the binary's start)")

    # The same rows in DuckDB.
    import duckdb
    duck = duckdb.connect()
    duck.execute("CREATE TABLE r (survey_id TEXT, customer_id TEXT, channel TEXT, score BIGINT, band TEXT, agent TEXT, submitted_at BIGINT)")
    csv_path = os.path.join(tmp, "r.csv")
    with open(csv_path, "w") as out:
        for row in rows:
            out.write(f"{row[2]},{row[4]},{row[6]},{row[9]},{row[10]},{json.loads(row[11])['agent']},{row[13]}\n")
    duck.execute(f"INSERT INTO r SELECT * FROM read_csv('{csv_path}', header=false, columns={{'survey_id':'TEXT','customer_id':'TEXT',"
                 "'channel':'TEXT','score':'BIGINT','band':'TEXT','agent':'TEXT','submitted_at':'BIGINT'})")
    duck.execute("CREATE TABLE m (segment_id TEXT, customer_id TEXT)")
    duck.executemany("INSERT INTO m VALUES (?, ?)", [(m[1], m[2]) for m in members])

    def timed(fn, times=5):
        fn()
        samples = []
        for _ in range(times):
            t = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t)
        return statistics.median(samples)

    fr, to = "2026-01-01", "2026-12-31"
    # New York's offsets over 2026 (DST from 2026-03-08T07:00Z to 2026-11-01T06:00Z), as the engine writes them.
    day = "((r.submitted_at + CASE WHEN r.submitted_at < 1772953200000 THEN -18000000 WHEN r.submitted_at < 1793512800000 THEN -14400000" \
          " ELSE -18000000 END + 86400000000000) / 86400000 - 1000000)"
    lo, hi = start, start + 365 * 86_400_000
    cases = {
        "NPS by week x segment": (
            f"/api/v1/metrics/nps?survey={surveys['nps']}&from={fr}&to={to}&interval=week&group_by=segment",
            f"SELECT {day} AS local_day, m.segment_id AS group_key, r.score, r.band, COUNT(*) FROM survey_responses r LEFT JOIN segment_members m"
            f" ON m.workspace_id = r.workspace_id AND m.customer_id = r.customer_id WHERE r.workspace_id = '{workspace_id}' AND r.submitted_at >= {lo}"
            f" AND r.submitted_at < {hi} AND r.status = 'completed' AND r.score IS NOT NULL AND r.survey_id IN ('{surveys['nps']}')"
            " GROUP BY local_day, group_key, r.score, r.band",
            "SELECT (submitted_at - 18000000) // 604800000 AS wk, m.segment_id, score, COUNT(*) FROM r LEFT JOIN m ON m.customer_id = r.customer_id"
            f" WHERE survey_id = '{surveys['nps']}' GROUP BY ALL"),
        "CSAT by agent x month": (
            f"/api/v1/metrics/csat?survey={surveys['csat']}&from={fr}&to={to}&interval=month&group_by=agent",
            f"SELECT {day} AS local_day, (CASE WHEN json_type(r.attributes, '$.\"agent\"') = 'text' THEN json_extract(r.attributes, '$.\"agent\"') END)"
            f" AS group_key, r.score, r.band, COUNT(*) FROM survey_responses r WHERE r.workspace_id = '{workspace_id}' AND r.submitted_at >= {lo}"
            f" AND r.submitted_at < {hi} AND r.status = 'completed' AND r.score IS NOT NULL AND r.survey_id IN ('{surveys['csat']}')"
            " GROUP BY local_day, group_key, r.score, r.band",
            "SELECT date_trunc('month', make_timestamp((submitted_at - 18000000) * 1000)) AS mo, agent, score, COUNT(*) FROM r"
            f" WHERE survey_id = '{surveys['csat']}' GROUP BY ALL"),
        "NPS overall, a year": (
            f"/api/v1/metrics/nps?survey={surveys['nps']}&from={fr}&to={to}",
            f"SELECT r.score, r.band, COUNT(*) FROM survey_responses r WHERE r.workspace_id = '{workspace_id}' AND r.submitted_at >= {lo}"
            f" AND r.submitted_at < {hi} AND r.status = 'completed' AND r.score IS NOT NULL AND r.survey_id IN ('{surveys['nps']}') GROUP BY r.score, r.band",
            f"SELECT score, COUNT(*) FROM r WHERE survey_id = '{surveys['nps']}' GROUP BY ALL"),
    }
    reader = sqlite3.connect(db_path)
    print(f"{'query':32} {'API (debug bin)':>16} {'same SQL, py sqlite3':>21} {'DuckDB':>8}")
    for name, (path, sql, duck_sql) in cases.items():
        api = timed(lambda: call("GET", path))
        lite = timed(lambda: reader.execute(sql).fetchall()) if sql else float("nan")
        dk = timed(lambda: duck.execute(duck_sql).fetchall()) if duck_sql else float("nan")
        print(f"{name:32} {api * 1000:13.0f} ms {lite * 1000:18.0f} ms {dk * 1000:5.0f} ms")
    plan = reader.execute("EXPLAIN QUERY PLAN " + cases["NPS by week x segment"][1]).fetchall()
    print("plan (NPS by week x segment):", "; ".join(row[-1] for row in plan))
finally:
    server.terminate()
    server.wait()
