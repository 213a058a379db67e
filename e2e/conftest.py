"""Shared helpers for the end-to-end suite.

The suite runs the real `rapport` binary (`$RAPPORT_BIN`, default `.build/debug/rapport`): the CLI as a
subprocess, and `rapport serve` on a free loopback port with its own temporary database. It talks to the
server the way a browser or an API client would.

`RAPPORT_E2E_POSTGRES_ADMIN_URL` (a superuser URL on a throwaway cluster) turns on the PostgreSQL tests:
each of them creates its own database there.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

REPO_ROOT = Path(__file__).resolve().parent.parent
RAPPORT_BIN = os.environ.get("RAPPORT_BIN") or str(REPO_ROOT / ".build" / "debug" / "rapport")
POSTGRES_ADMIN_URL = os.environ.get("RAPPORT_E2E_POSTGRES_ADMIN_URL") or None

HTTP_TIMEOUT = 15  # seconds for one HTTP request
CLI_TIMEOUT = 60  # seconds for one CLI command
STARTUP_TIMEOUT = 60  # seconds for `rapport serve` to migrate and answer /healthz
SHUTDOWN_TIMEOUT = 15  # seconds for `rapport serve` to exit after SIGTERM

UUID_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# A password that meets the 10–128 character rule.
PASSWORD = "correct-horse-battery-staple"
# Debian's chromium and chromium-driver (scripts/test installs them).
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def free_port() -> int:
    """A loopback TCP port that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rapport_env(database: str | None = None, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a `rapport` process: ours, minus settings that would leak between tests."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key != "DATABASE_URL" and not key.startswith("RAPPORT_ADMIN_")
    }
    if database is not None:
        env["DATABASE_URL"] = database
    # Tests change data and look again at once: a dashboard view slow to count on a loaded test machine is not shared
    # (the sharing itself is tested in-process, DashboardPageTests).
    env.setdefault("DASHBOARD_CACHE_SECONDS", "0")
    env.update(extra or {})
    return env


def require_binary() -> None:
    if not (os.path.isfile(RAPPORT_BIN) and os.access(RAPPORT_BIN, os.X_OK)):
        pytest.fail(f"no rapport binary at {RAPPORT_BIN}: build it (swift build) or set RAPPORT_BIN", pytrace=False)


def describe(result: subprocess.CompletedProcess[str]) -> str:
    args = " ".join(str(arg) for arg in result.args[1:])
    return (
        f"`rapport {args}` exited with {result.returncode}\n"
        f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
    )


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert lines, "expected output, got none"
    return lines[-1]


# ---------------------------------------------------------------------------------------------------------------
# The CLI


# Cli.run(database=NO_DATABASE_URL) runs a command with DATABASE_URL unset.
NO_DATABASE_URL = ""


@dataclass
class Cli:
    """Runs `rapport` subcommands against one database (passed as `DATABASE_URL`)."""

    database: str
    cwd: Path

    def run(
        self,
        *args: str,
        env: dict[str, str] | None = None,
        check: bool = True,
        timeout: float = CLI_TIMEOUT,
        database: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        require_binary()
        result = subprocess.run(
            [RAPPORT_BIN, *args],
            cwd=self.cwd,
            env=rapport_env(self.database if database is None else (database or None), env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check:
            assert result.returncode == 0, describe(result)
        return result

    def create_workspace(self, name: str) -> str:
        """`rapport workspace create`; returns the new workspace's id."""
        workspace_id = last_line(self.run("workspace", "create", "--name", name).stdout)
        assert UUID_PATTERN.fullmatch(workspace_id), f"expected a lowercase UUID, got {workspace_id!r}"
        return workspace_id

    def create_user(self, workspace: str, email: str, password: str = PASSWORD, role: str = "owner") -> str:
        """`rapport user create`; returns the user's id."""
        result = self.run(
            "user", "create", "--workspace", workspace, "--email", email, "--password", password, "--role", role
        )
        user_id = last_line(result.stdout)
        assert UUID_PATTERN.fullmatch(user_id), f"expected a lowercase UUID, got {user_id!r}"
        return user_id

    def create_api_key(self, workspace: str, name: str = "e2e", scope: str | None = None) -> str:
        """`rapport apikey create`; returns the secret (printed alone on the last line)."""
        args = ["apikey", "create", "--workspace", workspace, "--name", name]
        if scope is not None:
            args += ["--scope", scope]
        secret = last_line(self.run(*args).stdout)
        assert " " not in secret and len(secret) >= 16, f"expected a secret alone on the last line, got {secret!r}"
        return secret


@dataclass
class SeededWorkspace:
    """A workspace with an owner (who can sign in) and an admin API key, made through the CLI."""

    name: str
    id: str
    owner_email: str
    owner_id: str
    admin_key: str


def seed_workspace(cli: Cli, name: str, owner_email: str | None = None) -> SeededWorkspace:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    email = owner_email or f"owner@{slug}.example"
    workspace_id = cli.create_workspace(name)
    owner_id = cli.create_user(name, email, PASSWORD, "owner")
    admin_key = cli.create_api_key(name, "e2e-admin", "admin")
    return SeededWorkspace(name, workspace_id, email, owner_id, admin_key)


# ---------------------------------------------------------------------------------------------------------------
# HTTP


class ApiClient:
    """A requests session bound to one server, optionally with a bearer key. Redirects are not followed."""

    def __init__(self, base_url: str, key: str | None = None, session: requests.Session | None = None):
        self.base_url = base_url
        self.http = session or requests.Session()
        if key is not None:
            self.http.headers["Authorization"] = f"Bearer {key}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", HTTP_TIMEOUT)
        kwargs.setdefault("allow_redirects", False)
        return self.http.request(method, self.base_url + path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


def wait_for(read, what: str, timeout: float = 60):
    """Polls `read` every 0.2 s until it returns something truthy, and returns that; fails naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = read()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def show(response: requests.Response) -> str:
    return f"{response.request.method} {response.url} -> {response.status_code}\n{response.text[:2000]}"


def assert_error(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    """Asserts the API error envelope `{"error":{"code","message","details":{}}}` with this status and code."""
    assert response.status_code == status, show(response)
    assert response.headers.get("Content-Type", "").startswith("application/json"), show(response)
    body = response.json()
    assert set(body) == {"error"}, show(response)
    error = body["error"]
    assert error.get("code") == code, show(response)
    assert isinstance(error.get("message"), str) and error["message"].strip(), show(response)
    assert isinstance(error.get("details"), dict), show(response)
    return error


def set_cookie_headers(response: requests.Response) -> list[str]:
    """Every Set-Cookie header of a response, unjoined."""
    return list(response.raw.headers.getlist("Set-Cookie"))


def redirect_path(response: requests.Response) -> str | None:
    """The path a 30x response redirects to, or None when it is no redirect."""
    if response.status_code not in (301, 302, 303, 307, 308):
        return None
    return urlsplit(response.headers.get("Location", "")).path


class PageScraper(HTMLParser):
    """Collects `<input name value>` and `<meta name content>` of an HTML page."""

    def __init__(self, html: str):
        super().__init__()
        self.inputs: dict[str, str] = {}
        self.meta: dict[str, str] = {}
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "input" and "name" in attributes:
            self.inputs[attributes["name"]] = attributes.get("value", "")
        elif tag == "meta" and "name" in attributes:
            self.meta[attributes["name"]] = attributes.get("content", "")


def login_csrf_token(client: ApiClient) -> str:
    """Opens /login and returns its CSRF token (hidden input `_csrf`, same value as the `rapport_csrf` cookie)."""
    page = client.get("/login")
    assert page.status_code == 200, show(page)
    token = PageScraper(page.text).inputs.get("_csrf")
    assert token, f"no hidden input _csrf on /login:\n{page.text[:2000]}"
    assert client.http.cookies.get("rapport_csrf") == token, (
        f"cookie rapport_csrf={client.http.cookies.get('rapport_csrf')!r} differs from the form's _csrf={token!r}"
    )
    return token


def post_login(client: ApiClient, email: str, password: str) -> requests.Response:
    """Submits the /login form as a browser would (with its CSRF token)."""
    token = login_csrf_token(client)
    return client.post("/login", data={"email": email, "password": password, "_csrf": token})


def logged_in_client(base_url: str, email: str, password: str = PASSWORD) -> tuple[ApiClient, requests.Response]:
    """A client holding a session cookie, and the login response that set it."""
    client = ApiClient(base_url)
    response = post_login(client, email, password)
    assert redirect_path(response) == "/", show(response)
    assert client.http.cookies.get("rapport_session"), f"no rapport_session cookie after login: {response.headers}"
    return client, response


def page_csrf_token(client: ApiClient, path: str = "/") -> str:
    """The `<meta name="csrf-token">` of a signed-in page."""
    page = client.get(path)
    assert page.status_code == 200, show(page)
    token = PageScraper(page.text).meta.get("csrf-token")
    assert token, f'no <meta name="csrf-token"> on {path}:\n{page.text[:2000]}'
    return token


# ---------------------------------------------------------------------------------------------------------------
# The server


class RapportProcess:
    """One `rapport` subcommand running as a process; its output goes to a log file."""

    def __init__(self, database: str, workdir: Path, name: str, env: dict[str, str] | None = None):
        self.database = database
        self.workdir = workdir
        self.name = name
        self.env = env or {}
        self.log_path = workdir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.exit_code: int | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self) -> None:
        require_binary()
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [RAPPORT_BIN, *self.command()],
                cwd=self.workdir,
                env=rapport_env(self.database, self.env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def stop(self, timeout: float = SHUTDOWN_TIMEOUT) -> int | None:
        """Sends SIGTERM and waits; kills it when it does not exit in time. Returns its exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                with open(self.log_path, "a", encoding="utf-8") as log:
                    log.write(f"\n[e2e] no exit {timeout}s after SIGTERM: killed\n")
        self.exit_code = self.process.returncode
        return self.exit_code

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 200) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


class RapportServer(RapportProcess):
    """One `rapport serve` process on a free loopback port."""

    def __init__(
        self,
        database: str,
        workdir: Path,
        name: str,
        env: dict[str, str] | None = None,
        args: tuple[str, ...] = (),
    ):
        super().__init__(database, workdir, name, env)
        self.args = args
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return ["serve", "--host", "127.0.0.1", "--port", str(self.port), *self.args]

    def wait_until_healthy(self, timeout: float = STARTUP_TIMEOUT) -> None:
        assert self.process is not None, "start() first"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"rapport serve ({self.name}) exited with {self.process.returncode} before it was healthy:\n"
                    + self.log_tail()
                )
            try:
                if requests.get(self.url("/healthz"), timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise AssertionError(f"rapport serve ({self.name}) not healthy after {timeout}s:\n" + self.log_tail())

    def url(self, path: str) -> str:
        return self.base_url + path

    def client(self, key: str | None = None) -> ApiClient:
        return ApiClient(self.base_url, key)


@pytest.fixture
def start_server(request: pytest.FixtureRequest, tmp_path: Path):
    """Starts `rapport serve` processes for this test and stops them (SIGTERM) afterwards.

    `start_server(database, env=..., args=..., wait=True)`; with `wait=False` call `wait_until_healthy()` yourself,
    to start several at once. Their logs are attached to the report of a failed test.
    """
    servers: list[RapportServer] = []
    request.node.rapport_servers = servers

    def start(
        database: str,
        env: dict[str, str] | None = None,
        args: tuple[str, ...] = (),
        wait: bool = True,
    ) -> RapportServer:
        server = RapportServer(database, tmp_path, f"server-{len(servers) + 1}", env, args)
        servers.append(server)
        server.start()
        if wait:
            server.wait_until_healthy()
        return server

    yield start
    for server in servers:
        server.stop()


class RapportWorker(RapportProcess):
    """One `rapport worker` process (the background services without HTTP)."""

    def command(self) -> list[str]:
        return ["worker"]

    def wait_until_running(self, timeout: float = STARTUP_TIMEOUT) -> None:
        """Waits for the line the worker logs once its services run."""
        assert self.process is not None, "start() first"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"rapport worker ({self.name}) exited with {self.process.returncode}:\n" + self.log_text()
                )
            if "Rapport worker on" in self.log_text():
                return
            time.sleep(0.1)
        raise AssertionError(f"rapport worker ({self.name}) not running after {timeout}s:\n" + self.log_text())


@pytest.fixture
def start_worker(request: pytest.FixtureRequest, tmp_path: Path):
    """Starts `rapport worker` processes for this test (running when returned) and stops them (SIGTERM) afterwards."""
    workers: list[RapportWorker] = []
    request.node.rapport_workers = workers

    def start(database: str, env: dict[str, str] | None = None) -> RapportWorker:
        worker = RapportWorker(database, tmp_path, f"worker-{len(workers) + 1}", env)
        workers.append(worker)
        worker.start()
        worker.wait_until_running()
        return worker

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def sqlite_database(tmp_path: Path) -> str:
    """A fresh SQLite database URL in this test's temp folder."""
    return f"sqlite:{tmp_path / 'rapport.sqlite'}"


@pytest.fixture
def cli(sqlite_database: str, tmp_path: Path) -> Cli:
    return Cli(sqlite_database, tmp_path)


@pytest.fixture
def server(start_server, sqlite_database: str) -> RapportServer:
    """`rapport serve` on a fresh SQLite database, healthy."""
    return start_server(sqlite_database)


# ---------------------------------------------------------------------------------------------------------------
# PostgreSQL


def psql_path() -> str:
    found = shutil.which("psql")
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/psql"), reverse=True)
    if candidates:
        return str(candidates[0])
    pytest.fail("psql not found: install PostgreSQL's client", pytrace=False)


def run_psql(url: str, sql: str) -> None:
    result = subprocess.run(
        [psql_path(), url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
    )
    assert result.returncode == 0, f"psql failed on {sql!r}:\n{result.stdout}\n{result.stderr}"


def database_url(admin_url: str, database: str) -> str:
    """The admin URL with its database (path) replaced."""
    parts = urlsplit(admin_url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


@pytest.fixture
def postgres_database() -> str:
    """A fresh, empty PostgreSQL database on the test cluster; dropped afterwards."""
    if not POSTGRES_ADMIN_URL:
        pytest.skip("RAPPORT_E2E_POSTGRES_ADMIN_URL is not set")
    name = f"rapport_e2e_{uuid.uuid4().hex[:12]}"
    run_psql(POSTGRES_ADMIN_URL, f'CREATE DATABASE "{name}"')
    yield database_url(POSTGRES_ADMIN_URL, name)
    # FORCE ends sessions a server left behind (PostgreSQL 13+).
    run_psql(POSTGRES_ADMIN_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---------------------------------------------------------------------------------------------------------------
# The browser


@pytest.fixture
def browser(request: pytest.FixtureRequest) -> WebDriver:
    """Headless Chromium; its page is attached to the report of a failed test."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            pytest.fail(f"{path} is missing: install Debian's chromium and chromium-driver", pytrace=False)
    options = Options()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(argument)
    # The console is read at the end: a page that breaks its own Content-Security-Policy fails the test.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    request.node.rapport_browser = driver
    yield driver
    try:
        violations = [
            entry["message"] for entry in driver.get_log("browser") if "Content Security Policy" in entry["message"]
        ]
    finally:
        driver.quit()
    assert not violations, "the pages broke their Content-Security-Policy:\n" + "\n".join(violations)


# ---------------------------------------------------------------------------------------------------------------
# Interruptions: on SIGTERM (CI stopping the run) unwind like Ctrl-C, so fixtures still stop the servers and
# browsers they started instead of leaving them running.


def pytest_configure(config: pytest.Config) -> None:
    signal.signal(signal.SIGTERM, signal.default_int_handler)


# ---------------------------------------------------------------------------------------------------------------
# Reports: attach the server logs (and the browser's page) to a failed test.


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    for server in getattr(item, "rapport_servers", []):
        report.sections.append((f"rapport serve log: {server.name} (last 200 lines)", server.log_tail()))
    for worker in getattr(item, "rapport_workers", []):
        report.sections.append((f"rapport worker log: {worker.name} (last 200 lines)", worker.log_tail()))
    browser = getattr(item, "rapport_browser", None)
    if browser is not None and call.when == "call":
        try:
            report.sections.append((f"browser page at {browser.current_url}", browser.page_source[:5000]))
        except Exception as error:  # the browser may be what broke
            report.sections.append(("browser page", f"unavailable: {error!r}"))
