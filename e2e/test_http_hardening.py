"""Careless and hostile clients over a real socket: bodies that stop short of their Content-Length, uploads that
break off, and the security headers a browser gets. Each test talks raw HTTP/1.1 to `rapport serve`, because no
ordinary client library sends a broken request on purpose.
"""

from __future__ import annotations

import json
import socket
import time

import pytest

from conftest import Cli, RapportServer, seed_workspace

BODY_TIMEOUT = 2  # seconds: HTTP_BODY_TIMEOUT_SECONDS for these servers
ANSWER_WITHIN = BODY_TIMEOUT + 8  # seconds the test waits for the answer


@pytest.fixture
def impatient_server(start_server, sqlite_database: str) -> RapportServer:
    return start_server(sqlite_database, env={"HTTP_BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT)})


def connect(server: RapportServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=ANSWER_WITHIN)
    return sock


def read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Reads one HTTP response (status, lower-cased headers, body) up to the connection's end or Content-Length."""
    data = b""
    started = time.monotonic()
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"the connection closed without an answer after {time.monotonic() - started:.1f}s: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, headers, body


def request_head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def start_chunked_import(sock: socket.socket, key: str, first_chunk: bytes) -> None:
    """Starts a streamed customer import and sends its first chunk, leaving the body unfinished."""
    sock.sendall(
        request_head(
            "POST",
            "/api/v1/imports?type=customers",
            {"Authorization": f"Bearer {key}", "Content-Type": "text/csv", "Transfer-Encoding": "chunked"},
        )
        + chunk(first_chunk)
    )


def wait_for_import(server: RapportServer, key: str, *, status: str, timeout: float = 15) -> dict:
    deadline = time.monotonic() + timeout
    jobs: list = []
    while time.monotonic() < deadline:
        jobs = server.client(key).get("/api/v1/imports").json()["data"]
        if jobs and jobs[0]["status"] == status:
            return jobs[0]
        time.sleep(0.2)
    raise AssertionError(f"no import became {status}: {jobs}")


@pytest.mark.parametrize("path", ["/v1/batch", "/api/v1/customers"])
def test_a_body_shorter_than_its_content_length_gets_408_not_a_hang(
    impatient_server: RapportServer, cli: Cli, path: str
):
    seed = seed_workspace(cli, "Slow")
    key = cli.create_api_key("Slow", "e2e-track", "track") if path.startswith("/v1/") else seed.admin_key
    sent = b'{"batch": [{"type": "track", '
    with connect(impatient_server) as sock:
        started = time.monotonic()
        sock.sendall(
            request_head(
                "POST",
                path,
                {"Authorization": f"Bearer {key}", "Content-Type": "application/json", "Content-Length": "400"},
            )
            + sent
        )
        status, headers, body = read_answer(sock)
        waited = time.monotonic() - started
    assert status == 408, body
    assert json.loads(body)["error"]["code"] == "request_timeout"
    assert headers.get("connection") == "close"
    assert BODY_TIMEOUT - 0.5 <= waited <= ANSWER_WITHIN, f"answered after {waited:.1f}s"
    # The server still answers everyone else.
    assert impatient_server.client().get("/healthz").status_code == 200


def test_an_import_whose_upload_breaks_off_ends_failed(impatient_server: RapportServer, cli: Cli):
    seed = seed_workspace(cli, "Cut")
    rows = "".join(f"c{i}@example.com,Customer {i}\n" for i in range(1200)).encode()
    with connect(impatient_server) as sock:
        start_chunked_import(sock, seed.admin_key, b"email,name\n" + rows)
        time.sleep(1.5)
        # The client goes away mid-upload: no final chunk, the connection is reset.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    job = wait_for_import(impatient_server, seed.admin_key, status="failed")
    assert "upload stopped before the end of the file" in job["failure"]
    assert job["finished_at"] is not None
    assert job["rows_imported"] == 0, "nothing is imported from a file that did not arrive whole"
    jobs = impatient_server.client(seed.admin_key).get("/api/v1/jobs", params={"kind": "import.run"}).json()["data"]
    assert jobs == [], "an upload that broke off queues no import job"


def test_an_import_whose_upload_stalls_gets_408_and_ends_failed(impatient_server: RapportServer, cli: Cli):
    seed = seed_workspace(cli, "Stalled")
    with connect(impatient_server) as sock:
        start_chunked_import(sock, seed.admin_key, b"email,name\nann@example.com,Ann\n")
        status, _, body = read_answer(sock)
    assert status == 408, body
    job = wait_for_import(impatient_server, seed.admin_key, status="failed")
    assert "upload stopped" in job["failure"]


def test_pages_carry_the_secure_headers(server: RapportServer):
    response = server.client().get("/setup", headers={"Accept": "text/html"})
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
