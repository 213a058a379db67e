extension Migrations {
    /// The survey web widget (docs/surveys.md, "Web widget"): each workspace's identity verification (whether the
    /// widget requires `user_hash`, and the HMAC secret, kept readable like webhook secrets because the server computes
    /// the HMAC). Showings are survey invitations on channel `widget`; the index finds one person's showings of a
    /// survey (the daily bound on recorded suppressions, their last dismissal).
    static let surveyWidget0024 = Migration(version: 24, name: "survey_widget") { _ in
        [
            """
            CREATE TABLE survey_widget_settings (
                workspace_id TEXT NOT NULL PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
                require_user_hash BIGINT NOT NULL,
                secret TEXT,
                updated_at BIGINT NOT NULL
            )
            """,
            """
            CREATE INDEX survey_invitations_by_customer_survey
                ON survey_invitations (workspace_id, customer_id, survey_id, channel, created_at)
            """,
        ]
    }
}
