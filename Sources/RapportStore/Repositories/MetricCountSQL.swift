import RapportCore
import SQLKit

/// The SQL of the metrics' counts (`MetricCountRequest`), shared by responses and invitations: the local day as
/// ⌊(t + offset(t)) / 86 400 000⌋ with the offsets as literals in a CASE, the group key, the filters, and the
/// GROUP BY. Answered by the covering (workspace, survey, time) indexes of migration 0031 (docs/decisions.md).
enum MetricCountSQL {
    /// Days added before dividing so that the integer division floors (instants before 1970 stay right).
    static let shiftDays: Int64 = 1_000_000

    /// `⌊(column + offset(column)) / day⌋` over the request's offsets, as SQL (integer literals only).
    static func localDay(_ column: String, _ offsets: [UTCOffsetSpan]) -> String {
        let shift = shiftDays * LocalDay.millisPerDay
        let offset: String
        if offsets.count <= 1 {
            offset = String(offsets.first?.offset ?? 0)
        } else {
            var cases = "CASE"
            for index in 0..<(offsets.count - 1) {
                cases += " WHEN \(column) < \(offsets[index + 1].from) THEN \(offsets[index].offset)"
            }
            offset = cases + " ELSE \(offsets[offsets.count - 1].offset) END"
        }
        return "((\(column) + \(offset) + \(shift)) / \(LocalDay.millisPerDay) - \(shiftDays))"
    }

    /// `day` (a local-day expression) as the first day of its period when the request has period starts: arithmetic
    /// when they are evenly spaced (weeks), else a CASE over them (months); `day` itself without them.
    static func periodDay(_ day: String, _ request: MetricCountRequest) -> String {
        guard let starts = request.periodStartDays, let first = starts.first, starts.count > 1 else {
            return request.periodStartDays?.first.map { "CASE WHEN \(day) >= \($0) THEN \($0) ELSE \(day) END" } ?? day
        }
        let step = starts[1] - first
        if step > 0, zip(starts, starts.dropFirst()).allSatisfy({ $1 - $0 == step }) {
            return "(\(day) - (((\(day) - \(first)) % \(step)) + \(step)) % \(step))"
        }
        var cases = "CASE"
        for index in stride(from: starts.count - 1, to: 0, by: -1) { cases += " WHEN \(day) >= \(starts[index]) THEN \(starts[index])" }
        return cases + " ELSE \(first) END"
    }

    /// A trigger attribute when it is a string, else NULL (as the row path reads attributes: strings only): the
    /// generated column for `agent` and `touchpoint` (migration 0032, in the covering indexes), else read from the JSON.
    static func appendAttribute(_ name: String, table: String, to sql: inout SQLQueryString, postgres: Bool) {
        if MetricAttributeColumns.names.contains(name) {
            sql.appendInterpolation(unsafeRaw: "\(table).\(MetricAttributeColumns.column(name))")
        } else if postgres {
            sql.appendInterpolation(unsafeRaw: "(CASE WHEN jsonb_typeof(\(table).attributes::jsonb -> ")
            sql.appendInterpolation(bind: name)
            sql.appendInterpolation(unsafeRaw: ") = 'string' THEN \(table).attributes::jsonb ->> ")
            sql.appendInterpolation(bind: name)
            sql.appendInterpolation(unsafeRaw: " END)")
        } else {
            let path = "$.\"" + name + "\""
            sql.appendInterpolation(unsafeRaw: "(CASE WHEN json_type(\(table).attributes, ")
            sql.appendInterpolation(bind: path)
            sql.appendInterpolation(unsafeRaw: ") = 'text' THEN json_extract(\(table).attributes, ")
            sql.appendInterpolation(bind: path)
            sql.appendInterpolation(unsafeRaw: ") END)")
        }
    }

    /// `SELECT [local_day,] [group_key,] <score columns>, COUNT(*) AS n FROM <from>`: the day and group columns.
    static func select(_ request: MetricCountRequest, table: String, time: String, scoreColumns: String, from: String,
                       postgres: Bool) -> SQLQueryString {
        var sql = SQLQueryString("SELECT ")
        if let offsets = request.dayOffsets {
            sql.appendInterpolation(unsafeRaw: periodDay(localDay("\(table).\(time)", offsets), request) + " AS local_day, ")
        }
        switch request.grouping {
        case nil: break
        case .channel?: sql.appendInterpolation(unsafeRaw: "\(table).channel AS group_key, ")
        case .survey?: sql.appendInterpolation(unsafeRaw: "\(table).survey_id AS group_key, ")
        case .segment?: sql.appendInterpolation(unsafeRaw: "m.segment_id AS group_key, ")
        case .attribute(let name)?:
            appendAttribute(name, table: table, to: &sql, postgres: postgres)
            sql.appendInterpolation(unsafeRaw: " AS group_key, ")
        }
        sql.appendInterpolation(unsafeRaw: scoreColumns + ", COUNT(*) AS n FROM " + from)
        if request.grouping == .segment {
            sql.appendInterpolation(unsafeRaw: " LEFT JOIN segment_members m ON m.workspace_id = \(table).workspace_id"
                + " AND m.customer_id = \(table).customer_id")
        }
        return sql
    }

    /// ` WHERE` the workspace, the range [from, to) of the `time` column, then the request's filters (surveys, channel,
    /// attributes, segment) and `conditions` (raw SQL of the table's own, e.g. its statuses).
    static func appendWhere(_ request: MetricCountRequest, workspaceId: String, table: String, time: String, conditions: String,
                            to sql: inout SQLQueryString, postgres: Bool) {
        sql.appendInterpolation(unsafeRaw: " WHERE \(table).workspace_id = ")
        sql.appendInterpolation(bind: workspaceId)
        sql.appendInterpolation(unsafeRaw: " AND \(table).\(time) >= ")
        sql.appendInterpolation(bind: request.from)
        sql.appendInterpolation(unsafeRaw: " AND \(table).\(time) < ")
        sql.appendInterpolation(bind: request.to)
        sql.appendInterpolation(unsafeRaw: " AND " + conditions)
        sql.appendInterpolation(unsafeRaw: " AND \(table).survey_id ")
        sql.appendInterpolation(isIn: request.surveyIds, postgres: postgres)
        if let channel = request.channel {
            sql.appendInterpolation(unsafeRaw: " AND \(table).channel = ")
            sql.appendInterpolation(bind: channel)
        }
        for (name, value) in request.attributes.sorted(by: { $0.key < $1.key }) {
            sql.appendInterpolation(unsafeRaw: " AND ")
            appendAttribute(name, table: table, to: &sql, postgres: postgres)
            sql.appendInterpolation(unsafeRaw: " = ")
            sql.appendInterpolation(bind: value)
        }
        if let segmentId = request.segmentId {
            sql.appendInterpolation(unsafeRaw: " AND \(table).customer_id IN (SELECT s.customer_id FROM segment_members s WHERE s.workspace_id = ")
            sql.appendInterpolation(bind: workspaceId)
            sql.appendInterpolation(unsafeRaw: " AND s.segment_id = ")
            sql.appendInterpolation(bind: segmentId)
            sql.appendInterpolation(unsafeRaw: ")")
        }
    }

    /// ` GROUP BY local_day, group_key, <score columns>` as far as the request has them.
    static func groupBy(_ request: MetricCountRequest, scoreAliases: [String]) -> String {
        var columns: [String] = []
        if request.dayOffsets != nil { columns.append("local_day") }
        if request.grouping != nil { columns.append("group_key") }
        return " GROUP BY " + (columns + scoreAliases).joined(separator: ", ")
    }

    static func row(_ row: any SQLRow, request: MetricCountRequest, positive: (any SQLRow) throws -> Bool) throws -> MetricCountRow {
        MetricCountRow(localDay: request.dayOffsets == nil ? nil : try row.int64("local_day"),
                       key: request.grouping == nil ? nil : try row.optionalString("group_key"),
                       score: try row.int("metric_score"), positive: try positive(row), count: try row.int("n"))
    }
}

extension SQLSurveyResponseRepository {
    /// Completed, scored responses of the request, counted (docs/methods.md, "Computing from counts").
    static func metricCountQuery(workspaceId: String, _ request: MetricCountRequest, postgres: Bool) -> SQLQueryString {
        var sql = MetricCountSQL.select(request, table: "r", time: "submitted_at", scoreColumns: "r.score AS metric_score, r.band AS metric_band",
                                        from: "survey_responses r", postgres: postgres)
        MetricCountSQL.appendWhere(request, workspaceId: workspaceId, table: "r", time: "submitted_at",
                                   conditions: "r.status = 'completed' AND r.score IS NOT NULL", to: &sql, postgres: postgres)
        sql.appendInterpolation(unsafeRaw: MetricCountSQL.groupBy(request, scoreAliases: ["metric_score", "metric_band"]))
        return sql
    }

    /// From the daily counts where they answer (`MetricRollups.counts`), else from the responses.
    func metricCounts(workspaceId: String, _ request: MetricCountRequest) async throws -> [MetricCountRow] {
        guard !request.surveyIds.isEmpty else { return [] }
        if let rows = try await MetricRollups.counts(db, workspaceId: workspaceId, request, raw: { try await countResponses(workspaceId: workspaceId, $0) }) {
            return rows
        }
        return try await countResponses(workspaceId: workspaceId, request)
    }

    func countResponses(workspaceId: String, _ request: MetricCountRequest) async throws -> [MetricCountRow] {
        try await db.raw(Self.metricCountQuery(workspaceId: workspaceId, request, postgres: db.isPostgres)).all().map { row in
            try MetricCountSQL.row(row, request: request) { try $0.optionalString("metric_band") == ScoreBand.positive.rawValue }
        }
    }
}

extension SQLSurveyInvitationRepository {
    /// Delivered invitations of the request (as `metricRows` reads them), counted by whether they got a response.
    static func metricCountQuery(workspaceId: String, _ request: MetricCountRequest, postgres: Bool) -> SQLQueryString {
        let responded = SurveyInvitation.Status.responded.rawValue
        let delivered = [SurveyInvitation.Status.sent, .responded, .dismissed].map(\.rawValue)
        let undelivered = [OutboundEmail.State.failed, .blocked].map(\.rawValue)
        var sql = MetricCountSQL.select(request, table: "i", time: "sent_at",
                                        scoreColumns: "CAST(CASE WHEN i.status = '\(responded)' OR i.responded_at IS NOT NULL THEN 1 ELSE 0 END AS BIGINT) AS metric_score",
                                        from: "survey_invitations i LEFT JOIN email_outbox e ON e.workspace_id = i.workspace_id AND e.id = i.email_id",
                                        postgres: postgres)
        let conditions = "(e.state IS NULL OR e.state NOT IN (\(undelivered.map { "'\($0)'" }.joined(separator: ", "))))"
            + " AND i.status IN (\(delivered.map { "'\($0)'" }.joined(separator: ", ")))"
        MetricCountSQL.appendWhere(request, workspaceId: workspaceId, table: "i", time: "sent_at", conditions: conditions, to: &sql,
                                   postgres: postgres)
        sql.appendInterpolation(unsafeRaw: MetricCountSQL.groupBy(request, scoreAliases: ["metric_score"]))
        return sql
    }

    func metricCounts(workspaceId: String, _ request: MetricCountRequest) async throws -> [MetricCountRow] {
        guard !request.surveyIds.isEmpty else { return [] }
        return try await db.raw(Self.metricCountQuery(workspaceId: workspaceId, request, postgres: db.isPostgres)).all().map { row in
            try MetricCountSQL.row(row, request: request) { try $0.int("metric_score") == 1 }
        }
    }
}
