"""PostgreSQL: the CLI and the server on a real PostgreSQL database, and two app nodes sharing one database
(app nodes are stateless, so whatever one writes the other sees at once).

Skipped unless RAPPORT_E2E_POSTGRES_ADMIN_URL names a cluster (scripts/test starts one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import POSTGRES_ADMIN_URL, Cli, assert_error, seed_workspace, show

pytestmark = pytest.mark.skipif(not POSTGRES_ADMIN_URL, reason="RAPPORT_E2E_POSTGRES_ADMIN_URL is not set")


@pytest.fixture
def pg_cli(postgres_database: str, tmp_path: Path) -> Cli:
    return Cli(postgres_database, tmp_path)


def test_cli_migrates_and_creates_workspace_user_and_key_on_postgres(start_server, postgres_database: str, pg_cli: Cli):
    assert "applied 0001_platform" in pg_cli.run("migrate").stdout
    assert pg_cli.run("migrate").stdout.strip() == "no pending migrations"

    seed = seed_workspace(pg_cli, "Acme")
    server = start_server(postgres_database)

    ready = server.client().get("/readyz")
    assert ready.status_code == 200, show(ready)
    assert ready.json()["database"] == "postgres"
    me = server.client(seed.admin_key).get("/api/v1/me")
    assert me.status_code == 200, show(me)
    assert me.json()["workspace"]["id"] == seed.id
    assert me.json()["role"] == "admin"
    member = server.client(seed.admin_key).get(f"/api/v1/users/{seed.owner_id}")
    assert member.status_code == 200, show(member)


def test_two_servers_on_one_database_see_each_others_writes(start_server, postgres_database: str, pg_cli: Cli):
    # Both start (and migrate) at the same time on the fresh database.
    first = start_server(postgres_database, wait=False)
    second = start_server(postgres_database, wait=False)
    first.wait_until_healthy()
    second.wait_until_healthy()

    seed = seed_workspace(pg_cli, "Acme")
    on_first = first.client(seed.admin_key)
    on_second = second.client(seed.admin_key)

    # A key created through one node works on the other.
    created = on_first.post("/api/v1/api-keys", json={"name": "made-on-first", "scope": "write"})
    assert created.status_code == 201, show(created)
    new_key = created.json()
    me = second.client(new_key["secret"]).get("/api/v1/me")
    assert me.status_code == 200, show(me)
    assert me.json()["role"] == "agent"

    # A rename through one node is seen through the other.
    renamed = on_first.patch(f"/api/v1/workspaces/{seed.id}", json={"name": "Acme Renamed"})
    assert renamed.status_code == 200, show(renamed)
    assert renamed.json()["name"] == "Acme Renamed"
    seen = on_second.get(f"/api/v1/workspaces/{seed.id}")
    assert seen.status_code == 200, show(seen)
    assert seen.json()["name"] == "Acme Renamed"
    assert on_second.get("/api/v1/me").json()["workspace"]["name"] == "Acme Renamed"

    # A key revoked through one node is refused by the other (no stale cache).
    revoked = on_second.delete(f"/api/v1/api-keys/{new_key['id']}")
    assert revoked.status_code == 204, show(revoked)
    assert_error(first.client(new_key["secret"]).get("/api/v1/me"), 401, "unauthenticated")
