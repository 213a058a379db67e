"""Issue 11, "Abuse and faults": two `rapport serve` processes on one PostgreSQL database send each invitation
exactly once. A segment of customers is invited twice at the same moment, once through each server: every invitation
is sent or held back by the recontact period, and every customer gets exactly one email at a real SMTP server
(aiosmtpd), whichever process ran which job. Skipped unless RAPPORT_E2E_POSTGRES_ADMIN_URL names a cluster."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests

from conftest import POSTGRES_ADMIN_URL, Cli, seed_workspace, show
from test_email import Certificates, certificates, start_smtp  # noqa: F401 (fixtures)
from test_email_outbox import server_env, wait_for_messages

pytestmark = pytest.mark.skipif(not POSTGRES_ADMIN_URL, reason="RAPPORT_E2E_POSTGRES_ADMIN_URL is not set")

CUSTOMERS = 60
WAIT = 120


def test_two_servers_send_each_invitation_once_and_each_person_one_email(
    start_server, start_smtp, certificates: Certificates, postgres_database: str, tmp_path: Path
):
    smtp = start_smtp("starttls")
    env = server_env(smtp, certificates, JOB_CONCURRENCY="4", JOB_POLL_MILLIS="50")
    first = start_server(postgres_database, env=env, wait=False)
    second = start_server(postgres_database, env=env, wait=False)
    first.wait_until_healthy()
    second.wait_until_healthy()
    cli = Cli(postgres_database, tmp_path)
    seed = seed_workspace(cli, "Acme")
    track_key = cli.create_api_key("Acme", "e2e-track", "track")
    apis = [first.client(seed.admin_key), second.client(seed.admin_key)]

    batch = [{"type": "identify", "userId": f"c{n}", "traits": {"email": f"c{n}@example.com", "plan": "pro"}}
             for n in range(CUSTOMERS)]
    sent = requests.post(first.url("/v1/batch"), auth=(track_key, ""), json={"batch": batch}, timeout=30)
    assert sent.status_code == 200, show(sent)
    segment = apis[0].post("/api/v1/segments", json={"name": "Pro", "rule": {"field": "trait.plan", "op": "eq", "value": "pro"}})
    assert segment.status_code == 201, show(segment)
    survey = apis[0].post("/api/v1/surveys", json={"name": "How are we doing?", "questions": [
        {"id": "score", "type": "nps", "required": True, "text": "How likely are you to recommend Acme?"}]})
    assert survey.status_code == 201, show(survey)
    survey_id = survey.json()["id"]
    assert apis[0].post(f"/api/v1/surveys/{survey_id}/activate").status_code == 200

    # The same segment invited through both servers at once: 2 × CUSTOMERS invitations race for CUSTOMERS people.
    replies: list[requests.Response] = []
    barrier = threading.Barrier(2)

    def invite(api) -> None:
        barrier.wait()
        replies.append(api.post(f"/api/v1/surveys/{survey_id}/invitations", json={"segment_id": segment.json()["id"]}))

    threads = [threading.Thread(target=invite, args=(api,)) for api in apis]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [reply.status_code for reply in replies] == [202, 202], [show(reply) for reply in replies]
    assert sum(reply.json()["scheduled"] for reply in replies) == 2 * CUSTOMERS

    def settled() -> list[dict]:
        invitations, cursor = [], None
        while True:
            page = apis[1].get(f"/api/v1/surveys/{survey_id}/invitations",
                               params={"limit": 200, **({"cursor": cursor} if cursor else {})}).json()
            invitations += page["data"]
            cursor = page.get("next_cursor")
            if not cursor:
                return invitations

    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        invitations = settled()
        if invitations and all(i["status"] != "scheduled" for i in invitations):
            break
        time.sleep(0.5)
    states = Counter((i["status"], i["reason"]) for i in invitations)
    assert states == {("sent", None): CUSTOMERS, ("suppressed", "recontact_period"): CUSTOMERS}, states
    per_customer = Counter(i["customer_id"] for i in invitations if i["status"] == "sent")
    assert len(per_customer) == CUSTOMERS and set(per_customer.values()) == {1}

    messages = wait_for_messages(smtp.mailbox, CUSTOMERS, timeout=WAIT)
    time.sleep(2.0)  # anything sent twice would arrive within the outbox's next polls
    recipients = Counter(rcpt for message in smtp.mailbox.messages for rcpt in message.rcpt_tos)
    assert len(messages) == CUSTOMERS and set(recipients.values()) == {1}, recipients.most_common(3)
    assert set(recipients) == {f"c{n}@example.com" for n in range(CUSTOMERS)}
