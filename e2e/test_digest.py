"""The email digest against a real SMTP server (aiosmtpd): a member turns the weekly digest on from the Goals page and
asks for one now; what arrives carries the goal, NPS with its interval and the change from the week before, and the
member's overdue follow-ups, with numbers checked against the adjusted-Wald NPS interval computed here
(Rocks 2016; docs/methods.md).
"""

from __future__ import annotations

import datetime
import math

from conftest import Cli, logged_in_client, wait_for, page_csrf_token, redirect_path, seed_workspace, show
from test_email import Certificates, certificates, start_smtp  # noqa: F401
from test_email_outbox import server_env
from test_survey_invitations import nps_with_reason


def adjusted_wald(promoters: int, passives: int, detractors: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The NPS interval on −100…100: add ¾ to promoters and detractors and 3 to n (MeasuringU, Lewis and Sauro 2021)."""
    n = promoters + passives + detractors + 3
    p, d = (promoters + 0.75) / n, (detractors + 0.75) / n
    spread = z * math.sqrt((p + d - (p - d) ** 2) / n)
    return max(-100.0, 100 * (p - d - spread)), min(100.0, 100 * (p - d + spread))


def adjusted_difference(a: tuple[int, int, int], b: tuple[int, int, int], z: float = 1.959963984540054) -> tuple[float, float]:
    """The interval of NPS(a) − NPS(b), two independent groups: the adjusted scores' difference ± z·√(Var_a + Var_b)
    (Rocks 2016, §5; docs/methods.md "Comparing")."""
    def adjusted(promoters: int, passives: int, detractors: int) -> tuple[float, float]:
        n = promoters + passives + detractors + 3
        p, d = (promoters + 0.75) / n, (detractors + 0.75) / n
        return p - d, (p + d - (p - d) ** 2) / n
    (score_a, var_a), (score_b, var_b) = adjusted(*a), adjusted(*b)
    spread = z * math.sqrt(var_a + var_b)
    return 100 * (score_a - score_b - spread), 100 * (score_a - score_b + spread)


def signed(value: float) -> str:
    return f"{value:+.0f}"


def test_the_digest_arrives_with_the_goal_the_metrics_and_the_overdue_follow_ups(
    start_server, start_smtp, certificates: Certificates, cli: Cli, sqlite_database: str
):
    smtp = start_smtp("starttls")
    public = "https://cx.example.test"
    server = start_server(sqlite_database, env=server_env(smtp, certificates, PUBLIC_URL=public))
    seed = seed_workspace(cli, "Acme")
    api = server.client(seed.admin_key)
    survey = api.post("/api/v1/surveys", json={
        "name": "After support", "questions": nps_with_reason(),
        "settings": {"follow_up": {"due_hours": 1, "default_owner_id": seed.owner_id}}}).json()
    assert api.post(f"/api/v1/surveys/{survey['id']}/activate").status_code == 200

    # The week before today (5, 6 and 7 days ago are in it; 8–14 days ago the week before that), in UTC.
    today = datetime.datetime.now(datetime.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    weeks = {8: [10, 10, 10, 10, 9, 8, 8, 3, 2, 1], 1: [10, 10, 10, 10, 10, 10, 9, 8, 7, 2]}
    for start_days, scores in weeks.items():
        for index, score in enumerate(scores):
            at = today - datetime.timedelta(days=start_days + index % 6, hours=-10)
            reply = api.post(f"/api/v1/surveys/{survey['id']}/responses", json={
                "email": f"d{start_days}-{index}@example.com", "answers": {"score": score},
                "submitted_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "channel": "api"})
            assert reply.status_code == 201, show(reply)
    goal = api.post("/api/v1/goals", json={"name": "NPS 30 by year end", "metric": "nps", "target": 30,
                                           "due_date": f"{today.year + 1}-12-31", "window_days": 30})
    assert goal.status_code == 201, show(goal)
    # Every detractor opened a case for the owner, due an hour after it was recorded; three are moved to yesterday,
    # as a team lead would reschedule them, and so are overdue now.
    cases = api.get("/api/v1/follow-ups", params={"limit": 50}).json()["data"]
    assert len(cases) == 4 and all(case["owner_id"] == seed.owner_id for case in cases), cases
    yesterday = (today - datetime.timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for case in cases[:3]:
        moved = api.patch(f"/api/v1/follow-ups/{case['id']}", json={"due_at": yesterday})
        assert moved.status_code == 200, show(moved)

    owner, _ = logged_in_client(server.base_url, seed.owner_email)
    token = page_csrf_token(owner, "/goals")
    saved = owner.post("/goals/digest", data={"_csrf": token, "frequency": "weekly"})
    assert redirect_path(saved) == "/goals", show(saved)
    page = owner.get("/goals").text
    assert "Next digest" in page and "NPS 30 by year end" in page
    sent = owner.post("/goals/digest/send", data={"_csrf": token})
    assert redirect_path(sent) == "/goals", show(sent)

    # The owner was also told of each case opened for them; the digest is the message with its subject.
    def digest():
        found = [m for m in smtp.mailbox.messages if "Rapport digest" in (m.parsed()["Subject"] or "")]
        return found[0] if found else None

    received = wait_for(digest, "the digest at the SMTP server", timeout=45)
    assert received.rcpt_tos == [seed.owner_email]
    message = received.parsed()
    assert message["Subject"].startswith("Acme: your weekly Rapport digest, "), message["Subject"]
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    low, high = adjusted_wald(7, 2, 1)
    change_low, change_high = adjusted_difference((7, 2, 1), (5, 2, 3))
    assert (f"- NPS: +60 ({signed(low)} to {signed(high)}), n = 10, small sample. Change: +40 points (from +20); "
            f"95 % interval of the change {signed(change_low)} points to {signed(change_high)} points: within noise.") in text, text
    goal_low, goal_high = adjusted_wald(12, 4, 4)
    assert (f"- NPS 30 by year end: +40 ({signed(goal_low)} to {signed(goal_high)}) against a target of +30. "
            "The target is inside the interval: not yet clear.") in text, text
    assert "- CSAT: no answers, n = 0." in text, text
    assert "Your overdue follow-ups: 3 (in the workspace: 3)" in text, text
    assert text.count(f"{public}/follow-ups/") == 3, text
    assert f"Dashboard: {public}/" in text, text
    html = message.get_body(("html",)).get_content()
    assert "<strong>+60</strong>" in html and "NPS 30 by year end" in html, html
