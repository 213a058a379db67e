extension Migrations {
    /// Survey invitations (docs/surveys.md, "Invitations"): one row per ask of one person, scheduled, then sent or
    /// suppressed by the contact rules with its reason; the links' tokens, stored as hashes only (a reminder mints a
    /// new link for the same invitation, so an invitation has one or more); and the workspace's contact rules. A
    /// customer's data: both tables are in `CustomerDataTables`.
    static let surveyInvitations0020 = Migration(version: 20, name: "survey_invitations") { _ in
        [
            """
            CREATE TABLE survey_invitations (
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                id TEXT NOT NULL,
                survey_id TEXT NOT NULL,
                customer_id TEXT NOT NULL,
                channel TEXT NOT NULL,
                status TEXT NOT NULL,
                reason TEXT,
                reason_text TEXT,
                attributes TEXT NOT NULL,
                source TEXT NOT NULL,
                send_at BIGINT NOT NULL,
                sent_at BIGINT,
                email_id TEXT,
                reminders_sent BIGINT NOT NULL,
                responded_at BIGINT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (workspace_id, id)
            )
            """,
            "CREATE INDEX survey_invitations_by_survey ON survey_invitations (workspace_id, survey_id, id)",
            "CREATE INDEX survey_invitations_by_customer ON survey_invitations (workspace_id, customer_id, sent_at)",
            """
            CREATE TABLE survey_invitation_tokens (
                token_hash TEXT NOT NULL PRIMARY KEY,
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                invitation_id TEXT NOT NULL,
                customer_id TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX survey_invitation_tokens_by_customer ON survey_invitation_tokens (workspace_id, customer_id)",
            """
            CREATE TABLE survey_contact_rules (
                workspace_id TEXT NOT NULL PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
                recontact_days BIGINT NOT NULL,
                quiet_start_hour BIGINT NOT NULL,
                quiet_end_hour BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
        ]
    }
}
