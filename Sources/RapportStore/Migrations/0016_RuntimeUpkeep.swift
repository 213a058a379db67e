extension Migrations {
    /// Who made a webhook endpoint (they are told when Rapport disables it) and since when its deliveries have all
    /// failed (docs/webhooks.md, "Endpoints that keep failing"); indexes for the daily clean-up of finished jobs and
    /// old deliveries (docs/jobs.md, "Clean-up").
    static let runtimeUpkeep0016 = Migration(version: 16, name: "runtime_upkeep") { _ in
        [
            "ALTER TABLE webhook_endpoints ADD COLUMN created_by TEXT",
            "ALTER TABLE webhook_endpoints ADD COLUMN failing_since BIGINT",
            "CREATE INDEX jobs_finished ON jobs (state, finished_at)",
            "CREATE INDEX webhook_deliveries_by_age ON webhook_deliveries (created_at)",
        ]
    }
}
