"""The email outbox against a real SMTP server (aiosmtpd with STARTTLS and AUTH, run in this process).

Emails queued through the API are sent by the server's job worker: a 451 is retried and the message arrives once; a
550 to RCPT fails the email and puts the address on the suppression list; a `kill -9` between queueing and sending
loses nothing. What arrives is read with Python's `email` parser, the way a mail client reads it, and the one-click
unsubscribe of RFC 8058 is used as a mail client would use it.
"""

from __future__ import annotations

import time
from pathlib import Path

import requests
from aiosmtpd.controller import Controller

from conftest import Cli, free_port, seed_workspace, show
from test_email import PASSWORD, SENDER, USER, Certificates, Mailbox, SMTPServer, certificates, start_smtp  # noqa: F401

WAIT = 45.0


def server_env(smtp: SMTPServer, certificates: Certificates, **extra: str) -> dict[str, str]:
    return {"SMTP_URL": smtp.url(), "SMTP_FROM": SENDER, "SMTP_CA_FILE": str(certificates.ca_file),
            "JOB_POLL_MILLIS": "100", **extra}


def wait_for_email(api, email_id: str, state: str, timeout: float = WAIT) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        email = api.get(f"/api/v1/emails/{email_id}").json()
        if email["state"] == state or time.monotonic() > deadline:
            assert email["state"] == state, {key: email[key] for key in ("state", "attempts", "reason", "last_reply")}
            return email
        time.sleep(0.2)


def wait_for_messages(mailbox: Mailbox, count: int, timeout: float = WAIT) -> list:
    deadline = time.monotonic() + timeout
    while len(mailbox.messages) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(mailbox.messages) >= count, f"{len(mailbox.messages)} messages arrived, expected {count}"
    return mailbox.messages


def test_a_451_is_retried_and_the_email_arrives_once_with_its_unsubscribe_link(
    start_server, start_smtp, certificates: Certificates, cli: Cli, sqlite_database: str
):
    smtp = start_smtp("starttls")
    smtp.mailbox.data_replies.append("451 4.7.1 Greylisted, try again later")
    # Behind a TLS proxy at a public name, as one-click unsubscribe (RFC 8058) requires https links.
    public = "https://cx.example.test"
    server = start_server(sqlite_database, env=server_env(smtp, certificates, PUBLIC_URL=public))
    seed = seed_workspace(cli, "Acme")
    api = server.client(seed.admin_key)
    ann = api.post("/api/v1/customers", json={"traits": {"email": "ann@example.com", "first_name": "Änne"}}).json()
    queued = api.post("/api/v1/emails", json={
        "customer_id": ann["id"], "purpose": "surveys", "subject": "Wie war es, {{customer.first_name}}?",
        "text": "Hallo {{customer.first_name}},\nwie war Ihr Besuch?", "html": "<p>Hallo {{customer.first_name}}</p>"})
    assert queued.status_code == 202, show(queued)
    email = queued.json()

    sent = wait_for_email(api, email["id"], "sent")
    assert sent["attempts"] == 2, sent
    assert sent["last_reply"].startswith("250"), sent
    (received,) = wait_for_messages(smtp.mailbox, 1)
    time.sleep(1.0)  # a second copy would have arrived by now
    assert len(smtp.mailbox.messages) == 1
    assert received.login == USER.encode() and received.tls, "sent over STARTTLS with AUTH"
    assert received.rcpt_tos == ["ann@example.com"]
    message = received.parsed()
    assert message["Subject"] == "Wie war es, Änne?"
    assert message["Message-ID"] == f"<{email['message_id']}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe_url = message["List-Unsubscribe"].strip("<>")
    assert unsubscribe_url.startswith(public + "/unsubscribe/"), message["List-Unsubscribe"]
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text.startswith("Hallo Änne,\nwie war Ihr Besuch?")
    assert unsubscribe_url in text, "the text part carries the link too"
    assert "Hallo Änne" in message.get_body(("html",)).get_content()

    timeline = api.get(f"/api/v1/customers/{ann['id']}/timeline", params={"type": "email"}).json()["data"]
    assert [entry["properties"]["state"] for entry in timeline] == ["sent"], timeline

    # The mail client's one-click unsubscribe: a POST without cookies.
    # (the proxy forwards it to the server)
    done = requests.post(unsubscribe_url.replace(public, server.base_url), data={"List-Unsubscribe": "One-Click"}, timeout=10)
    assert done.status_code == 200, done.text
    contact = api.get(f"/api/v1/customers/{ann['id']}/contactability", params={"purpose": "surveys", "channel": "email"})
    assert contact.json()["allowed"] is False, contact.json()
    again = api.post("/api/v1/emails", json={"customer_id": ann["id"], "purpose": "surveys", "subject": "Erinnerung", "text": "Bitte"})
    assert again.json()["state"] == "blocked", again.json()


def test_a_550_to_the_recipient_fails_the_email_and_suppresses_the_address(
    start_server, start_smtp, certificates: Certificates, cli: Cli, sqlite_database: str
):
    smtp = start_smtp("starttls")
    smtp.mailbox.rcpt_replies["gone@example.com"] = "550 5.1.1 <gone@example.com>: Recipient address rejected"
    server = start_server(sqlite_database, env=server_env(smtp, certificates))
    seed = seed_workspace(cli, "Acme")
    api = server.client(seed.admin_key)
    bo = api.post("/api/v1/customers", json={"traits": {"email": "gone@example.com"}}).json()
    email = api.post("/api/v1/emails", json={"customer_id": bo["id"], "subject": "Your receipt", "text": "Thanks"}).json()

    failed = wait_for_email(api, email["id"], "failed")
    assert failed["attempts"] == 1, "a 5xx is not retried"
    assert "550" in failed["last_reply"] and "550" in failed["reason"], failed
    assert smtp.mailbox.messages == []
    suppressed = api.get("/api/v1/email/suppressions").json()["data"]
    assert [(entry["address"], entry["reason"]) for entry in suppressed] == [("gone@example.com", "bounced")], suppressed
    assert "550" in suppressed[0]["detail"]
    timeline = api.get(f"/api/v1/customers/{bo['id']}/timeline", params={"type": "email"}).json()["data"]
    assert [entry["properties"]["state"] for entry in timeline] == ["failed"], timeline

    next_one = api.post("/api/v1/emails", json={"customer_id": bo["id"], "subject": "Again", "text": "Hello"}).json()
    assert next_one["state"] == "blocked" and "suppression list" in next_one["reason"], next_one
    jobs = api.get("/api/v1/jobs", params={"kind": "email.send", "state": "failed"}).json()["data"]
    assert len(jobs) == 1 and "550" in jobs[0]["last_error"], jobs


def test_an_email_survives_kill_9_between_queueing_and_sending(
    start_server, certificates: Certificates, cli: Cli, sqlite_database: str
):
    port = free_port()
    mailbox = Mailbox()
    smtp = SMTPServer(mailbox, port, "smtp")
    # Nothing listens yet, and the server is killed right after queueing: the email can only come from the stored job.
    env = server_env(smtp, certificates, JOB_LEASE_SECONDS="5")
    server = start_server(sqlite_database, env=env)
    seed = seed_workspace(cli, "Acme")
    api = server.client(seed.admin_key)
    queued = api.post("/api/v1/emails", json={"to": "cy@example.com", "subject": "Order shipped", "text": "On its way"})
    assert queued.status_code == 202, show(queued)
    server.process.kill()
    server.process.wait(timeout=10)

    controller = Controller(mailbox, hostname="127.0.0.1", port=port, authenticator=mailbox.authenticate,
                            tls_context=certificates.server_context, require_starttls=True)
    controller.start()
    try:
        restarted = start_server(sqlite_database, env=env)
        (received,) = wait_for_messages(mailbox, 1)
        time.sleep(1.0)
        assert len(mailbox.messages) == 1, "one message, however many attempts"
        message = received.parsed()
        assert message["Message-ID"] == f"<{queued.json()['message_id']}>"
        assert message["List-Unsubscribe"] is None, "a service message has no unsubscribe link"
        wait_for_email(restarted.client(seed.admin_key), queued.json()["id"], "sent")
    finally:
        controller.stop()


def test_a_workspace_sends_through_its_own_smtp_server_without_a_server_wide_one(
    start_server, start_smtp, cli: Cli, sqlite_database: str
):
    smtp = start_smtp("plain")
    # No SMTP_URL: only the workspace's own server (on this machine, so private networks are allowed here).
    server = start_server(sqlite_database, env={"WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true", "JOB_POLL_MILLIS": "100"})
    seed = seed_workspace(cli, "Acme")
    api = server.client(seed.admin_key)
    refused = api.post("/api/v1/emails", json={"to": "dee@example.com", "subject": "Hi", "text": "Hello"})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "email_not_configured", show(refused)

    saved = api.request("PUT", "/api/v1/email/smtp", json={
        "host": "127.0.0.1", "port": smtp.port, "security": "none", "from": "Acme Support <support@acme.example>"})
    assert saved.status_code == 200, show(saved)
    assert saved.json()["source"] == "workspace"
    test = api.post("/api/v1/email/test", json={"to": "admin@acme.example"})
    assert test.json()["delivered"] is True, test.json()

    email = api.post("/api/v1/emails", json={"to": "dee@example.com", "subject": "Hi", "text": "Hello"}).json()
    wait_for_email(api, email["id"], "sent")
    messages = wait_for_messages(smtp.mailbox, 2)
    assert [m.rcpt_tos for m in messages] == [["admin@acme.example"], ["dee@example.com"]]
    assert all(m.mail_from == "support@acme.example" for m in messages), [m.mail_from for m in messages]
    assert messages[1].parsed()["From"] == "Acme Support <support@acme.example>"
    # The key that seals SMTP passwords was made beside the database on first start.
    assert (Path(sqlite_database.removeprefix("sqlite:")).parent / "secret.key").exists()
