extension Migrations {
    /// The email outbox, the suppression list and email templates (docs/email.md). An outbox row names the customer
    /// it was sent to, so merges move it and an erasure deletes it (`CustomerDataTables`); the unsubscribe token is
    /// looked up across workspaces (the link carries no workspace).
    static let email0012 = Migration(version: 12, name: "email") { _ in
        [
            """
            CREATE TABLE email_outbox (
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                id TEXT NOT NULL,
                customer_id TEXT,
                recipient TEXT NOT NULL,
                purpose TEXT,
                template_id TEXT,
                subject TEXT NOT NULL,
                text_body TEXT NOT NULL,
                html_body TEXT,
                state TEXT NOT NULL,
                reason TEXT,
                attempts BIGINT NOT NULL,
                last_reply TEXT,
                message_id TEXT NOT NULL,
                unsubscribe_token TEXT,
                source TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                sent_at BIGINT,
                PRIMARY KEY (workspace_id, id)
            )
            """,
            "CREATE INDEX email_outbox_by_customer ON email_outbox (workspace_id, customer_id, id)",
            "CREATE INDEX email_outbox_by_state ON email_outbox (workspace_id, state, id)",
            "CREATE INDEX email_outbox_sent ON email_outbox (workspace_id, sent_at)",
            "CREATE UNIQUE INDEX email_outbox_unsubscribe ON email_outbox (unsubscribe_token)",
            """
            CREATE TABLE email_suppressions (
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                address TEXT NOT NULL,
                id TEXT NOT NULL,
                reason TEXT NOT NULL,
                detail TEXT,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (workspace_id, address)
            )
            """,
            "CREATE INDEX email_suppressions_by_id ON email_suppressions (workspace_id, id)",
            """
            CREATE TABLE email_templates (
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                id TEXT NOT NULL,
                name TEXT NOT NULL,
                subject TEXT NOT NULL,
                text_body TEXT NOT NULL,
                html_body TEXT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (workspace_id, id)
            )
            """,
            "CREATE UNIQUE INDEX email_templates_by_name ON email_templates (workspace_id, name)",
        ]
    }
}
