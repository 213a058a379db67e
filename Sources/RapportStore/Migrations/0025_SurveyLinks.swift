extension Migrations {
    /// Public survey links (docs/surveys.md, "The shareable link"): one live link per survey, its token stored as a
    /// hash only, a new row (and id) for each rotation; the resume tokens that tie a browser to the anonymous response
    /// it started through a link (hashes only; a unique key, so a form sent twice makes one response); and the
    /// workspace's brand colour. No customer's data: link responses have no customer.
    static let surveyLinks0025 = Migration(version: 25, name: "survey_links") { _ in
        [
            """
            CREATE TABLE survey_links (
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                survey_id TEXT NOT NULL,
                id TEXT NOT NULL,
                token_hash TEXT NOT NULL,
                created_by TEXT,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (workspace_id, survey_id)
            )
            """,
            "CREATE UNIQUE INDEX survey_links_by_token ON survey_links (token_hash)",
            """
            CREATE TABLE survey_link_responses (
                resume_hash TEXT NOT NULL PRIMARY KEY,
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                survey_id TEXT NOT NULL,
                link_id TEXT NOT NULL,
                response_id TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX survey_link_responses_by_survey ON survey_link_responses (workspace_id, survey_id)",
            "ALTER TABLE workspaces ADD COLUMN brand_color TEXT",
        ]
    }
}
