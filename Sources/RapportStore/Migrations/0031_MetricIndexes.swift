extension Migrations {
    /// Indexes the metrics' counts read (docs/decisions.md, "Metrics are counted in the database"): responses and
    /// delivered invitations of a workspace's surveys in a time range, covering the columns the counts group by and
    /// filter on, so that SQLite and PostgreSQL count without reading the rows (and their JSON) unless a trigger
    /// attribute is asked for. `survey_responses_by_date` (workspace, survey, submitted_at) gets the covered columns
    /// under its name (it was a prefix of the new one); survey_invitations had no index on sent_at.
    static let metricIndexes0031 = Migration(version: 31, name: "metric_indexes") { _ in
        [
            "DROP INDEX survey_responses_by_date",
            """
            CREATE INDEX survey_responses_by_date ON survey_responses
                (workspace_id, survey_id, submitted_at, status, score, band, channel, customer_id)
            """,
            """
            CREATE INDEX survey_invitations_by_sent ON survey_invitations
                (workspace_id, survey_id, sent_at, status, responded_at, channel, customer_id, email_id)
            """,
        ]
    }
}
