extension Migrations {
    /// Automation rules and their runs (docs/automation.md). Number 12 is taken by the email outbox, developed beside
    /// this. A run names the customer it ran for, so it is in `CustomerDataTables` (merge: moved; erase: deleted).
    static let automation0013 = Migration(version: 13, name: "automation") { _ in
        [
            """
            CREATE TABLE automation_rules (
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                id TEXT NOT NULL,
                name TEXT NOT NULL,
                enabled BIGINT NOT NULL,
                trigger_kind TEXT NOT NULL,
                trigger_key TEXT,
                trigger_spec TEXT NOT NULL,
                condition_rule TEXT,
                delay_seconds BIGINT NOT NULL,
                actions TEXT NOT NULL,
                max_runs_per_customer BIGINT NOT NULL,
                customer_window_hours BIGINT NOT NULL,
                max_runs_per_hour BIGINT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (workspace_id, id)
            )
            """,
            // What the hot path reads: the enabled rules' triggers.
            "CREATE INDEX automation_rules_enabled ON automation_rules (workspace_id, enabled, trigger_kind)",
            """
            CREATE TABLE automation_runs (
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                id TEXT NOT NULL,
                rule_id TEXT NOT NULL,
                customer_id TEXT NOT NULL,
                trigger_summary TEXT NOT NULL,
                state TEXT NOT NULL,
                reason TEXT,
                error TEXT,
                dedupe_key TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                run_at BIGINT NOT NULL,
                finished_at BIGINT,
                PRIMARY KEY (workspace_id, id)
            )
            """,
            "CREATE UNIQUE INDEX automation_runs_dedupe ON automation_runs (workspace_id, dedupe_key)",
            // A rule's runs newest first (ids are UUIDv7), and its runs in the last hour (the per-rule limit).
            "CREATE INDEX automation_runs_by_rule ON automation_runs (workspace_id, rule_id, id)",
            "CREATE INDEX automation_runs_by_rule_time ON automation_runs (workspace_id, rule_id, created_at)",
            // One customer's runs of a rule in a window (the per-customer limit); also merge, erase and export.
            "CREATE INDEX automation_runs_by_customer ON automation_runs (workspace_id, customer_id, rule_id, created_at)",
        ]
    }
}
