"""The API against its own OpenAPI document, fuzzed by schemathesis with every check on."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Cli, RapportServer, seed_workspace

SCHEMATHESIS_TIMEOUT = 1100  # seconds; a run takes 5–10 minutes on a debug build, more on a shared machine
# Where the contract deliberately differs from a check's assumption; each exception is explained there.
CONFIG_FILE = Path(__file__).with_name("schemathesis.toml")


def schemathesis_command() -> str:
    # The one installed beside this Python (.venv-e2e/bin), else whatever is on PATH.
    beside = Path(sys.executable).with_name("schemathesis")
    return str(beside) if beside.exists() else (shutil.which("schemathesis") or "schemathesis")


def run_schemathesis(server: RapportServer, key: str, tmp_path: Path, *selection: str) -> None:
    command = [
        schemathesis_command(),
        "--config-file",
        str(CONFIG_FILE),
        "--no-color",
        "run",
        server.url("/openapi.json"),
        # Every check runs: schemathesis 4 enables all of them by default. `--checks all` is left out on purpose:
        # a check named on the command line overrides the per-operation exceptions in schemathesis.toml.
        "--max-examples",
        "30",
        "--seed",
        "1",
        "--header",
        f"Authorization: Bearer {key}",
        "--request-timeout",
        "30",
        *selection,
    ]
    result = subprocess.run(
        command,
        cwd=tmp_path,  # schemathesis and hypothesis write their caches into the working folder
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=SCHEMATHESIS_TIMEOUT,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, "schemathesis found problems:\n" + "\n".join(output.splitlines()[-300:])


# Above pytest.ini's 600 s per test: the fuzzing run grows with every operation (about 9,000 cases now).
@pytest.mark.timeout(1200)
def test_api_conforms_to_its_openapi_document(server: RapportServer, cli: Cli, tmp_path: Path):
    """The REST API with an admin key (the tracking operations answer 403 to it: covered below)."""
    seed = seed_workspace(cli, "Acme")
    run_schemathesis(server, seed.admin_key, tmp_path)


def test_tracking_api_conforms_to_its_openapi_document(server: RapportServer, cli: Cli, tmp_path: Path):
    """The Segment-compatible tracking API with a track key (sent as a bearer token, which it accepts too)."""
    seed = seed_workspace(cli, "Tracked")
    track_key = cli.create_api_key("Tracked", "e2e-track", "track")
    run_schemathesis(server, track_key, tmp_path, "--include-path-regex", "^/v1/")
