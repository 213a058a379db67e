extension Migrations {
    /// Surveys and their versions (docs/surveys.md). A version's definition (languages and questions, JSON) never
    /// changes once it is published, so every response can be read with the questions it answered. No customer data:
    /// invitations and responses come in their own tables.
    static let surveys0017 = Migration(version: 17, name: "surveys") { _ in
        [
            """
            CREATE TABLE surveys (
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                id TEXT NOT NULL,
                name TEXT NOT NULL,
                status TEXT NOT NULL,
                version BIGINT NOT NULL,
                settings TEXT NOT NULL,
                created_by TEXT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (workspace_id, id)
            )
            """,
            "CREATE INDEX surveys_by_status ON surveys (workspace_id, status, id)",
            """
            CREATE TABLE survey_versions (
                workspace_id TEXT NOT NULL,
                survey_id TEXT NOT NULL,
                version BIGINT NOT NULL,
                definition TEXT NOT NULL,
                published BIGINT NOT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (workspace_id, survey_id, version),
                FOREIGN KEY (workspace_id, survey_id) REFERENCES surveys (workspace_id, id) ON DELETE CASCADE
            )
            """,
        ]
    }
}
