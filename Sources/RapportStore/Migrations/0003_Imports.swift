extension Migrations {
    /// CSV import jobs and their progress.
    static let imports0003 = Migration(version: 3, name: "imports") { _ in
        [
            """
            CREATE TABLE imports (
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                id TEXT NOT NULL,
                kind TEXT NOT NULL,
                status TEXT NOT NULL,
                rows_read BIGINT NOT NULL,
                rows_imported BIGINT NOT NULL,
                rows_rejected BIGINT NOT NULL,
                rejections TEXT NOT NULL,
                failure TEXT,
                created_by TEXT,
                created_at BIGINT NOT NULL,
                finished_at BIGINT,
                PRIMARY KEY (workspace_id, id)
            )
            """,
        ]
    }
}
