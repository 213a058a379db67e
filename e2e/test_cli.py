"""The command line: creating workspaces, users and API keys, migrating, and failing clearly on a bad database.

Keys made with the CLI are then used on the REST API as a client would: roles follow scopes, revoked keys stop
working, and one workspace's ids are invisible (404) to another's keys.
"""

from __future__ import annotations

import re

import pytest

from conftest import NO_DATABASE_URL, PASSWORD, UUID_PATTERN, Cli, assert_error, free_port, seed_workspace, show


def test_version_prints_a_version(cli: Cli):
    result = cli.run("version")
    assert re.search(r"\d+\.\d+", result.stdout), f"no version number in {result.stdout!r}"


def test_migrate_applies_migrations_once_then_reports_none_pending(cli: Cli, sqlite_database: str):
    # The first run names the database with --database, the second through DATABASE_URL.
    first = cli.run("migrate", "--database", sqlite_database, database=NO_DATABASE_URL)
    applied = [line for line in first.stdout.splitlines() if line.strip()]
    assert applied, f"migrate printed nothing:\n{first.stdout}"
    assert all(re.fullmatch(r"applied \d{4}_\w+", line.strip()) for line in applied), first.stdout
    assert "applied 0001_platform" in applied[0]

    second = cli.run("migrate")
    assert second.stdout.strip() == "no pending migrations"


@pytest.mark.parametrize(
    "command",
    [("migrate",), ("workspace", "create", "--name", "Acme"), ("serve", "--port", "0"), ("worker",)],
    ids=["migrate", "workspace-create", "serve", "worker"],
)
@pytest.mark.parametrize("how", ["flag", "env"])
@pytest.mark.parametrize("database", ["mysql://x", "postgres-closed-port"])
def test_bad_database_fails_with_one_clear_line(cli: Cli, command: tuple[str, ...], how: str, database: str):
    if database == "postgres-closed-port":
        database = f"postgres://rapport:secret@127.0.0.1:{free_port()}/rapport?sslmode=disable"
    if how == "flag":
        result = cli.run(*command, "--database", database, check=False, database=NO_DATABASE_URL, timeout=30)
    else:
        result = cli.run(*command, check=False, database=database, timeout=30)

    assert result.returncode != 0, f"exited 0 with database {database!r}:\n{result.stdout}\n{result.stderr}"
    stderr_lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert stderr_lines, "nothing on stderr"
    assert not any("Fatal error" in line or "Stack dump" in line for line in stderr_lines), result.stderr
    assert len(stderr_lines) <= 3, f"expected one clear line, got {len(stderr_lines)}:\n{result.stderr}"


def test_created_user_is_listed_with_lowercased_email(server, cli: Cli):
    seed = seed_workspace(cli, "Acme")
    user_id = cli.create_user("Acme", "Grace.Hopper@Example.COM", PASSWORD, "agent")

    member = server.client(seed.admin_key).get(f"/api/v1/users/{user_id}")
    assert member.status_code == 200, show(member)
    assert member.json()["email"] == "grace.hopper@example.com"
    assert member.json()["role"] == "agent"


def test_ids_are_lowercase_version_7_uuids(server, cli: Cli):
    seed = seed_workspace(cli, "Acme")
    for value in (seed.id, seed.owner_id):
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", value), value


@pytest.mark.parametrize(
    ("scope", "role"), [("read", "analyst"), ("write", "agent"), ("admin", "admin"), (None, "analyst")]
)
def test_api_key_acts_with_the_role_of_its_scope(server, cli: Cli, scope: str | None, role: str):
    cli.create_workspace("Acme")
    key = cli.create_api_key("Acme", "reporting", scope)

    me = server.client(key).get("/api/v1/me")
    assert me.status_code == 200, show(me)
    body = me.json()
    assert body["workspace"]["name"] == "Acme"
    assert body["role"] == role
    assert body["caller"]["type"] == "api_key"
    assert UUID_PATTERN.fullmatch(body["caller"]["id"])


def test_request_without_key_is_rejected_with_401_envelope(server):
    assert_error(server.client().get("/api/v1/me"), 401, "unauthenticated")


def test_unknown_key_is_rejected_with_401_envelope(server, cli: Cli):
    cli.create_workspace("Acme")
    key = cli.create_api_key("Acme")
    forged = key[:-4] + ("aaaa" if not key.endswith("aaaa") else "bbbb")
    assert_error(server.client(forged).get("/api/v1/me"), 401, "unauthenticated")


def test_revoked_key_is_rejected_with_401_envelope(server, cli: Cli):
    seed = seed_workspace(cli, "Acme")
    reader_key = cli.create_api_key("Acme", "reader", "read")
    reader = server.client(reader_key)
    me = reader.get("/api/v1/me")
    assert me.status_code == 200, show(me)
    reader_key_id = me.json()["caller"]["id"]

    revoked = server.client(seed.admin_key).delete(f"/api/v1/api-keys/{reader_key_id}")
    assert revoked.status_code == 204, show(revoked)

    assert_error(reader.get("/api/v1/me"), 401, "unauthenticated")
    listed = server.client(seed.admin_key).get(f"/api/v1/api-keys/{reader_key_id}")
    assert listed.status_code == 200, show(listed)
    assert listed.json()["revoked_at"] is not None


def test_track_key_is_refused_on_the_rest_api_with_403_insufficient_scope(server, cli: Cli):
    cli.create_workspace("Acme")
    track_key = cli.create_api_key("Acme", "website", "track")
    assert_error(server.client(track_key).get("/api/v1/me"), 403, "insufficient_scope")


def test_read_key_is_forbidden_from_admin_routes(server, cli: Cli):
    cli.create_workspace("Acme")
    reader = server.client(cli.create_api_key("Acme", "reader", "read"))
    assert_error(reader.get("/api/v1/api-keys"), 403, "forbidden")
    assert_error(reader.post("/api/v1/api-keys", json={"name": "x", "scope": "read"}), 403, "forbidden")


def test_another_workspaces_ids_answer_404(server, cli: Cli):
    acme = seed_workspace(cli, "Acme")
    globex = seed_workspace(cli, "Globex")
    globex_key_id = server.client(globex.admin_key).get("/api/v1/me").json()["caller"]["id"]
    acme_admin = server.client(acme.admin_key)

    # Sanity: Acme's own ids are visible to Acme.
    assert acme_admin.get(f"/api/v1/users/{acme.owner_id}").status_code == 200
    assert acme_admin.get(f"/api/v1/workspaces/{acme.id}").status_code == 200

    assert_error(acme_admin.get(f"/api/v1/users/{globex.owner_id}"), 404, "not_found")
    assert_error(acme_admin.get(f"/api/v1/api-keys/{globex_key_id}"), 404, "not_found")
    assert_error(acme_admin.get(f"/api/v1/workspaces/{globex.id}"), 404, "not_found")
    assert_error(acme_admin.patch(f"/api/v1/workspaces/{globex.id}", json={"name": "Mine"}), 404, "not_found")
    assert_error(acme_admin.delete(f"/api/v1/api-keys/{globex_key_id}"), 404, "not_found")
    assert_error(acme_admin.delete(f"/api/v1/users/{globex.owner_id}"), 404, "not_found")

    # Nothing of Globex changed.
    globex_admin = server.client(globex.admin_key)
    assert globex_admin.get("/api/v1/me").status_code == 200
    assert globex_admin.get(f"/api/v1/workspaces/{globex.id}").json()["name"] == "Globex"
    assert globex_admin.get(f"/api/v1/users/{globex.owner_id}").status_code == 200


def test_key_lists_only_its_own_workspace(server, cli: Cli):
    acme = seed_workspace(cli, "Acme")
    seed_workspace(cli, "Globex")
    page = server.client(acme.admin_key).get("/api/v1/workspaces")
    assert page.status_code == 200, show(page)
    assert [workspace["name"] for workspace in page.json()["data"]] == ["Acme"]
    assert page.json()["next_cursor"] is None


def test_default_database_is_sqlite_in_rapport_data(cli: Cli, tmp_path):
    result = cli.run("migrate", database=NO_DATABASE_URL)
    assert "applied 0001_platform" in result.stdout
    assert (tmp_path / "rapport-data" / "rapport.sqlite").is_file()
