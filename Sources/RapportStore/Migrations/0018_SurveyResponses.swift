extension Migrations {
    /// Survey responses (docs/surveys.md): the answers to one survey version, tied to the customer, the invitation (one
    /// response each), the channel and the interaction's attributes (agent, team, touchpoint…). A customer's data:
    /// in `CustomerDataTables`.
    static let surveyResponses0018 = Migration(version: 18, name: "survey_responses") { _ in
        [
            """
            CREATE TABLE survey_responses (
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                id TEXT NOT NULL,
                survey_id TEXT NOT NULL,
                version BIGINT NOT NULL,
                customer_id TEXT,
                invitation_id TEXT,
                channel TEXT NOT NULL,
                language TEXT NOT NULL,
                answers TEXT NOT NULL,
                score BIGINT,
                band TEXT,
                attributes TEXT NOT NULL,
                status TEXT NOT NULL,
                submitted_at BIGINT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (workspace_id, id)
            )
            """,
            "CREATE INDEX survey_responses_by_survey ON survey_responses (workspace_id, survey_id, id)",
            "CREATE INDEX survey_responses_by_customer ON survey_responses (workspace_id, customer_id)",
            """
            CREATE UNIQUE INDEX survey_responses_by_invitation ON survey_responses (workspace_id, invitation_id)
                WHERE invitation_id IS NOT NULL
            """,
        ]
    }
}
