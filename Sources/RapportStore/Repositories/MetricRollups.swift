import Foundation
import RapportCore
import SQLKit

/// The daily response counts of migration 0033 (docs/decisions.md, "Responses are rolled up by local day"): built here
/// for a workspace in its time zone, kept by triggers, and read for the whole local days of a count's range, with the
/// part days at either end counted from the responses.
public enum MetricRollups {
    /// A workspace's rollup: the zone its days are in and when it was last built (a rebuild changes `builtAt`).
    struct State: Equatable {
        var timeZone: String
        var builtAt: Int64
    }

    /// The offsets stored for the triggers span 1900 to 2200; the first holds for everything before.
    static let offsetsFrom: Int64 = -2_208_988_800_000
    static let offsetsTo: Int64 = 7_258_118_400_000
    static let beforeEverything: Int64 = -(1 << 62)

    static func state(_ db: any SQLDatabase, workspaceId: String) async throws -> State? {
        try await db.raw("SELECT time_zone, built_at FROM metric_rollups WHERE workspace_id = \(bind: workspaceId)").first().map { row in
            State(timeZone: try row.string("time_zone"), builtAt: try row.int64("built_at"))
        }
    }

    /// Rebuilds the workspace's daily counts in `timeZone` from its responses, inside the caller's write transaction.
    /// On PostgreSQL the workspace's rollup lock waits for the transactions that are counting a response into it.
    static func build(_ db: any SQLDatabase, workspaceId: String, timeZone: String, now: Int64) async throws {
        let zone = TimeZone(identifier: timeZone) ?? TimeZone(identifier: "UTC")!
        if db.isPostgres {
            try await db.raw("SELECT pg_advisory_xact_lock(\(unsafeRaw: String(MetricRollupSQL.lockClass)), hashtext(\(bind: workspaceId)))").run()
        }
        for table in ["metric_response_days", "metric_segment_days", "metric_day_offsets", "metric_rollups"] {
            try await db.raw("DELETE FROM \(unsafeRaw: table) WHERE workspace_id = \(bind: workspaceId)").run()
        }
        var spans = LocalDay.offsets(timeZone: zone, from: offsetsFrom, to: offsetsTo)
        spans[0].from = beforeEverything
        for chunk in stride(from: 0, to: spans.count, by: 200) {
            var sql = SQLQueryString("INSERT INTO metric_day_offsets (workspace_id, from_ms, offset_ms) VALUES ")
            for (index, span) in spans[chunk..<min(spans.count, chunk + 200)].enumerated() {
                sql.appendInterpolation(unsafeRaw: index == 0 ? "(" : ", (")
                sql.appendInterpolation(bind: workspaceId)
                sql.appendInterpolation(unsafeRaw: ", \(span.from), \(span.offset))")
            }
            try await db.raw(sql).run()
        }
        try await db.raw("""
            INSERT INTO metric_rollups (workspace_id, time_zone, built_at) VALUES (\(bind: workspaceId), \(bind: timeZone), \(bind: now))
            """).run()
        let counted = MetricRollupSQL.counted("r")
        guard let range = try await db.raw("""
                SELECT MIN(r.submitted_at) AS low, MAX(r.submitted_at) AS high FROM survey_responses r
                WHERE r.workspace_id = \(bind: workspaceId) AND \(unsafeRaw: counted)
                """).first(),
              let low = try range.optionalInt64("low"), let high = try range.optionalInt64("high") else { return }
        let day = MetricCountSQL.localDay("r.submitted_at", LocalDay.offsets(timeZone: zone, from: low, to: high + 1))
        let positive = MetricRollupSQL.positive("r")
        for (name, value, hasValue) in MetricRollupSQL.dimensionValues("r") {
            // (The whole's value and has_value are constants, which GROUP BY would read as column numbers.)
            try await db.raw("""
                INSERT INTO metric_response_days (\(unsafeRaw: MetricRollupSQL.columns))
                SELECT r.workspace_id, r.survey_id, \(bind: name), \(unsafeRaw: value), \(unsafeRaw: hasValue), \(unsafeRaw: day), r.score,
                       \(unsafeRaw: positive), COUNT(*)
                FROM survey_responses r WHERE r.workspace_id = \(bind: workspaceId) AND \(unsafeRaw: counted)
                GROUP BY r.workspace_id, r.survey_id, \(unsafeRaw: name.isEmpty ? "" : "\(value), \(hasValue), ")\(unsafeRaw: day), r.score, \(unsafeRaw: positive)
                """).run()
        }
        try await db.raw("""
            INSERT INTO metric_segment_days (\(unsafeRaw: MetricSegmentDaysSQL.columns))
            SELECT r.workspace_id, COALESCE(m.segment_id, ''), r.survey_id, \(unsafeRaw: day), r.score, \(unsafeRaw: positive), COUNT(*)
            FROM survey_responses r
            LEFT JOIN segment_members m ON m.workspace_id = r.workspace_id AND m.customer_id = r.customer_id
            WHERE r.workspace_id = \(bind: workspaceId) AND \(unsafeRaw: counted)
            GROUP BY r.workspace_id, COALESCE(m.segment_id, ''), r.survey_id, \(unsafeRaw: day), r.score, \(unsafeRaw: positive)
            """).run()
    }

    /// Builds the rollup of every workspace that has none or whose time zone changed around Rapport (a bulk load, an
    /// older version); with `all`, of every workspace, except those built at or after `builtSince` (just now, by the
    /// start-up pass of the same command). Returns how many were built.
    @discardableResult
    public static func rebuild(_ database: DatabaseClient, workspaceId: String? = nil, all: Bool, builtSince: Int64? = nil,
                               now: Int64) async throws -> Int {
        let stale = try await database.read { db in
            var sql = SQLQueryString("""
                SELECT w.id, w.time_zone FROM workspaces w LEFT JOIN metric_rollups m ON m.workspace_id = w.id WHERE
                """)
            sql.appendInterpolation(unsafeRaw: all ? " 1 = 1" : " (m.workspace_id IS NULL OR m.time_zone <> w.time_zone)")
            if let builtSince {
                sql.appendInterpolation(unsafeRaw: " AND (m.workspace_id IS NULL OR m.built_at < ")
                sql.appendInterpolation(bind: builtSince)
                sql.appendInterpolation(unsafeRaw: ")")
            }
            if let workspaceId {
                sql.appendInterpolation(unsafeRaw: " AND w.id = ")
                sql.appendInterpolation(bind: workspaceId)
            }
            return try await db.raw(sql).all().map { (try $0.string("id"), try $0.string("time_zone")) }
        }
        for (id, zone) in stale {
            try await database.write { db in try await build(db, workspaceId: id, timeZone: zone, now: now) }
        }
        return stale.count
    }

    /// Where a count's daily counts are: `metric_response_days` under one dimension (with the value it is filtered to),
    /// or `metric_segment_days` (by segment, or of one segment).
    enum Source: Equatable {
        case dimension(String, value: String?)
        case segments(only: String?)

        var table: String {
            switch self {
            case .dimension: "metric_response_days"
            case .segments: "metric_segment_days"
            }
        }
    }

    /// The daily counts that answer a count; nil when it needs two dimensions at once (a channel filter with an agent
    /// breakdown), a segment with a channel or attribute, or another attribute.
    static func source(of request: MetricCountRequest) -> Source? {
        var filters: [(String, String)] = request.attributes.map { ($0.key, $0.value) }
        if let channel = request.channel { filters.append(("channel", channel)) }
        if request.segmentId != nil || request.grouping == .segment {
            guard filters.isEmpty else { return nil }
            if request.grouping == .segment { return request.segmentId == nil ? .segments(only: nil) : nil }
            guard request.grouping == nil || request.grouping == .survey else { return nil }
            return .segments(only: request.segmentId)
        }
        let known = Set(MetricRollupSQL.dimensions.map(\.name))
        guard filters.allSatisfy({ known.contains($0.0) }) else { return nil }
        var grouped: String?
        switch request.grouping {
        case .channel?: grouped = "channel"
        case .attribute(let name)?:
            guard known.contains(name) else { return nil }
            grouped = name
        case nil, .survey?, .segment?: break
        }
        let names = Set(filters.map(\.0) + (grouped.map { [$0] } ?? []))
        guard names.count <= 1 else { return nil }
        guard let name = names.first else { return .dimension("", value: nil) }
        // Two filters on one dimension with two values match nothing; the responses answer that.
        let values = Set(filters.map(\.1))
        guard values.count <= 1 else { return nil }
        return .dimension(name, value: values.first)
    }

    /// The counts of `request` from the daily counts for its whole local days and from `raw` for the part days at
    /// either end; nil when the rollup cannot answer (no rollup, another zone, no whole day, see `source`).
    static func counts(_ db: any SQLDatabase, workspaceId: String, _ request: MetricCountRequest,
                       raw: (MetricCountRequest) async throws -> [MetricCountRow]) async throws -> [MetricCountRow]? {
        guard let source = source(of: request),
              let state = try await state(db, workspaceId: workspaceId),
              request.timeZone == nil || request.timeZone == state.timeZone,
              let zone = TimeZone(identifier: state.timeZone),
              let days = LocalDay.wholeDays(from: request.from, to: request.to, timeZone: zone) else { return nil }
        // The columns counted by, grouped by their numbers: `local_day` is also a column of the table, which a GROUP BY
        // by that name would read instead of the period's day.
        var keys: [String] = []
        if request.dayOffsets != nil { keys.append(MetricCountSQL.periodDay("local_day", request) + " AS local_day") }
        switch (request.grouping, source) {
        case (nil, _): break
        case (.survey?, _): keys.append("survey_id AS group_key")
        case (_, .segments): keys.append("CASE WHEN segment_id <> '' THEN segment_id END AS group_key")
        case (_, .dimension): keys.append("CASE WHEN has_value = 1 THEN value END AS group_key")
        }
        keys += ["score AS metric_score", "positive"]
        var sql = SQLQueryString("SELECT " + keys.joined(separator: ", ") + ", CAST(SUM(n) AS BIGINT) AS n FROM " + source.table)
        sql.appendInterpolation(unsafeRaw: " WHERE workspace_id = ")
        sql.appendInterpolation(bind: workspaceId)
        sql.appendInterpolation(unsafeRaw: " AND survey_id ")
        sql.appendInterpolation(isIn: request.surveyIds, postgres: db.isPostgres)
        sql.appendInterpolation(unsafeRaw: " AND \(source.table).local_day >= \(days.first) AND \(source.table).local_day < \(days.end)")
        switch source {
        case .dimension(let name, let value):
            sql.appendInterpolation(unsafeRaw: " AND dimension = ")
            sql.appendInterpolation(bind: name)
            if let value {
                sql.appendInterpolation(unsafeRaw: " AND has_value = 1 AND value = ")
                sql.appendInterpolation(bind: value)
            }
        case .segments(let only):
            if let only {
                sql.appendInterpolation(unsafeRaw: " AND segment_id = ")
                sql.appendInterpolation(bind: only)
            }
        }
        sql.appendInterpolation(unsafeRaw: " GROUP BY " + (1...keys.count).map(String.init).joined(separator: ", ") + " HAVING SUM(n) > 0")
        var rows = try await db.raw(sql).all().map { row in
            try MetricCountSQL.row(row, request: request) { try $0.int("positive") == 1 }
        }
        // A rebuild in between (a time-zone change) may have moved the days: count from the responses instead.
        guard try await self.state(db, workspaceId: workspaceId) == state else { return nil }
        if request.from < days.startMillis {
            var head = request
            head.to = days.startMillis
            rows += try await raw(head)
        }
        if days.endMillis < request.to {
            var tail = request
            tail.from = days.endMillis
            rows += try await raw(tail)
        }
        return rows
    }
}
