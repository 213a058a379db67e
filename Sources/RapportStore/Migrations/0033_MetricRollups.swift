extension Migrations {
    /// Daily counts of completed, scored responses kept by the database (docs/decisions.md, "Responses are rolled up by
    /// local day"): `metric_response_days` holds, per workspace, survey, local day (in the zone of `metric_rollups`),
    /// score and positive band, the count of responses overall (dimension '') and by channel, agent and touchpoint (one
    /// dimension at a time). Triggers on survey_responses keep it exact through every write (API, widget, import, edit,
    /// merge, erasure, bulk load) for a workspace that has a `metric_rollups` row; the local day comes from the zone's
    /// UTC offsets in `metric_day_offsets`. `MetricRollups.build` (workspace creation, time-zone change,
    /// `rapport metrics rebuild`, start-up for a workspace without one) fills all three in one transaction.
    static let metricRollups0033 = Migration(version: 33, name: "metric_rollups") { kind in
        let common = [
            """
            CREATE TABLE metric_rollups (
                workspace_id TEXT PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
                time_zone TEXT NOT NULL,
                built_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE metric_day_offsets (
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                from_ms BIGINT NOT NULL,
                offset_ms BIGINT NOT NULL,
                PRIMARY KEY (workspace_id, from_ms)
            )\(kind == .sqlite ? " WITHOUT ROWID" : "")
            """,
            """
            CREATE TABLE metric_response_days (
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                survey_id TEXT NOT NULL,
                dimension TEXT NOT NULL,
                local_day BIGINT NOT NULL,
                value TEXT NOT NULL,
                has_value INTEGER NOT NULL,
                score BIGINT NOT NULL,
                positive INTEGER NOT NULL,
                n BIGINT NOT NULL,
                PRIMARY KEY (workspace_id, survey_id, dimension, local_day, value, has_value, score, positive)
            )\(kind == .sqlite ? " WITHOUT ROWID" : "")
            """,
        ]
        return common + (kind == .postgres ? MetricRollupSQL.postgresTriggers : MetricRollupSQL.sqliteTriggers)
    }
}

/// The SQL that keeps `metric_response_days` (migration 0033) and that reads it.
enum MetricRollupSQL {
    static let columns = "workspace_id, survey_id, dimension, value, has_value, local_day, score, positive, n"
    static let key = "workspace_id, survey_id, dimension, local_day, value, has_value, score, positive"
    /// The dimensions a response is counted under besides the whole ('' with no value), and the column of each.
    static let dimensions: [(name: String, column: String)] = [
        ("channel", "channel"), ("agent", MetricAttributeColumns.column("agent")), ("touchpoint", MetricAttributeColumns.column("touchpoint")),
    ]
    /// The response statuses and columns whose change moves a response between counts.
    static let countedColumns = "status, score, band, submitted_at, channel, attributes, survey_id"

    /// The local day of `row`'s submission from the workspace's offsets (the same arithmetic as `MetricCountSQL.localDay`).
    static func localDay(_ row: String) -> String {
        let shift = MetricCountSQL.shiftDays * 86_400_000
        return "((\(row).submitted_at + (SELECT o.offset_ms FROM metric_day_offsets o WHERE o.workspace_id = \(row).workspace_id"
            + " AND o.from_ms <= \(row).submitted_at ORDER BY o.from_ms DESC LIMIT 1) + \(shift)) / 86400000 - \(MetricCountSQL.shiftDays))"
    }

    /// 1 when `row`'s band is the positive one, else 0 (the `positive` column).
    static func positive(_ row: String) -> String { "CASE WHEN \(row).band = 'positive' THEN 1 ELSE 0 END" }

    /// The (dimension, value, has_value) SQL of each count of `row`: the whole ('' with no value), then each dimension
    /// with its value ('' when missing, which has_value tells from an empty value).
    static func dimensionValues(_ row: String) -> [(name: String, value: String, hasValue: String)] {
        [("", "''", "0")] + dimensions.map { name, column in
            (name, "COALESCE(\(row).\(column), '')", "CASE WHEN \(row).\(column) IS NULL THEN 0 ELSE 1 END")
        }
    }

    /// Whether `row` is a response the metrics count.
    static func counted(_ row: String) -> String {
        "\(row).status = 'completed' AND \(row).score IS NOT NULL AND \(row).submitted_at IS NOT NULL"
    }

    /// INSERT … SELECT of `row`'s four counts with `delta`, added to what is there (an upsert).
    static func apply(_ row: String, delta: String, values: String) -> String {
        """
        INSERT INTO metric_response_days (\(columns))
        SELECT \(row).workspace_id, \(row).survey_id, d.dimension, d.day_value, d.has_value, \(localDay(row)), \(row).score,
               \(positive(row)), \(delta)
        FROM \(values)
        WHERE EXISTS (SELECT 1 FROM metric_rollups m WHERE m.workspace_id = \(row).workspace_id)
        ON CONFLICT (\(key)) DO UPDATE SET n = metric_response_days.n + excluded.n
        """
    }

    /// The four (dimension, value, has_value) rows of a response, as a derived table `d`.
    static func dimensionRows(_ row: String, postgres: Bool) -> String {
        let rows = dimensionValues(row).map { ("'\($0.name)'", $0.value, $0.hasValue) }
        if postgres {
            return "(VALUES " + rows.map { "(\($0.0), \($0.1), \($0.2))" }.joined(separator: ", ") + ") AS d (dimension, day_value, has_value)"
        }
        return "(" + rows.enumerated().map { index, row in
            index == 0 ? "SELECT \(row.0) AS dimension, \(row.1) AS day_value, \(row.2) AS has_value" : "SELECT \(row.0), \(row.1), \(row.2)"
        }.joined(separator: " UNION ALL ") + ") AS d"
    }

    static var sqliteTriggers: [String] {
        func trigger(_ name: String, _ event: String, _ row: String, _ delta: String) -> String {
            """
            CREATE TRIGGER \(name) AFTER \(event) ON survey_responses
            WHEN \(counted(row))
            BEGIN
            \(apply(row, delta: delta, values: dimensionRows(row, postgres: false)));
            END
            """
        }
        return [
            trigger("survey_responses_days_insert", "INSERT", "NEW", "1"),
            trigger("survey_responses_days_delete", "DELETE", "OLD", "-1"),
            trigger("survey_responses_days_update_old", "UPDATE OF \(countedColumns)", "OLD", "-1"),
            trigger("survey_responses_days_update_new", "UPDATE OF \(countedColumns)", "NEW", "1"),
        ]
    }

    /// On PostgreSQL the counts are kept per statement, from its transition tables (one grouped upsert for a COPY of a
    /// million responses instead of a million), and each statement takes a shared advisory lock on its workspaces,
    /// which `MetricRollups.build` takes exclusively, so that a rebuild neither misses nor doubles a response written
    /// while it runs.
    static var postgresTriggers: [String] {
        statementTriggers(on: "survey_responses", name: "survey_responses_days", noRows: noResponses) { added, removed in
            let rows = changedRows(added: added, removed: removed)
            return [
                sharedLock(rows),
                """
                INSERT INTO metric_response_days (\(columns))
                SELECT r.workspace_id, r.survey_id, d.dimension, d.day_value, d.has_value, \(localDay("r")), r.score,
                       \(positive("r")), SUM(r.sign)
                FROM \(rows) CROSS JOIN LATERAL \(dimensionRows("r", postgres: true))
                WHERE \(counted("r")) AND EXISTS (SELECT 1 FROM metric_rollups m WHERE m.workspace_id = r.workspace_id)
                GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 HAVING SUM(r.sign) <> 0
                ON CONFLICT (\(key)) DO UPDATE SET n = metric_response_days.n + excluded.n
                """,
            ]
        }
    }

    /// No responses, as a relation (the missing side of an insert's or a delete's transition tables).
    static let noResponses = "(SELECT * FROM survey_responses WHERE false)"

    /// A statement's responses as `r`, each with `sign` +1 (added) or −1 (removed).
    static func changedRows(added: String, removed: String) -> String {
        "(SELECT a.*, 1 AS sign FROM \(added) a UNION ALL SELECT b.*, -1 AS sign FROM \(removed) b) AS r"
    }

    /// The shared advisory lock of each workspace among `rows` (which name their rows `r`), in order.
    static func sharedLock(_ rows: String) -> String {
        "PERFORM pg_advisory_xact_lock_shared(\(lockClass), hashtext(w.workspace_id)) FROM "
            + "(SELECT DISTINCT r.workspace_id FROM \(rows) ORDER BY r.workspace_id) AS w"
    }

    /// PostgreSQL statement triggers on `table`, one per event (transition tables allow one event each, and no column
    /// list), running `body(added, removed)`: the names of the statement's new and old rows, `noRows` for the side
    /// an event does not have.
    static func statementTriggers(on table: String, name: String, noRows: String, body: (String, String) -> [String]) -> [String] {
        [("INSERT", "added", noRows, "NEW TABLE AS added"), ("DELETE", noRows, "removed", "OLD TABLE AS removed"),
         ("UPDATE", "added", "removed", "OLD TABLE AS removed NEW TABLE AS added")].flatMap { event, added, removed, referencing in
            let function = "\(name)_\(event.lowercased())"
            return [
                "CREATE FUNCTION \(function)() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
                    + body(added, removed).map { $0 + ";\n" }.joined() + "RETURN NULL;\nEND\n$$",
                "CREATE TRIGGER \(function) AFTER \(event) ON \(table) REFERENCING \(referencing) FOR EACH STATEMENT EXECUTE FUNCTION \(function)()",
            ]
        }
    }

    /// The advisory lock class of a workspace's rollup (the second key is `hashtext(workspace_id)`).
    static let lockClass = 727274005
}
