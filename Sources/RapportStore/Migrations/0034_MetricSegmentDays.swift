extension Migrations {
    /// Daily counts of completed, scored responses by segment (docs/decisions.md, "Responses are rolled up by local
    /// day"): `metric_segment_days` holds, per workspace, segment ('' for a response whose customer is in none),
    /// survey, local day, score and positive band, how many responses there are, as a count by segment reads them
    /// (a response in each segment its customer is a member of now). Kept by triggers on survey_responses (a response
    /// counted, moved or removed, a merge moving it to another customer) and on segment_members (a customer joining
    /// or leaving a segment moves their responses into or out of it, and out of or into '').
    static let metricSegmentDays0034 = Migration(version: 34, name: "metric_segment_days") { kind in
        let table = """
            CREATE TABLE metric_segment_days (
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                segment_id TEXT NOT NULL,
                survey_id TEXT NOT NULL,
                local_day BIGINT NOT NULL,
                score BIGINT NOT NULL,
                positive INTEGER NOT NULL,
                n BIGINT NOT NULL,
                PRIMARY KEY (workspace_id, segment_id, survey_id, local_day, score, positive)
            )\(kind == .sqlite ? " WITHOUT ROWID" : "")
            """
        // Without a metric_rollups row a workspace's counts are neither kept nor read; start-up builds them again, by
        // segment too.
        return [table] + (kind == .postgres ? MetricSegmentDaysSQL.postgresTriggers : MetricSegmentDaysSQL.sqliteTriggers)
            + ["DELETE FROM metric_rollups"]
    }
}

/// The SQL that keeps `metric_segment_days` (migration 0034).
enum MetricSegmentDaysSQL {
    static let columns = "workspace_id, segment_id, survey_id, local_day, score, positive, n"
    static let key = "workspace_id, segment_id, survey_id, local_day, score, positive"
    static let upsert = "ON CONFLICT (\(key)) DO UPDATE SET n = metric_segment_days.n + excluded.n"
    static let positive = MetricRollupSQL.positive("r")
    /// What moves a response between segments' counts: what moves it between counts, and its customer (a merge).
    static let countedColumns = MetricRollupSQL.countedColumns + ", customer_id"

    /// A response row's counts under each segment its customer is in now, or under '' (from the response triggers).
    static func response(_ row: String, delta: String) -> String {
        """
        INSERT INTO metric_segment_days (\(columns))
        SELECT \(row).workspace_id, COALESCE(m.segment_id, ''), \(row).survey_id, \(MetricRollupSQL.localDay(row)), \(row).score,
               \(MetricRollupSQL.positive(row)), \(delta)
        FROM (SELECT 1 AS one) AS one
        LEFT JOIN segment_members m ON m.workspace_id = \(row).workspace_id AND m.customer_id = \(row).customer_id
        WHERE EXISTS (SELECT 1 FROM metric_rollups s WHERE s.workspace_id = \(row).workspace_id)
        \(upsert)
        """
    }

    /// The counted responses of the customers in `customers` (a relation with workspace_id, customer_id and a
    /// `segment` expression), counted `sign` times under that segment, where `condition` holds for the customer. (A
    /// constant segment is left out of GROUP BY, where PostgreSQL refuses one.)
    static func customers(_ customers: String, segment: String, sign: String, condition: String = "1 = 1") -> String {
        """
        INSERT INTO metric_segment_days (\(columns))
        SELECT r.workspace_id, \(segment), r.survey_id, \(MetricRollupSQL.localDay("r")), r.score, \(positive), \(sign) * COUNT(*)
        FROM \(customers)
        JOIN survey_responses r ON r.workspace_id = c.workspace_id AND r.customer_id = c.customer_id
        WHERE \(MetricRollupSQL.counted("r")) AND \(condition)
          AND EXISTS (SELECT 1 FROM metric_rollups s WHERE s.workspace_id = r.workspace_id)
        GROUP BY r.workspace_id, \(segment == "''" ? "" : segment + ", ")r.survey_id, \(MetricRollupSQL.localDay("r")), r.score, \(positive)
        \(upsert)
        """
    }

    /// How many segments a customer (`c`) is a member of now.
    static let memberships = "(SELECT COUNT(*) FROM segment_members x WHERE x.workspace_id = c.workspace_id AND x.customer_id = c.customer_id)"

    /// SQLite runs a row trigger right after its row's change, so each sees the memberships as they are just after
    /// it: a customer's first membership takes their responses out of '', their last one's removal puts them back.
    static var sqliteTriggers: [String] {
        func joined(_ row: String) -> String {
            "(SELECT \(row).workspace_id AS workspace_id, \(row).customer_id AS customer_id, \(row).segment_id AS segment_id) AS c"
        }
        let added = [customers(joined("NEW"), segment: "c.segment_id", sign: "1"),
                     customers(joined("NEW"), segment: "''", sign: "-1", condition: "\(memberships) = 1")]
        let removed = [customers(joined("OLD"), segment: "c.segment_id", sign: "-1"),
                       customers(joined("OLD"), segment: "''", sign: "1", condition: "\(memberships) = 0")]
        // A membership moved to another customer (a merge) leaves one and joins the other; one that stays with its
        // customer (none today) changes neither's ''.
        let moved = [customers(joined("OLD"), segment: "c.segment_id", sign: "-1"),
                     customers(joined("OLD"), segment: "''", sign: "1", condition: "\(memberships) = 0 AND OLD.customer_id <> NEW.customer_id"),
                     customers(joined("NEW"), segment: "c.segment_id", sign: "1"),
                     customers(joined("NEW"), segment: "''", sign: "-1", condition: "\(memberships) = 1 AND OLD.customer_id <> NEW.customer_id")]
        func trigger(_ name: String, _ event: String, _ statements: [String]) -> String {
            "CREATE TRIGGER \(name) AFTER \(event) ON segment_members BEGIN\n" + statements.map { $0 + ";\n" }.joined() + "END"
        }
        func response(_ name: String, _ event: String, _ row: String, _ delta: String) -> String {
            "CREATE TRIGGER \(name) AFTER \(event) ON survey_responses WHEN \(MetricRollupSQL.counted(row)) BEGIN\n"
                + self.response(row, delta: delta) + ";\nEND"
        }
        return [
            trigger("segment_members_days_insert", "INSERT", added),
            trigger("segment_members_days_delete", "DELETE", removed),
            trigger("segment_members_days_update", "UPDATE OF workspace_id, segment_id, customer_id", moved),
            response("survey_responses_segment_days_insert", "INSERT", "NEW", "1"),
            response("survey_responses_segment_days_delete", "DELETE", "OLD", "-1"),
            response("survey_responses_segment_days_update_old", "UPDATE OF \(countedColumns)", "OLD", "-1"),
            response("survey_responses_segment_days_update_new", "UPDATE OF \(countedColumns)", "NEW", "1"),
        ]
    }

    /// PostgreSQL runs row triggers after the whole statement, when one customer's several memberships may all be
    /// gone (an erasure) or moved (a merge): the counts are kept per statement from its transition tables (as 0033's
    /// are), a customer's '' moving by how many memberships they had before (now, less the rows added, plus those removed).
    static var postgresTriggers: [String] {
        let none = "(SELECT NULL::text AS workspace_id, NULL::text AS segment_id, NULL::text AS customer_id WHERE false)"
        let memberTriggers = MetricRollupSQL.statementTriggers(on: "segment_members", name: "segment_members_days", noRows: none) { added, removed in
            let customers = "(SELECT workspace_id, customer_id FROM \(added) a UNION SELECT workspace_id, customer_id FROM \(removed) b)"
            let before = "(\(memberships) - (SELECT COUNT(*) FROM \(added) a WHERE a.workspace_id = c.workspace_id AND a.customer_id = c.customer_id)"
                + " + (SELECT COUNT(*) FROM \(removed) b WHERE b.workspace_id = c.workspace_id AND b.customer_id = c.customer_id))"
            return [
                MetricRollupSQL.sharedLock("\(customers) AS r"),
                self.customers("\(removed) AS c", segment: "c.segment_id", sign: "-1"),
                self.customers("\(added) AS c", segment: "c.segment_id", sign: "1"),
                self.customers("\(customers) AS c", segment: "''", sign: "1", condition: "\(memberships) = 0 AND \(before) > 0"),
                self.customers("\(customers) AS c", segment: "''", sign: "-1", condition: "\(memberships) > 0 AND \(before) = 0"),
            ]
        }
        let responseTriggers = MetricRollupSQL.statementTriggers(on: "survey_responses", name: "survey_responses_segment_days",
                                                                 noRows: MetricRollupSQL.noResponses) { added, removed in
            let rows = MetricRollupSQL.changedRows(added: added, removed: removed)
            return [
                MetricRollupSQL.sharedLock(rows),
                """
                INSERT INTO metric_segment_days (\(columns))
                SELECT r.workspace_id, COALESCE(m.segment_id, ''), r.survey_id, \(MetricRollupSQL.localDay("r")), r.score, \(positive), SUM(r.sign)
                FROM \(rows)
                LEFT JOIN segment_members m ON m.workspace_id = r.workspace_id AND m.customer_id = r.customer_id
                WHERE \(MetricRollupSQL.counted("r")) AND EXISTS (SELECT 1 FROM metric_rollups s WHERE s.workspace_id = r.workspace_id)
                GROUP BY 1, 2, 3, 4, 5, 6 HAVING SUM(r.sign) <> 0
                \(upsert)
                """,
            ]
        }
        return memberTriggers + responseTriggers
    }
}
