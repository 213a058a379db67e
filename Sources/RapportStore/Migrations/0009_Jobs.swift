extension Migrations {
    /// The durable job queue (see docs/decisions.md, "Jobs in the database"). Keyed by `id` alone: system jobs have
    /// no workspace, and a claim looks across workspaces. The idempotency key is unique per workspace (system jobs
    /// counted as workspace '') and kind where it is set; both databases accept the partial expression index. No
    /// foreign key to `workspaces`: a job outlives nothing it needs, and its handler fails it when the workspace is
    /// gone.
    static let jobs0009 = Migration(version: 9, name: "jobs") { _ in
        [
            """
            CREATE TABLE jobs (
                id TEXT NOT NULL PRIMARY KEY,
                workspace_id TEXT,
                kind TEXT NOT NULL,
                payload TEXT NOT NULL,
                run_at BIGINT NOT NULL,
                priority BIGINT NOT NULL DEFAULT 0,
                attempts BIGINT NOT NULL DEFAULT 0,
                max_attempts BIGINT NOT NULL,
                state TEXT NOT NULL,
                last_error TEXT,
                idempotency_key TEXT,
                lease_owner TEXT,
                lease_expires_at BIGINT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                finished_at BIGINT
            )
            """,
            // Claiming: due queued jobs and expired leases, found by state then time.
            "CREATE INDEX jobs_claim ON jobs (state, run_at, priority)",
            "CREATE INDEX jobs_lease ON jobs (state, lease_expires_at)",
            // Listing: a workspace's jobs by state, newest first; counts by kind and state.
            "CREATE INDEX jobs_by_workspace ON jobs (workspace_id, state, id)",
            "CREATE INDEX jobs_by_kind ON jobs (kind, state)",
            """
            CREATE UNIQUE INDEX jobs_idempotency ON jobs (COALESCE(workspace_id, ''), kind, idempotency_key)
                WHERE idempotency_key IS NOT NULL
            """,
        ]
    }
}
