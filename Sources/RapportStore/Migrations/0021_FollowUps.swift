extension Migrations {
    /// Follow-up cases opened by unhappy survey responses and the notes on them (docs/surveys.md, "Closing the loop").
    /// Both hold a customer's data: in `CustomerDataTables` (the notes carry `customer_id` so that a merge or an
    /// erasure reaches them). The queue reads open cases by due time, per owner or for everyone.
    static let followUps0021 = Migration(version: 21, name: "follow_ups") { _ in
        [
            """
            CREATE TABLE follow_up_cases (
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                id TEXT NOT NULL,
                survey_id TEXT NOT NULL,
                response_id TEXT NOT NULL,
                customer_id TEXT,
                owner_id TEXT,
                status TEXT NOT NULL,
                is_open BIGINT NOT NULL,
                outcome TEXT,
                score BIGINT,
                band TEXT,
                due_at BIGINT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                closed_at BIGINT,
                PRIMARY KEY (workspace_id, id)
            )
            """,
            "CREATE UNIQUE INDEX follow_up_cases_by_response ON follow_up_cases (workspace_id, response_id)",
            "CREATE INDEX follow_up_cases_queue ON follow_up_cases (workspace_id, is_open, due_at, id)",
            "CREATE INDEX follow_up_cases_by_owner ON follow_up_cases (workspace_id, owner_id, is_open, due_at, id)",
            "CREATE INDEX follow_up_cases_by_survey ON follow_up_cases (workspace_id, survey_id, closed_at)",
            "CREATE INDEX follow_up_cases_by_customer ON follow_up_cases (workspace_id, customer_id)",
            """
            CREATE TABLE follow_up_notes (
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                id TEXT NOT NULL,
                case_id TEXT NOT NULL,
                customer_id TEXT,
                author_id TEXT NOT NULL,
                author_label TEXT NOT NULL,
                text TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (workspace_id, id)
            )
            """,
            "CREATE INDEX follow_up_notes_by_case ON follow_up_notes (workspace_id, case_id, id)",
            "CREATE INDEX follow_up_notes_by_customer ON follow_up_notes (workspace_id, customer_id)",
        ]
    }
}
