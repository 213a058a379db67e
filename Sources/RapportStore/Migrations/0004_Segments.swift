extension Migrations {
    /// Segments and their materialised members.
    static let segments0004 = Migration(version: 4, name: "segments") { _ in
        [
            """
            CREATE TABLE segments (
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                id TEXT NOT NULL,
                name TEXT NOT NULL,
                description TEXT,
                rule TEXT NOT NULL,
                member_count BIGINT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                refreshed_at BIGINT,
                PRIMARY KEY (workspace_id, id)
            )
            """,
            """
            CREATE TABLE segment_members (
                workspace_id TEXT NOT NULL,
                segment_id TEXT NOT NULL,
                customer_id TEXT NOT NULL,
                added_at BIGINT NOT NULL,
                PRIMARY KEY (workspace_id, segment_id, customer_id)
            )
            """,
            "CREATE INDEX segment_members_by_customer ON segment_members (workspace_id, customer_id)",
        ]
    }
}
