"""Issue 10's acceptance, tried as a new user would: a tracked event matches an automation rule; after the rule's
delay the customer gets one email at a real SMTP server (aiosmtpd, STARTTLS and AUTH) and a local receiver gets one
signed webhook, verified with the `standardwebhooks` library; the server is killed with SIGKILL between the event and
the delivery and restarted, and still each arrives exactly once."""

from __future__ import annotations

import time

import requests

from conftest import Cli, seed_workspace, show
from test_email import Certificates, certificates, start_smtp  # noqa: F401 (fixtures)
from test_email_outbox import server_env, wait_for_messages
from test_webhooks import Receiver, create_endpoint, receiver, verified  # noqa: F401 (fixture)

DELAY_SECONDS = 4


def test_an_event_leads_to_one_email_and_one_signed_webhook_even_across_kill_9(
    start_server, start_smtp, certificates: Certificates, cli: Cli, sqlite_database: str, receiver: Receiver
):
    smtp = start_smtp("starttls")
    env = server_env(smtp, certificates, WEBHOOK_ALLOW_PRIVATE_NETWORKS="true", JOB_LEASE_SECONDS="5")
    server = start_server(sqlite_database, env=env)
    seed = seed_workspace(cli, "Acme")
    api = server.client(seed.admin_key)
    track_key = cli.create_api_key("Acme", "e2e-track", "track")

    endpoint = create_endpoint(api, receiver.url, ["customer.erased"])
    template = api.post("/api/v1/email/templates", json={
        "name": "After a resolved ticket", "subject": "How did {{data.agent}} do, {{customer.first_name}}?",
        "text": "Hi {{customer.first_name}},\n{{data.agent}} resolved ticket {{data.ticket_id}}. Tell us how it went."})
    assert template.status_code == 201, show(template)
    rule = api.post("/api/v1/automation/rules", json={
        "name": "Ask after a resolved ticket",
        "trigger": {"type": "event", "event": "Ticket Resolved"},
        "delay_seconds": DELAY_SECONDS,
        "actions": [
            {"type": "send_email", "template_id": template.json()["id"], "purpose": "surveys"},
            {"type": "webhook", "endpoint_id": endpoint["id"]},
        ],
    })
    assert rule.status_code == 201, show(rule)

    sent = requests.post(server.url("/v1/batch"), auth=(track_key, ""), timeout=10, json={"batch": [
        {"type": "identify", "userId": "cust-7", "traits": {"email": "mia@example.com", "first_name": "Mia"}},
        {"type": "track", "userId": "cust-7", "event": "Ticket Resolved",
         "properties": {"agent": "Sam", "ticket_id": "T-1042", "channel": "email"}},
    ]})
    assert sent.status_code == 200, show(sent)
    # Killed before the delay is over: the email and the webhook can only come from stored jobs.
    server.process.kill()
    server.process.wait(timeout=10)
    assert smtp.mailbox.messages == [] and receiver.requests == []

    restarted = start_server(sqlite_database, env=env)
    api = restarted.client(seed.admin_key)
    (message,) = wait_for_messages(smtp.mailbox, 1)
    (request,) = receiver.wait_for(1)
    time.sleep(2.0)  # a second copy of either would have arrived by now
    assert len(smtp.mailbox.messages) == 1 and len(receiver.requests) == 1

    email = message.parsed()
    assert message.rcpt_tos == ["mia@example.com"] and message.tls
    assert email["Subject"] == "How did Sam do, Mia?"
    assert "Sam resolved ticket T-1042." in email.get_body(("plain",)).get_content()
    payload = verified(endpoint["secret"], request)
    assert payload["type"] == "automation.rule_fired"
    assert payload["data"]["trigger"]["properties"]["ticket_id"] == "T-1042"

    runs = api.get(f"/api/v1/automation/rules/{rule.json()['id']}/runs").json()["data"]
    assert [run["state"] for run in runs] == ["completed"], runs
    customer_id = runs[0]["customer_id"]
    # On the customer's timeline: the email, sent, and the webhook, delivered; in the webhook's delivery log: the
    # delivery, succeeded.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        timeline = api.get(f"/api/v1/customers/{customer_id}/timeline", params={"type": "email,webhook"}).json()["data"]
        deliveries = api.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries").json()["data"]
        if len(timeline) == 2 and deliveries and deliveries[0]["status"] == "succeeded":
            break
        time.sleep(0.2)
    shown = sorted((entry["type"], entry["name"], entry["properties"].get("state") or entry["properties"].get("status"))
                   for entry in timeline)
    assert shown == [("email", "How did Sam do, Mia?", "sent"), ("webhook", "automation.rule_fired", "succeeded")], timeline
    assert [(d["event_type"], d["status"], d["message_id"]) for d in deliveries] == [
        ("automation.rule_fired", "succeeded", request[0]["webhook-id"])]
    emails = api.get("/api/v1/emails", params={"customer_id": customer_id}).json()["data"]
    assert [(e["state"], e["source"], e["message_id"]) for e in emails] == [
        ("sent", "automation", email["Message-ID"].strip("<>"))]
