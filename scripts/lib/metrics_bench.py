"""Metrics at scale (issue 12, point 8), one database per run: NPS by week × segment (and by week × agent) and CSAT by
agent × month answered by the real `rapport serve` over HTTP and by DuckDB over the same rows in the same run, the
answers checked cell by cell, and the dashboard under a wrk load of signed-in users. Called by scripts/bench
(BENCH_ONLY=metrics, or the default full run); writes a Markdown fragment for docs/benchmarks.md.

The data set is one workspace, generated with a fixed seed: N customers with traits (plan, region, tier, newsletter,
app) and six segments whose rules read them (overlapping membership, written to segment_members as a refresh
would), three surveys created through the API (an NPS survey after support, a relationship NPS survey, a CSAT survey
after a ticket), M completed responses spread over a year with agent, team and touchpoint attributes, a score
distribution that shifts for the better in June, and the email invitations behind the email responses (plus the
unanswered ones) for the response rate. The rows are written in Rapport's own formats (answers and attributes JSON,
score and band, status 'completed', times in milliseconds); the workspace's time zone is Europe/Berlin.

Loads: SQLite by Python's sqlite3 with Rapport's PRAGMAs, executemany in transactions of 100,000 rows; PostgreSQL
by COPY … FROM STDIN (CSV) through psql; DuckDB from the same CSV files into its own tables.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import requests

ZONE = "Europe/Berlin"
PASSWORD = "bench-password-1"
OWNER = "owner@bench.example"
DAY = 86_400_000
# A year of responses: 2025-12-01 to 2026-12-01 (UTC); the questions ask for the whole year.
START = int(datetime(2025, 12, 1, tzinfo=timezone.utc).timestamp() * 1000)
END = int(datetime(2026, 12, 1, tzinfo=timezone.utc).timestamp() * 1000)
SHIFT = int(datetime(2026, 6, 15, tzinfo=timezone.utc).timestamp() * 1000)
FROM_ISO, TO_ISO = "2025-12-01T00:00:00Z", "2026-11-30T23:59:59Z"
# `to` as a date-time takes in that instant (+1 ms): the same bound for DuckDB.
FROM_MS = START
TO_MS = int(datetime(2026, 11, 30, 23, 59, 59, tzinfo=timezone.utc).timestamp() * 1000) + 1

SEGMENTS = [  # name, rule, membership test on the generated traits
    ("Pro plan", {"field": "trait.plan", "op": "eq", "value": "pro"}, lambda t: t["plan"] == "pro"),
    ("Enterprise", {"field": "trait.plan", "op": "eq", "value": "enterprise"}, lambda t: t["plan"] == "enterprise"),
    ("Europe", {"field": "trait.region", "op": "eq", "value": "eu"}, lambda t: t["region"] == "eu"),
    ("Gold and up", {"field": "trait.tier", "op": "in", "value": ["gold", "platinum"]},
     lambda t: t["tier"] in ("gold", "platinum")),
    ("Newsletter", {"field": "trait.newsletter", "op": "eq", "value": True}, lambda t: t["newsletter"]),
    ("Mobile app", {"field": "trait.app", "op": "eq", "value": True}, lambda t: t["app"]),
]
TEAMS = ["Support EU", "Support US", "Billing", "Onboarding"]
AGENTS = [f"agent{index:02d}@bench.example" for index in range(40)]
TOUCHPOINTS = ["chat", "phone", "email_ticket", "onboarding_call", "delivery"]
COMMENTS = ["Quick and friendly, thank you.", "Took three days to get an answer.", "The agent fixed it on the first call.",
            "Billing is still confusing.", "Great app, but the export is slow.", "I had to repeat myself twice."]


def log(message: str) -> None:
    print(f"[metrics {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def uid(kind: int, index: int) -> str:
    """A deterministic lowercase UUID (version 4 layout) per kind and index."""
    return f"{kind:08x}-0000-4000-8000-{index:012x}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Rapport:
    def __init__(self, binary: str, database: str, work: Path):
        self.binary, self.database, self.work = binary, database, work
        self.env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL" and not key.startswith("RAPPORT_ADMIN_")}
        # The scheduled segment refresh would recompute 1M customers' membership in the middle of a measurement.
        self.env.update({"DATABASE_URL": database, "SEGMENT_REFRESH_CRON": "0 3 1 1 *", "LOG_LEVEL": "warning"})
        self.server: subprocess.Popen | None = None
        self.port = 0

    def run(self, *args: str, timeout: float = 3600) -> str:
        result = subprocess.run([self.binary, *args], env=self.env, capture_output=True, text=True, timeout=timeout,
                                stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            raise SystemExit(f"rapport {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def has_command(self, name: str) -> bool:
        """Whether `rapport --help` lists the subcommand (an unknown one with --help still exits 0)."""
        result = subprocess.run([self.binary, "--help"], env=self.env, capture_output=True, text=True, timeout=60)
        return re.search(rf"^\s+{name}\s", result.stdout, re.MULTILINE) is not None

    def start(self) -> None:
        self.port = free_port()
        log_file = open(self.work / "serve.log", "a")
        self.server = subprocess.Popen([self.binary, "serve", "--host", "127.0.0.1", "--port", str(self.port)], env=self.env,
                                       stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise SystemExit(f"rapport serve exited with {self.server.returncode}; see {self.work / 'serve.log'}")
            try:
                if requests.get(self.url("/healthz"), timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise SystemExit("rapport serve did not answer /healthz in 300 s")

    def stop(self) -> None:
        if self.server and self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)
            try:
                self.server.wait(60)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()
        self.server = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def rss_bytes(self) -> int:
        try:
            with open(f"/proc/{self.server.pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) * 1024
        except (OSError, AttributeError):
            pass
        return 0


class PeakMemory:
    """The server's peak resident memory while a block runs (sampled every 0.2 s): the in-memory engine's cost, and a
    guard for the shared machine."""

    def __init__(self, rapport: Rapport, limit: int, on_limit=None):
        self.rapport, self.limit, self.on_limit = rapport, limit, on_limit
        self.peak, self.over = 0, False

    def __enter__(self):
        self.running = True
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()
        return self

    def sample(self):
        while self.running:
            self.peak = max(self.peak, self.rapport.rss_bytes())
            if self.peak > self.limit and not self.over:
                self.over = True
                if self.on_limit:
                    self.on_limit()
            time.sleep(0.2)

    def __exit__(self, *_):
        self.running = False
        self.thread.join()


# --- the data set --------------------------------------------------------------------------------------------------

def table(values: list, weights: list[float], size: int = 1000) -> list:
    """A lookup table for a weighted draw in one step (`rng.choices` is slow over millions of rows)."""
    total, cells, acc = sum(weights), [], 0.0
    for value, weight in zip(values, weights):
        acc += weight
        cells += [value] * (round(acc / total * size) - len(cells))
    return cells


def draw(rng: random.Random, cells: list):
    return cells[int(rng.random() * len(cells))]


PLANS = table(["free", "pro", "enterprise"], [0.62, 0.30, 0.08])
TIERS = {"free": table(["bronze", "silver", "gold", "platinum"], [0.80, 0.15, 0.04, 0.01]),
         "pro": table(["bronze", "silver", "gold", "platinum"], [0.35, 0.35, 0.22, 0.08]),
         "enterprise": table(["bronze", "silver", "gold", "platinum"], [0.05, 0.25, 0.40, 0.30])}
REGIONS = table(["eu", "us", "apac"], [0.40, 0.45, 0.15])
PROMOTERS, PASSIVES = table([9, 10], [0.45, 0.55]), table([7, 8], [0.45, 0.55])
DETRACTORS = table([0, 1, 2, 3, 4, 5, 6], [0.04, 0.03, 0.05, 0.08, 0.12, 0.24, 0.44])
SATISFIED, UNSATISFIED = table([4, 5], [0.45, 0.55]), table([1, 2, 3], [0.25, 0.30, 0.45])
HOURS = table(list(range(24)), [1, 1, 1, 1, 1, 2, 4, 7, 9, 10, 10, 9, 8, 9, 9, 9, 8, 7, 6, 5, 4, 3, 2, 1])
KINDS = table(["support", "relationship", "csat"], [0.45, 0.15, 0.40])
CHANNELS = table(["email", "widget", "link"], [0.5, 0.3, 0.2])
START_WEEKDAY = datetime.fromtimestamp(START / 1000, timezone.utc).weekday()
YEAR_DAYS = (END - START) // DAY


def customer_traits(rng: random.Random) -> dict:
    plan = draw(rng, PLANS)
    return {"plan": plan, "region": draw(rng, REGIONS), "tier": draw(rng, TIERS[plan]),
            "newsletter": rng.random() < 0.5, "app": rng.random() < (0.55 if plan == "pro" else 0.30)}


def nps_score(rng: random.Random, at: int, mood: float) -> int:
    # Promoters / passives / detractors shift for the better after mid-June (a visible change in the trend).
    promoters, detractors = (0.44, 0.26) if at < SHIFT else (0.52, 0.18)
    promoters, detractors = max(0.05, promoters + mood), max(0.03, detractors - mood)
    roll = rng.random()
    if roll < promoters:
        return draw(rng, PROMOTERS)
    if roll < promoters + detractors:
        return draw(rng, DETRACTORS)
    return draw(rng, PASSIVES)


def csat_score(rng: random.Random, at: int, mood: float) -> int:
    good = (0.74 if at < SHIFT else 0.80) + mood
    return draw(rng, SATISFIED) if rng.random() < good else draw(rng, UNSATISFIED)


def response_time(rng: random.Random) -> int:
    """A moment in the year, weekdays and office hours heavier, volume growing over the year."""
    while True:
        day = int(YEAR_DAYS * (rng.random() ** 0.85))
        if (START_WEEKDAY + day) % 7 >= 5 and rng.random() < 0.6:
            continue
        return START + day * DAY + draw(rng, HOURS) * 3_600_000 + int(rng.random() * 3_600_000)


def compact(value) -> str:
    return json.dumps(value, separators=(",", ":"))


def generate(work: Path, *, seed: int, customers: int, responses: int, workspace: str, surveys: dict, segments: list[str]) -> dict:
    """Writes customers.csv, segment_members.csv, survey_responses.csv and survey_invitations.csv; returns counts."""
    rng = random.Random(seed)
    started = time.monotonic()
    moods: list[float] = []  # per customer, from plan and region
    members = 0
    segment_counts = [0] * len(segments)
    with open(work / "customers.csv", "w", newline="") as cfile, open(work / "segment_members.csv", "w", newline="") as mfile:
        cw, mw = csv.writer(cfile), csv.writer(mfile)
        for index in range(customers):
            traits = customer_traits(rng)
            moods.append({"free": -0.03, "pro": 0.04, "enterprise": -0.06}[traits["plan"]] + (0.02 if traits["region"] == "eu" else 0.0))
            created = START - 400 * DAY + int(rng.random() * (400 * DAY + (END - START) // 2))
            last_seen = min(END, created + int(rng.random() * 500 * DAY))
            cid = uid(1, index)
            cw.writerow([workspace, cid, f"customer{index}@mail.example", f"Customer {index}", compact(traits), "{}",
                         created, last_seen, created, last_seen])
            for position, (_, _, test) in enumerate(SEGMENTS):
                if test(traits):
                    mw.writerow([workspace, segments[position], cid, created])
                    segment_counts[position] += 1
                    members += 1
    log(f"generated {customers:,} customers and {members:,} segment memberships in {time.monotonic() - started:.0f} s")
    started = time.monotonic()
    agent_mood = {agent: rng.uniform(-0.08, 0.08) for agent in AGENTS}
    agent_team = {agent: TEAMS[index % len(TEAMS)] for index, agent in enumerate(AGENTS)}
    attribute_text = {(agent, touchpoint): compact({"agent": agent, "team": agent_team[agent], "touchpoint": touchpoint})
                      for agent in AGENTS for touchpoint in TOUCHPOINTS}
    relationship_text = compact({"touchpoint": "quarterly"})
    answer_text = {(score, comment): compact({"score": score} if comment is None else {"score": score, "reason": comment})
                   for score in range(11) for comment in [None, *COMMENTS]}
    nps_bands = ["detractor"] * 7 + ["passive"] * 2 + ["promoter"] * 2
    csat_bands = [None, "negative", "negative", "neutral", "positive", "positive"]
    invitations = 0
    with open(work / "survey_responses.csv", "w", newline="") as rfile, open(work / "survey_invitations.csv", "w", newline="") as ifile:
        rw, iw = csv.writer(rfile), csv.writer(ifile)
        for index in range(responses):
            kind = draw(rng, KINDS)
            customer = int(rng.random() * customers)
            at = response_time(rng)
            agent = AGENTS[int(rng.random() * len(AGENTS))]
            if kind == "relationship":
                attributes, mood = relationship_text, moods[customer]
            else:
                attributes = attribute_text[(agent, TOUCHPOINTS[int(rng.random() * len(TOUCHPOINTS))])]
                mood = moods[customer] + agent_mood[agent]
            survey = surveys[kind]
            if kind == "csat":
                score = csat_score(rng, at, mood)
                band = csat_bands[score]
            else:
                score = nps_score(rng, at, mood)
                band = nps_bands[score]
            answers = answer_text[(score, COMMENTS[int(rng.random() * len(COMMENTS))] if rng.random() < 0.3 else None)]
            channel = draw(rng, CHANNELS)
            invitation = ""
            created = at - 60_000 - int(rng.random() * 540_000)
            customer_id = uid(1, customer)
            if channel == "email":
                invitation = uid(3, invitations)
                sent = at - 600_000 - int(rng.random() * 3 * DAY)
                iw.writerow([workspace, invitation, survey, customer_id, "email", "responded", attributes, "api", sent, sent, 0, at, sent, at])
                invitations += 1
                # Unanswered invitations beside it: a response rate of about 30 %.
                roll = rng.random()
                for _ in range(1 if roll < 0.4 else 2 if roll < 0.8 else 3):
                    other = int(rng.random() * customers)
                    sent_other = max(START, at - DAY - int(rng.random() * 19 * DAY))
                    iw.writerow([workspace, uid(3, invitations), survey, uid(1, other), "email", "sent", attributes, "api",
                                 sent_other, sent_other, 0, "", sent_other, sent_other])
                    invitations += 1
            rw.writerow([workspace, uid(2, index), survey, 1, customer_id, invitation, channel, "en", answers, score, band,
                         attributes, "completed", at, created, at])
    log(f"generated {responses:,} responses and {invitations:,} invitations in {time.monotonic() - started:.0f} s")
    return {"members": members, "invitations": invitations, "segment_counts": segment_counts}


CUSTOMER_COLUMNS = "workspace_id, id, email, name, traits, trait_times, created_at, updated_at, first_seen_at, last_seen_at"
MEMBER_COLUMNS = "workspace_id, segment_id, customer_id, added_at"
RESPONSE_COLUMNS = ("workspace_id, id, survey_id, version, customer_id, invitation_id, channel, language, answers, score, band, "
                    "attributes, status, submitted_at, created_at, updated_at")
INVITATION_COLUMNS = ("workspace_id, id, survey_id, customer_id, channel, status, attributes, source, send_at, sent_at, "
                      "reminders_sent, responded_at, created_at, updated_at")
TABLES = [("customers", CUSTOMER_COLUMNS), ("segment_members", MEMBER_COLUMNS), ("survey_responses", RESPONSE_COLUMNS),
          ("survey_invitations", INVITATION_COLUMNS)]


def load_sqlite(path: str, work: Path) -> float:
    db = sqlite3.connect(path, isolation_level=None)
    # Rapport's PRAGMAs, with a 2 GB page cache for the load (index pages of 10M rows keyed by random ids).
    for pragma in ["busy_timeout = 30000", "journal_mode = WAL", "synchronous = FULL", "cache_size = -2000000", f"mmap_size = {1 << 30}"]:
        db.execute(f"PRAGMA {pragma}")
    started = time.monotonic()
    for table, columns in TABLES:
        count = len(columns.split(","))
        statement = f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * count)})"
        with open(work / f"{table}.csv", newline="") as file:
            reader = csv.reader(file)
            while True:
                chunk = [[None if value == "" else value for value in row] for _, row in zip(range(100_000), reader)]
                if not chunk:
                    break
                db.execute("BEGIN IMMEDIATE")
                db.executemany(statement, chunk)
                db.execute("COMMIT")
        log(f"sqlite: loaded {table}")
    db.execute("ANALYZE")
    db.close()
    return time.monotonic() - started


def load_postgres(url: str, psql: str, work: Path) -> float:
    started = time.monotonic()
    for table, columns in TABLES:
        with open(work / f"{table}.csv", "rb") as file:
            subprocess.run([psql, url, "-v", "ON_ERROR_STOP=1", "-q", "-c", f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)"],
                           stdin=file, check=True)
        log(f"postgres: loaded {table}")
    subprocess.run([psql, url, "-q", "-c", "ANALYZE"], check=True)
    return time.monotonic() - started


def sql(database: str, psql: str | None, statement: str) -> None:
    if database.startswith("sqlite:"):
        db = sqlite3.connect(database[len("sqlite:"):], isolation_level=None)
        db.execute("PRAGMA busy_timeout = 30000")
        db.execute(statement)
        db.close()
    else:
        subprocess.run([psql, database, "-v", "ON_ERROR_STOP=1", "-q", "-c", statement], check=True)


def load_duckdb(work: Path) -> tuple[duckdb.DuckDBPyConnection, float]:
    con = duckdb.connect(str(work / "reference.duckdb"))
    con.execute(f"SET TimeZone = '{ZONE}'")
    types = {
        "customers": "workspace_id VARCHAR, id VARCHAR, email VARCHAR, name VARCHAR, traits VARCHAR, trait_times VARCHAR, created_at BIGINT, updated_at BIGINT, first_seen_at BIGINT, last_seen_at BIGINT",
        "segment_members": "workspace_id VARCHAR, segment_id VARCHAR, customer_id VARCHAR, added_at BIGINT",
        "survey_responses": "workspace_id VARCHAR, id VARCHAR, survey_id VARCHAR, version BIGINT, customer_id VARCHAR, invitation_id VARCHAR, channel VARCHAR, language VARCHAR, answers VARCHAR, score BIGINT, band VARCHAR, attributes VARCHAR, status VARCHAR, submitted_at BIGINT, created_at BIGINT, updated_at BIGINT",
    }
    started = time.monotonic()
    for table, columns in types.items():
        spec = ", ".join(f"'{name}': '{kind}'" for name, kind in (c.split(" ") for c in columns.split(", ")))
        con.execute(f"DROP TABLE IF EXISTS {table}")
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv('{work / (table + '.csv')}', header = false, columns = {{{spec}}})")
    return con, time.monotonic() - started


# --- the questions -------------------------------------------------------------------------------------------------

def week_or_month(interval: str) -> str:
    return f"epoch_ms(date_trunc('{interval}', make_timestamptz(r.submitted_at * 1000)))"


def nps_value() -> str:
    return "100.0 * (count_if(r.score >= 9) - count_if(r.score <= 6)) / count(*)"


def csat_value() -> str:
    return "100.0 * count_if(r.band = 'positive') / count(*)"


def reference_sql(question: dict, workspace: str, surveys: list[str]) -> str:
    where = (f"r.workspace_id = '{workspace}' AND r.status = 'completed' AND r.score IS NOT NULL AND r.submitted_at >= {FROM_MS} "
             f"AND r.submitted_at < {TO_MS} AND r.survey_id IN ({', '.join(repr(s) for s in surveys)})")
    value = nps_value() if question["metric"] == "nps" else csat_value()
    period = week_or_month(question["interval"])
    if question["group_by"] == "segment":
        source = "survey_responses r JOIN segment_members m ON m.workspace_id = r.workspace_id AND m.customer_id = r.customer_id"
        key = "m.segment_id"
    else:
        source = "survey_responses r"
        key = f"json_extract_string(r.attributes, '$.{question['group_by']}')"
    # Each group by period, each group overall, and the whole (overall and by period), as Rapport's report holds them.
    # By segment, a response counts in each segment its customer is a member of, and in "(none)" (key null) when in none.
    none = ""
    if question["group_by"] == "segment":
        outside = (f"{where} AND NOT EXISTS (SELECT 1 FROM segment_members m WHERE m.workspace_id = r.workspace_id "
                   f"AND m.customer_id = r.customer_id)")
        none = f"""
        UNION ALL SELECT NULL, {period}, count(*), {value} FROM survey_responses r WHERE {outside} GROUP BY ALL
        UNION ALL SELECT NULL, NULL, count(*), {value} FROM survey_responses r WHERE {outside} HAVING count(*) > 0"""
    return f"""
        SELECT {key} AS key, {period} AS start, count(*) AS n, {value} AS value FROM {source} WHERE {where} GROUP BY ALL
        UNION ALL SELECT {key}, NULL, count(*), {value} FROM {source} WHERE {where} GROUP BY ALL
        UNION ALL SELECT '*whole*', {period}, count(*), {value} FROM survey_responses r WHERE {where} GROUP BY ALL
        UNION ALL SELECT '*whole*', NULL, count(*), {value} FROM survey_responses r WHERE {where}
    """ + none


def iso_millis(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def rapport_cells(report: dict, segment_names: dict[str, str]) -> dict:
    cells = {}

    def add(key, group):
        if group.get("estimate"):
            cells[(key, None)] = (group["estimate"]["n"], group["estimate"]["value"])
        for point in group.get("series", []):
            if point.get("estimate"):
                cells[(key, iso_millis(point["start"]))] = (point["estimate"]["n"], point["estimate"]["value"])

    add("*whole*", report["overall"])
    for group in report["groups"]:
        add(group.get("key"), group)
    return cells


def compare(question: dict, got: dict, expected: dict) -> None:
    problems = []
    for cell, (n, value) in expected.items():
        if cell not in got:
            problems.append(f"{cell}: Rapport has no figure, DuckDB n={n} value={value}")
        elif got[cell][0] != n or abs(got[cell][1] - value) > 1e-9 * max(1.0, abs(value)):
            problems.append(f"{cell}: Rapport n={got[cell][0]} value={got[cell][1]}, DuckDB n={n} value={value}")
    for cell in got.keys() - expected.keys():
        problems.append(f"{cell}: Rapport has n={got[cell][0]}, DuckDB has no row")
    if problems:
        raise SystemExit(f"{question['label']}: Rapport and DuckDB disagree on {len(problems)} of {len(expected)} cells:\n  "
                         + "\n  ".join(problems[:20]))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(share * (len(ordered) - 1)))))]


def ask(session: requests.Session, url: str, timeout: float) -> tuple[float, dict | None, str | None]:
    started = time.perf_counter()
    try:
        reply = session.get(url, timeout=timeout)
    except requests.Timeout:
        return time.perf_counter() - started, None, f"no answer within {timeout:.0f} s"
    elapsed = time.perf_counter() - started
    if reply.status_code != 200:
        return elapsed, None, f"HTTP {reply.status_code}: {reply.text[:300]}"
    return elapsed, reply.json(), None


def measure_question(question: dict, rapport: Rapport, key: str, con, workspace: str, surveys: list[str],
                     segment_names: dict[str, str], runs: int, timeout: float) -> dict:
    params = {"interval": question["interval"], "group_by": question["group_by"], "from": FROM_ISO, "to": TO_ISO}
    url = rapport.url(f"/api/v1/metrics/{question['metric']}?{urllib.parse.urlencode(params)}")
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {key}"
    statement = reference_sql(question, workspace, surveys)
    result = {"label": question["label"], "rapport": [], "duckdb": []}
    elapsed, report, error = ask(session, url, timeout)  # warm-up, and the answer checked
    if error:
        if error.startswith("HTTP 400") and "group_by" in error:
            error = "not in this build (400 on group_by)"
        result["error"] = error
        log(f"{question['label']}: {error}")
        return result
    expected = {}
    for key_, start, n, value in con.execute(statement).fetchall():
        expected[(key_, start)] = (n, value)
    compare(question, rapport_cells(report, segment_names), expected)
    result["cells"] = len(expected)
    log(f"{question['label']}: {len(expected)} cells agree (first answer {elapsed:.2f} s)")
    # An engine that takes over 20 s an answer gets 2 timed runs, to keep the run's time sane.
    result["runs"] = runs if elapsed < 20 else min(runs, 2)
    for _ in range(result["runs"]):
        elapsed, _, error = ask(session, url, timeout)
        if error:
            result["error"] = error
            return result
        result["rapport"].append(elapsed)
        started = time.perf_counter()
        con.execute(statement).fetchall()
        result["duckdb"].append(time.perf_counter() - started)
    return result


# --- the dashboard under load --------------------------------------------------------------------------------------

class CsrfInput(HTMLParser):
    token = None

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "input" and values.get("name") == "_csrf":
            self.token = values.get("value")


def session_cookie(rapport: Rapport) -> str:
    session = requests.Session()
    parser = CsrfInput()
    parser.feed(session.get(rapport.url("/login"), timeout=30).text)
    reply = session.post(rapport.url("/login"), data={"email": OWNER, "password": PASSWORD, "_csrf": parser.token},
                         allow_redirects=False, timeout=60)
    cookie = session.cookies.get("rapport_session")
    if not cookie:
        raise SystemExit(f"login failed: {reply.status_code} {reply.text[:300]}")
    return cookie


def parse_wrk(text: str) -> dict:
    def millis(value: str) -> float:
        number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
        return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]

    found = {"p50": None, "p99": None, "rps": None, "requests": 0, "errors": 0, "timeouts": 0, "non2xx": 0}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in ("50%", "99%"):
            found["p" + parts[0][:-1]] = millis(parts[1])
        elif line.startswith("Requests/sec:"):
            found["rps"] = float(parts[1])
        elif "requests in" in line:
            found["requests"] = int(parts[0])
        elif line.strip().startswith("Socket errors:"):
            numbers = [int(n) for n in re.findall(r"\d+", line)]
            found["errors"], found["timeouts"] = sum(numbers[:3]), numbers[3]
        elif line.strip().startswith("Non-2xx or 3xx responses:"):
            found["non2xx"] = int(parts[-1])
    return found


def wrk(rapport: Rapport, path: str, connections: int, seconds: int, cookie: str | None, memory_limit: int,
        think_ms: int = 0) -> dict:
    """wrk against `path`; with `think_ms`, each connection (a user) waits that long after a page before asking again
    (wrk's Lua `delay`, which wrk leaves out of the latency), else it asks again at once (a closed loop at full load)."""
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "60s", "--latency"]
    if think_ms:
        script = rapport.work / "think.lua"
        script.write_text(f"function delay()\n  return {think_ms}\nend\n")
        command += ["-s", str(script)]
    if cookie:
        command += ["-H", f"Cookie: rapport_session={cookie}"]
    process = subprocess.Popen(command + [rapport.url(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with PeakMemory(rapport, memory_limit, on_limit=lambda: process.send_signal(signal.SIGINT)) as memory:
        output, _ = process.communicate()
    found = parse_wrk(output)
    found["peak_rss"], found["stopped"] = memory.peak, memory.over
    return found


# --- the run -------------------------------------------------------------------------------------------------------

# How long a signed-in user of the paced dashboard round waits after a page before opening it again: far busier than
# people who read what the page shows, so 50 such users are a heavy morning, not an idle one.
THINK_MS = 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rapport", required=True)
    parser.add_argument("--database", required=True, help="sqlite:PATH or a postgres:// URL (an empty database)")
    parser.add_argument("--psql", help="psql, for PostgreSQL")
    parser.add_argument("--work", required=True)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--wrk-seconds", type=int, default=30)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--max-rss-gib", type=float, default=8, help="stop the wrk load when the server's memory passes this")
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    engine = "SQLite" if args.database.startswith("sqlite:") else "PostgreSQL"
    run_started = time.monotonic()

    rapport = Rapport(args.rapport, args.database, work)
    rapport.run("migrate")
    workspace = rapport.run("workspace", "create", "--name", "Bench").strip().splitlines()[-1]
    rapport.run("user", "create", "--workspace", "Bench", "--email", OWNER, "--password", PASSWORD, "--role", "owner", "--name", "Bench Owner")
    key = rapport.run("apikey", "create", "--workspace", "Bench", "--name", "bench", "--scope", "admin").strip().splitlines()[-1]
    sql(args.database, args.psql, f"UPDATE workspaces SET time_zone = '{ZONE}' WHERE id = '{workspace}'")

    rapport.start()
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {key}"

    def post(path: str, body: dict | None = None, status: int = 201) -> dict:
        reply = api.post(rapport.url(path), json=body, timeout=120)
        if reply.status_code != status:
            raise SystemExit(f"POST {path}: {reply.status_code} {reply.text[:500]}")
        return reply.json()

    surveys = {}
    for kind, name, question_type in [("support", "After support (NPS)", "nps"), ("relationship", "Quarterly NPS", "nps"),
                                      ("csat", "After your ticket (CSAT)", "csat")]:
        made = post("/api/v1/surveys", {"name": name, "questions": [
            {"id": "score", "type": question_type, "required": True, "text": "How likely are you to recommend us?" if question_type == "nps" else "How satisfied were you?"},
            {"id": "reason", "type": "text", "text": "What is the main reason for your score?"}]})
        post(f"/api/v1/surveys/{made['id']}/activate", status=200)
        surveys[kind] = made["id"]
    segment_ids = [post("/api/v1/segments", {"name": name, "rule": rule})["id"] for name, rule, _ in SEGMENTS]
    segment_names = {segment_id: name for segment_id, (name, _, _) in zip(segment_ids, SEGMENTS)}
    rapport.stop()

    # The daily counts' triggers stay idle during the bulk load (no `metric_rollups` row for the workspace: they count
    # only for a workspace whose counts are built); `rapport metrics rebuild` below builds them once, and is timed.
    sql(args.database, args.psql, f"DELETE FROM metric_rollups WHERE workspace_id = '{workspace}'")
    counts = generate(work, seed=args.seed, customers=args.customers, responses=args.responses, workspace=workspace,
                      surveys=surveys, segments=segment_ids)
    if engine == "SQLite":
        load_seconds = load_sqlite(args.database[len("sqlite:"):], work)
    else:
        load_seconds = load_postgres(args.database, args.psql, work)
    now = int(time.time() * 1000)
    for segment_id, count in zip(segment_ids, counts["segment_counts"]):
        sql(args.database, args.psql, f"UPDATE segments SET member_count = {count}, refreshed_at = {now} WHERE id = '{segment_id}'")
    log(f"{engine}: loaded in {load_seconds:.0f} s")

    rebuild = None
    if rapport.has_command("metrics"):
        started = time.monotonic()
        rapport.run("metrics", "rebuild")
        rebuild = time.monotonic() - started
        log(f"rapport metrics rebuild: {rebuild:.1f} s")

    con, duck_load = load_duckdb(work)
    log(f"duckdb: loaded in {duck_load:.0f} s")

    rapport.start()
    nps_surveys, csat_surveys = [surveys["support"], surveys["relationship"]], [surveys["csat"]]
    questions = [
        {"label": "NPS by week × segment", "metric": "nps", "interval": "week", "group_by": "segment", "surveys": nps_surveys},
        {"label": "NPS by week × agent", "metric": "nps", "interval": "week", "group_by": "agent", "surveys": nps_surveys},
        {"label": "CSAT by month × agent", "metric": "csat", "interval": "month", "group_by": "agent", "surveys": csat_surveys},
    ]
    results = []
    for question in questions:
        with PeakMemory(rapport, 1 << 62) as memory:
            result = measure_question(question, rapport, key, con, workspace, question["surveys"], segment_names, args.runs, args.timeout)
        result["peak_rss"] = memory.peak
        results.append(result)

    cookie = session_cookie(rapport)
    page = requests.get(rapport.url("/"), headers={"Cookie": f"rapport_session={cookie}"}, timeout=args.timeout)
    if page.status_code != 200 or "tile-nps" not in page.text:
        raise SystemExit(f"the dashboard did not render for the signed-in owner: {page.status_code} {page.text[:500]}")
    single = []
    for _ in range(3):
        started = time.perf_counter()
        requests.get(rapport.url("/"), headers={"Cookie": f"rapport_session={cookie}"}, timeout=args.timeout)
        single.append(time.perf_counter() - started)
    log(f"dashboard alone: median {statistics.median(single) * 1000:.0f} ms")
    limit = int(args.max_rss_gib * (1 << 30))
    load = wrk(rapport, "/", args.connections, args.wrk_seconds, cookie, limit)
    if load["stopped"]:
        log(f"the server passed {args.max_rss_gib} GiB under the dashboard load: wrk stopped early")
    paced = wrk(rapport, "/", args.connections, args.wrk_seconds, cookie, limit, think_ms=THINK_MS)
    reference = wrk(rapport, "/healthz", args.connections, args.wrk_seconds, None, limit)
    log(f"dashboard under load: {load}; with {THINK_MS} ms between a user's pages: {paced}; /healthz: {reference}")
    rapport.stop()

    total = time.monotonic() - run_started
    write_report(args, engine, counts, load_seconds, duck_load, rebuild, results, single, load, paced, reference, total)


def gib(size: int) -> str:
    return f"{size / (1 << 30):.2f} GiB"


def fmt_ms(seconds: float) -> str:
    millis = seconds * 1000
    return f"{millis:,.0f} ms" if millis >= 100 else f"{millis:.1f} ms"


def write_report(args, engine, counts, load_seconds, duck_load, rebuild, results, single, load, paced, reference, total) -> None:
    lines = [f"### {engine}", "",
             f"{args.customers:,} customers ({counts['members']:,} segment memberships in 6 segments), {args.responses:,} responses, "
             f"{counts['invitations']:,} invitations. Bulk load {load_seconds:.0f} s (DuckDB's load of the same CSV: {duck_load:.0f} s); "
             + (f"`rapport metrics rebuild` after it (the refresh cost of derived data): {rebuild:.1f} s." if rebuild is not None
                else "no `rapport metrics rebuild` in this build (no derived data to refresh)."),
             "", "| question | cells checked | Rapport median | Rapport p95 | DuckDB median | DuckDB p95 | ratio (medians) | aim ≤ 2× | server peak memory |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |"]
    for result in results:
        if result.get("error") and not result["rapport"]:
            lines.append(f"| {result['label']} | – | {result['error']} | | | | | not measured | {gib(result['peak_rss'])} |")
            continue
        r, d = result["rapport"], result["duckdb"]
        ratio = statistics.median(r) / statistics.median(d)
        runs = "" if result["runs"] == args.runs else f" ({result['runs']} timed runs)"
        lines.append(f"| {result['label']} | {result['cells']:,}{runs} | {fmt_ms(statistics.median(r))} | {fmt_ms(percentile(r, 0.95))} | "
                     f"{fmt_ms(statistics.median(d))} | {fmt_ms(percentile(d, 0.95))} | {ratio:,.1f}× | {'met' if ratio <= 2 else 'missed'} | {gib(result['peak_rss'])} |")
    lines += ["", f"Dashboard `GET /` signed in as the owner (default filters: the last 90 days), {args.connections} connections, "
              f"wrk -t2 for {args.wrk_seconds} s; one request alone before the load: median of 3 {fmt_ms(statistics.median(single))}.", "",
              "| target | requests | requests/s | p50 | p99 | errors, timeouts, non-2xx | server peak memory |", "| --- | ---: | ---: | ---: | ---: | --- | ---: |"]
    for label, found in [("dashboard `/`, each user asking again at once", load),
                         (f"dashboard `/`, each user asking again {THINK_MS / 1000:g} s after a page", paced),
                         ("reference `/healthz`", reference)]:
        def cell(value):
            return "–" if value is None else f"{value:,.1f} ms"
        lines.append(f"| {label} | {found['requests']:,} | {found['rps'] or 0:,.1f} | {cell(found['p50'])} | {cell(found['p99'])} | "
                     f"{found['errors']}, {found['timeouts']}, {found['non2xx']} | {gib(found['peak_rss'])}"
                     + (f" (over {args.max_rss_gib} GiB: wrk stopped early)" if found["stopped"] else "") + " |")
    def verdict(found: dict) -> str:
        p99 = found["p99"]
        met = p99 is not None and p99 < 100 and found["requests"] > 0 and found["non2xx"] == 0 and found["errors"] == 0
        return ("met" if met else "missed") + (f" (p99 {p99:,.0f} ms, {p99 / reference['p99']:,.1f}× the reference's)"
                                               if p99 and reference["p99"] else "")
    lines += ["", f"Dashboard p99 aim (< 100 ms): with users asking again at once {verdict(load)}; with "
              f"{THINK_MS / 1000:g} s between a user's pages {verdict(paced)}. This database's part of the run took {total / 60:.1f} minutes.", ""]
    Path(args.output).write_text("\n".join(lines))


if __name__ == "__main__":
    main()
