"""A team brings its past NPS: a CSV of historic responses is uploaded to the real `rapport serve` as a multipart
file, imported by its job, and the answers appear on the survey's list and in its CSV export with their own dates;
importing the same file again adds nothing. `rapport import survey_responses` does the same from the command line."""

from __future__ import annotations

import csv
import io

from conftest import Cli, logged_in_client, seed_workspace, show
from test_import_jobs import wait_for

SURVEY = {
    "name": "Support NPS",
    "questions": [
        {"id": "nps", "type": "nps", "required": True, "text": "How likely are you to recommend us?"},
        {"id": "reason", "type": "text", "text": "Why?"},
    ],
}

FILE = (
    "email,submitted_at,nps,reason,attr_agent,response_id\n"
    'ann@example.com,2024-11-03T10:00:00Z,2,"Slow, and rude",sam,Z-1\n'
    "bob@example.com,2024-12-24,10,,kim,Z-2\n"
    "cara@example.com,2025-01-05,12,,sam,Z-3\n"
)


def upload(api, survey_id: str) -> dict:
    response = api.post("/api/v1/imports", params={"type": "survey_responses", "survey_id": survey_id},
                        files={"file": ("nps.csv", FILE.encode(), "text/csv")})
    assert response.status_code == 202, show(response)
    return wait_for(api, response.headers["Location"], lambda job: job["status"] in ("completed", "failed"), "finished")


def test_historic_responses_are_imported_once_listed_and_exported(start_server, cli: Cli, sqlite_database: str, tmp_path):
    server = start_server(sqlite_database)
    seed = seed_workspace(cli, "Past NPS")
    api = server.client(seed.admin_key)
    made = api.post("/api/v1/surveys", json=SURVEY)
    assert made.status_code == 201, show(made)
    survey_id = made.json()["id"]

    done = upload(api, survey_id)
    assert done["status"] == "completed", done
    assert (done["rows_read"], done["rows_imported"], done["rows_rejected"]) == (3, 2, 1), done
    assert [(r["row"], r["field"]) for r in done["rejections"]] == [(4, "nps")], done

    listed = api.get(f"/api/v1/surveys/{survey_id}/responses", params={"agent": "sam"})
    assert listed.status_code == 200, show(listed)
    [ann] = listed.json()["data"]
    assert ann["submitted_at"] == "2024-11-03T10:00:00.000Z" and ann["band"] == "detractor" and ann["channel"] == "import"
    timeline = api.get(f"/api/v1/customers/{ann['customer_id']}/timeline", params={"type": "survey_response"}).json()["data"]
    assert [entry["occurred_at"] for entry in timeline] == ["2024-11-03T10:00:00.000Z"]

    again = upload(api, survey_id)
    assert (again["rows_imported"], again["rows_rejected"]) == (0, 3), again
    assert len(api.get(f"/api/v1/surveys/{survey_id}/responses").json()["data"]) == 2

    exported = api.get(f"/api/v1/surveys/{survey_id}/responses.csv", params={"to": "2024-12-31"})
    assert exported.status_code == 200 and exported.headers["Content-Type"].startswith("text/csv"), show(exported)
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert sorted(row["email"] for row in rows) == ["ann@example.com", "bob@example.com"]
    assert {row["email"]: row["reason"] for row in rows}["ann@example.com"] == "Slow, and rude"

    # The same file from the command line: every row is already there.
    path = tmp_path / "nps.csv"
    path.write_text(FILE)
    result = cli.run("import", "survey_responses", str(path), "--workspace", "Past NPS", "--survey", survey_id)
    assert "0 imported, 3 rejected of 3 rows" in result.stdout, result.stdout

    # The survey's page offers the import form (with its column guide) and the download, which a signed-in owner gets.
    browser, _ = logged_in_client(server.base_url, seed.owner_email)
    page = browser.get(f"/surveys/{survey_id}")
    assert page.status_code == 200 and "Import responses (CSV)" in page.text, show(page)
    assert "<code>nps</code>: a whole number 0–10 (required)" in page.text and 'name="survey_id"' in page.text
    download = browser.get(f"/surveys/{survey_id}/responses.csv")
    assert download.status_code == 200 and len(list(csv.DictReader(io.StringIO(download.text)))) == 2, show(download)

