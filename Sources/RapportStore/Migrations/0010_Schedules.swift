extension Migrations {
    /// Recurring schedules (see docs/decisions.md, "Schedules fire once per tick across processes") and the
    /// workspace's time zone they run in. A schedule's key is unique per workspace, system schedules (no workspace)
    /// counted as workspace '', with the same expression index as the jobs' idempotency key; a workspace's schedules go
    /// with it (`ON DELETE CASCADE`, as its other tables). `enabled` is 0 or 1 on both databases. The scheduler's due
    /// check reads `schedules_due` and writes nothing when nothing is due.
    static let schedules0010 = Migration(version: 10, name: "schedules") { _ in
        [
            "ALTER TABLE workspaces ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC'",
            """
            CREATE TABLE schedules (
                id TEXT NOT NULL PRIMARY KEY,
                workspace_id TEXT REFERENCES workspaces (id) ON DELETE CASCADE,
                key TEXT NOT NULL,
                kind TEXT NOT NULL,
                cron TEXT NOT NULL,
                time_zone TEXT,
                payload TEXT NOT NULL,
                enabled BIGINT NOT NULL DEFAULT 1,
                next_run_at BIGINT NOT NULL,
                last_run_at BIGINT,
                last_error TEXT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            "CREATE UNIQUE INDEX schedules_key ON schedules (COALESCE(workspace_id, ''), key)",
            "CREATE INDEX schedules_due ON schedules (enabled, next_run_at)",
            "CREATE INDEX schedules_by_workspace ON schedules (workspace_id, key)",
        ]
    }
}
