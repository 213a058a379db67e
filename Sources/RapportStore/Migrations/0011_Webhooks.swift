extension Migrations {
    /// Webhook endpoints and their delivery log (docs/webhooks.md). A delivery names the customer its event is about,
    /// so an erasure deletes it (`CustomerDataTables`).
    static let webhooks0011 = Migration(version: 11, name: "webhooks") { _ in
        [
            """
            CREATE TABLE webhook_endpoints (
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                id TEXT NOT NULL,
                url TEXT NOT NULL,
                description TEXT,
                event_types TEXT NOT NULL,
                enabled BIGINT NOT NULL,
                secret TEXT NOT NULL,
                disabled_reason TEXT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (workspace_id, id)
            )
            """,
            """
            CREATE TABLE webhook_deliveries (
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                id TEXT NOT NULL,
                endpoint_id TEXT NOT NULL,
                message_id TEXT NOT NULL,
                event_type TEXT NOT NULL,
                customer_id TEXT,
                payload TEXT NOT NULL,
                status TEXT NOT NULL,
                attempts BIGINT NOT NULL,
                response_status BIGINT,
                response_excerpt TEXT,
                duration_ms BIGINT,
                created_at BIGINT NOT NULL,
                last_attempt_at BIGINT,
                PRIMARY KEY (workspace_id, id)
            )
            """,
            "CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (workspace_id, endpoint_id, id)",
            "CREATE INDEX webhook_deliveries_by_customer ON webhook_deliveries (workspace_id, customer_id)",
        ]
    }
}
