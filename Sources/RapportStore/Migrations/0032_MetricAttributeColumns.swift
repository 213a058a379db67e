extension Migrations {
    /// The trigger attributes the metrics break down by most, `agent` and `touchpoint`, as generated columns of
    /// responses and invitations (computed from `attributes` by the database, so no write path can forget them: virtual
    /// on SQLite, stored on PostgreSQL) inside the covering metric indexes of 0031, which a count grouped or filtered by
    /// them then reads without the rows or their JSON; and segment members indexed by customer with the segment, so that
    /// a count by segment reads the membership from the index (docs/decisions.md, "Metrics are counted in the database").
    static let metricAttributeColumns0032 = Migration(version: 32, name: "metric_attribute_columns") { kind in
        var statements: [String] = []
        for table in ["survey_responses", "survey_invitations"] {
            for name in MetricAttributeColumns.names {
                statements.append("ALTER TABLE \(table) ADD COLUMN \(MetricAttributeColumns.column(name)) TEXT GENERATED ALWAYS AS ("
                                  + MetricAttributeColumns.expression(name, postgres: kind == .postgres)
                                  + (kind == .postgres ? ") STORED" : ") VIRTUAL"))
            }
        }
        let extra = MetricAttributeColumns.names.map(MetricAttributeColumns.column).joined(separator: ", ")
        return statements + [
            "DROP INDEX survey_responses_by_date",
            """
            CREATE INDEX survey_responses_by_date ON survey_responses
                (workspace_id, survey_id, submitted_at, status, score, band, channel, customer_id, \(extra))
            """,
            "DROP INDEX survey_invitations_by_sent",
            """
            CREATE INDEX survey_invitations_by_sent ON survey_invitations
                (workspace_id, survey_id, sent_at, status, responded_at, channel, customer_id, email_id, \(extra))
            """,
            "DROP INDEX segment_members_by_customer",
            "CREATE INDEX segment_members_by_customer ON segment_members (workspace_id, customer_id, segment_id)",
        ]
    }
}

/// The trigger attributes kept as generated columns for the metrics (migration 0032): each column holds the attribute
/// when it is a string, else NULL, as the row path reads attributes.
enum MetricAttributeColumns {
    static let names = ["agent", "touchpoint"]

    static func column(_ name: String) -> String { "attribute_" + name }

    /// The attribute of `attributes` when it is a string, else NULL (no bind: the name is one of `names`).
    static func expression(_ name: String, postgres: Bool) -> String {
        postgres
            ? "CASE WHEN jsonb_typeof(attributes::jsonb -> '\(name)') = 'string' THEN attributes::jsonb ->> '\(name)' END"
            : "CASE WHEN json_type(attributes, '$.\"\(name)\"') = 'text' THEN json_extract(attributes, '$.\"\(name)\"') END"
    }
}
