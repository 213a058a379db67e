"""The browser session on the REST API: cookie attributes, session callers, and CSRF on unsafe methods."""

from __future__ import annotations

from conftest import (
    Cli,
    RapportServer,
    assert_error,
    logged_in_client,
    page_csrf_token,
    seed_workspace,
    set_cookie_headers,
    show,
)


def cookie_attributes(header: str) -> tuple[str, str, set[str]]:
    """(name, value, lower-cased attributes) of one Set-Cookie header."""
    first, *attributes = [part.strip() for part in header.split(";")]
    name, _, value = first.partition("=")
    return name, value, {attribute.lower().replace(" ", "") for attribute in attributes}


def test_login_sets_an_httponly_lax_session_cookie(server: RapportServer, cli: Cli):
    seed = seed_workspace(cli, "Acme")
    _, login = logged_in_client(server.base_url, seed.owner_email)

    session_cookies = [
        cookie_attributes(header)
        for header in set_cookie_headers(login)
        if header.strip().startswith("rapport_session=")
    ]
    assert len(session_cookies) == 1, set_cookie_headers(login)
    _, value, attributes = session_cookies[0]
    assert len(value) >= 16, "the session token looks too short to be unguessable"
    assert "httponly" in attributes, attributes
    assert "samesite=lax" in attributes, attributes
    assert "path=/" in attributes, attributes


def test_session_cookie_authenticates_the_api_as_a_user(server: RapportServer, cli: Cli):
    seed = seed_workspace(cli, "Acme")
    session, _ = logged_in_client(server.base_url, seed.owner_email)

    me = session.get("/api/v1/me")
    assert me.status_code == 200, show(me)
    body = me.json()
    assert body["caller"]["type"] == "user"
    assert body["caller"]["id"] == seed.owner_id
    assert body["workspace"]["name"] == "Acme"
    assert body["role"] == "owner"


def test_session_post_without_csrf_token_is_refused_with_403_csrf_failed(server: RapportServer, cli: Cli):
    seed = seed_workspace(cli, "Acme")
    session, _ = logged_in_client(server.base_url, seed.owner_email)

    assert_error(session.post("/api/v1/api-keys", json={"name": "ci", "scope": "read"}), 403, "csrf_failed")
    assert_error(
        session.post("/api/v1/api-keys", json={"name": "ci", "scope": "read"}, headers={"X-CSRF-Token": "forged"}),
        403,
        "csrf_failed",
    )


def test_session_post_with_the_pages_csrf_token_creates_a_key(server: RapportServer, cli: Cli):
    seed = seed_workspace(cli, "Acme")
    session, _ = logged_in_client(server.base_url, seed.owner_email)
    token = page_csrf_token(session, "/")

    created = session.post("/api/v1/api-keys", json={"name": "ci", "scope": "read"}, headers={"X-CSRF-Token": token})
    assert created.status_code == 201, show(created)
    key = created.json()
    assert key["name"] == "ci" and key["scope"] == "read"
    assert key["created_by"] == seed.owner_id

    me = server.client(key["secret"]).get("/api/v1/me")
    assert me.status_code == 200, show(me)
    assert me.json()["role"] == "analyst"


def test_session_can_create_a_workspace_but_a_key_cannot(server: RapportServer, cli: Cli):
    seed = seed_workspace(cli, "Acme")
    session, _ = logged_in_client(server.base_url, seed.owner_email)
    token = page_csrf_token(session, "/")

    created = session.post("/api/v1/workspaces", json={"name": "Acme EU"}, headers={"X-CSRF-Token": token})
    assert created.status_code == 201, show(created)
    assert created.json()["name"] == "Acme EU"
    assert_error(server.client(seed.admin_key).post("/api/v1/workspaces", json={"name": "Other"}), 403, "users_only")
