import Foundation
import Hummingbird
import RapportCore
import RapportRuntime
@testable import RapportStore
import SQLKit
import Testing

/// The daily response counts (`metric_response_days`, migration 0033) stay what a rebuild from the responses gives
/// through every write (API, edit, SQL update, merge, erasure, import) and in zones with DST changes; the metrics read
/// them for whole local days and answer as reading every row does; a zone changed around Rapport is not read until
/// the rollup is rebuilt in it.
@Suite("Daily metric counts")
struct MetricRollupTests {
    /// The workspace's non-zero daily counts (overall and by dimension, then by segment), one line each, sorted.
    static func rollup(_ database: DatabaseClient, _ workspaceId: String) async throws -> [String] {
        try await database.read { db in
            let days = try await db.raw("""
                SELECT survey_id, dimension, value, has_value, local_day, score, positive, n FROM metric_response_days
                WHERE workspace_id = \(bind: workspaceId) AND n <> 0
                """).all().map { row in
                [try row.string("survey_id"), try row.string("dimension"), try row.string("value"), String(try row.int64("has_value")),
                 String(try row.int64("local_day")), String(try row.int64("score")), String(try row.int64("positive")),
                 String(try row.int64("n"))].joined(separator: "|")
            }
            let segments = try await db.raw("""
                SELECT segment_id, survey_id, local_day, score, positive, n FROM metric_segment_days
                WHERE workspace_id = \(bind: workspaceId) AND n <> 0
                """).all().map { row in
                ["segment", try row.string("segment_id"), try row.string("survey_id"), String(try row.int64("local_day")),
                 String(try row.int64("score")), String(try row.int64("positive")), String(try row.int64("n"))].joined(separator: "|")
            }
            return (days + segments).sorted()
        }
    }

    /// The counts as kept, then as a rebuild from the responses makes them (which they then are).
    static func keptAndRebuilt(_ database: DatabaseClient, _ workspaceId: String) async throws -> (kept: [String], rebuilt: [String]) {
        let kept = try await rollup(database, workspaceId)
        try await MetricRollups.rebuild(database, workspaceId: workspaceId, all: true, now: 1)
        return (kept, try await rollup(database, workspaceId))
    }

    static func zone(_ database: DatabaseClient, _ workspaceId: String) async throws -> String? {
        try await database.read { db in try await MetricRollups.state(db, workspaceId: workspaceId)?.timeZone }
    }

    @Test func theCountsStayWhatARebuildGivesThroughEveryWriteAndZone() async throws {
        try await TestApp.run(configure: TestApp.withoutScheduledSegmentRefresh) { http, services in
            // Responses through the API at local midnights and DST changes, an edit, a SQL update of the attributes, a merge.
            let seeded = try await MetricCountEquivalenceTests.seed(http, services)
            let workspaceId = seeded.acme.workspace.id, key = seeded.acme.adminKey, database = services.database
            var (kept, rebuilt) = try await Self.keptAndRebuilt(database, workspaceId)
            #expect(kept.count > 100 && kept == rebuilt)
            // Every response is counted once under the whole and once under each dimension.
            let whole = try await database.read { db in
                try await db.raw("""
                    SELECT dimension, CAST(SUM(n) AS BIGINT) AS n FROM metric_response_days WHERE workspace_id = \(bind: workspaceId)
                    GROUP BY dimension
                    """).all().map { (try $0.string("dimension"), try $0.int64("n")) }
            }
            #expect(Set(whole.map(\.1)).count == 1 && whole.count == 4 && whole[0].1 == Int64(MetricCountEquivalenceTests.instants.count * 4),
                    "\(whole)")

            // An erasure of a customer in two segments; a merge of a customer in two segments into one in none; a member
            // leaving a segment and another joining; an import of historic answers (new customers, in no segment).
            #expect(try await http.call(.delete, "/api/v1/customers/\(seeded.customers[3])", key: key).status == .noContent)
            let merged = try await http.call(.post, "/api/v1/customers/\(seeded.customers[9])/merge", key: key,
                                             json: ["customer_id": seeded.customers[4]])
            #expect(merged.status == .ok, "\(merged.text)")
            try await services.core.store.write { repos in
                try await repos.segments.removeMembers(workspaceId: workspaceId, segmentId: seeded.churn, [seeded.customers[6]])
                try await repos.segments.addMembers(workspaceId: workspaceId, segmentId: seeded.vip, [seeded.customers[10], seeded.customers[7]], at: 1)
            }
            let imported = try await SurveyResponseImportTests.importFile(http, key: key, surveyId: seeded.surveys[.nps]!, """
                email,submitted_at,q,attr_agent,channel
                ann@example.com,2026-03-29T00:30:00Z,3,kim,import
                c1@example.com,2026-11-01T05:59:00Z,10,,import
                bob@example.com,2026-04-04T13:45:00Z,8,sam@acme.test,import

                """)
            #expect(imported.string("status") == "completed", "\(imported.text)")
            (kept, rebuilt) = try await Self.keptAndRebuilt(database, workspaceId)
            #expect(kept == rebuilt)

            let counted = SurveyMetricService(services.core), rows = SurveyMetricService(services.core, countsInDatabase: false)
            let from = MetricCountEquivalenceTests.from, to = MetricCountEquivalenceTests.to
            for zone in MetricCountEquivalenceTests.zones {
                // A zone set through the API rebuilds the counts in its days.
                let patched = try await http.call(.patch, "/api/v1/workspaces/\(workspaceId)", key: key, json: ["time_zone": zone])
                #expect(patched.status == .ok, "\(patched.text)")
                #expect(try await Self.zone(database, workspaceId) == zone)
                let workspace = try #require(try await services.core.store.read { try await $0.workspaces.find(id: workspaceId) })
                for metric in [SurveyMetric.nps, .csat, .ces] {
                    for period in [nil, MetricPeriod.day, .week, .month] {
                        for grouping in [nil, MetricGrouping.attribute("agent"), .attribute("touchpoint"), .responseChannel, .survey, .segment] {
                            for (start, end) in [(from, to), (MetricCountEquivalenceTests.millis("2026-03-28T13:00:00Z"),
                                                              MetricCountEquivalenceTests.millis("2026-04-05T07:00:00Z"))] {
                                var query = MetricQuery(metric: metric, from: start, to: end, period: period, groupBy: grouping)
                                #expect(try await counted.report(workspace: workspace, query: query)
                                        == rows.report(workspace: workspace, query: query), "\(zone) \(query)")
                                query.attributes = ["agent": "kim"]
                                #expect(try await counted.report(workspace: workspace, query: query)
                                        == rows.report(workspace: workspace, query: query), "\(zone) \(query)")
                                query.attributes = [:]
                                query.segmentId = seeded.vip
                                #expect(try await counted.report(workspace: workspace, query: query)
                                        == rows.report(workspace: workspace, query: query), "\(zone) \(query)")
                            }
                        }
                    }
                }
                (kept, rebuilt) = try await Self.keptAndRebuilt(database, workspaceId)
                #expect(kept == rebuilt, "\(zone)")
            }
        }
    }

    /// The metrics read the daily counts (a count changed there shows), for the whole days only (the part days at the
    /// ends come from the responses), and not while their zone is not the workspace's.
    @Test func theMetricsReadTheCountsForWholeDaysInTheWorkspacesZone() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey, workspaceId = acme.workspace.id, database = services.database
            #expect(try await Self.zone(database, workspaceId) == acme.workspace.timeZone, "a new workspace has its counts")
            let survey = try await MetricCountEquivalenceTests.survey(http, key, name: "NPS", type: "nps")
            var customers: [String] = []
            for (index, at) in ["2026-05-04T10:00:00Z", "2026-05-05T10:00:00Z", "2026-05-06T23:30:00Z"].enumerated() {
                let reply = try await http.call(.post, "/api/v1/surveys/\(survey)/responses", key: key, json: [
                    "email": "c\(index)@example.com", "answers": ["q": 10], "submitted_at": at, "channel": "api"])
                #expect(reply.status == .created, "\(reply.text)")
                customers.append(try #require(reply.string("customer_id")))
            }
            func n(_ range: String) async throws -> Int? {
                let reply = try await http.get("/api/v1/metrics/nps?\(range)", key: key)
                return ((reply.json["overall"] as? [String: Any])?["estimate"] as? [String: Any])?["n"] as? Int
            }
            let whole = "from=2026-05-01T00:00:00Z&to=2026-06-01T00:00:00Z"
            #expect(try await n(whole) == 3)
            // Ten more promoters on 5 May in the kept counts only: a whole-day range reads them; a range that takes
            // 5 May only in part reads that day's responses.
            @Sendable func addTenPromotersOnMay5() async throws {
                try await database.write { db in
                    try await db.raw("""
                        UPDATE metric_response_days SET n = n + 10 WHERE workspace_id = \(bind: workspaceId) AND dimension = ''
                        AND local_day = \(unsafeRaw: String(MetricCountEquivalenceTests.millis("2026-05-05T00:00:00Z") / 86_400_000))
                        """).run()
                }
            }
            try await addTenPromotersOnMay5()
            #expect(try await n(whole) == 13)
            #expect(try await n("from=2026-05-05T09:00:00Z&to=2026-05-06T00:00:00Z") == 1)
            #expect(try await n("from=2026-05-05T00:00:00Z&to=2026-05-05T12:00:00Z") == 1)
            // The same for a segment's counts (the customer of 5 May, alone in it).
            let made = try await http.call(.post, "/api/v1/segments", key: key, json: [
                "name": "Few", "rule": ["all": [["field": "trait.tier", "op": "eq", "value": "nobody"]]]])
            let segment = try #require(made.string("id"), "\(made.text)")
            let customer = customers[1]
            try await services.core.store.write { repos in
                try await repos.segments.addMembers(workspaceId: workspaceId, segmentId: segment, [customer], at: 1)
            }
            #expect(try await n(whole + "&segment=\(segment)") == 1)
            try await database.write { db in
                try await db.raw("UPDATE metric_segment_days SET n = n + 5 WHERE workspace_id = \(bind: workspaceId) AND segment_id = \(bind: segment)").run()
            }
            #expect(try await n(whole + "&segment=\(segment)") == 6)
            #expect(try await MetricRollups.rebuild(database, workspaceId: workspaceId, all: true, now: 2) == 1)
            #expect(try await n(whole) == 3)
            #expect(try await n(whole + "&segment=\(segment)") == 1)

            // A zone changed around Rapport (SQL, a restore): a total over whole days is the same in any zone's days, so
            // the kept counts still answer it; a trend by day is in the workspace's new zone, which the kept days are not
            // in, so the responses answer it until the counts are rebuilt, as `serve` does at start.
            try await addTenPromotersOnMay5()
            try await database.write { db in
                try await db.raw("UPDATE workspaces SET time_zone = 'Asia/Kolkata' WHERE id = \(bind: workspaceId)").run()
            }
            #expect(try await n(whole) == 13)
            // 23:30 UTC on 6 May is 7 May in Kolkata. (Read from the service with the workspace as stored: a caller's
            // key keeps the workspace it was checked with for a while.)
            func days() async throws -> [String] {
                let workspace = try #require(try await services.core.store.read { try await $0.workspaces.find(id: workspaceId) })
                let report = try await SurveyMetricService(services.core).report(workspace: workspace, query: MetricQuery(
                    metric: .nps, from: MetricCountEquivalenceTests.millis("2026-05-01T00:00:00Z"),
                    to: MetricCountEquivalenceTests.millis("2026-06-01T00:00:00Z"), period: .day))
                return report.overall.series.compactMap { point in point.estimate.map { "\(Timestamp.iso8601(point.start)) \($0.n)" } }
            }
            let kolkata = ["2026-05-03T18:30:00.000Z 1", "2026-05-04T18:30:00.000Z 1", "2026-05-06T18:30:00.000Z 1"]
            let shown = try await days()
            #expect(shown == kolkata, "\(shown)")
            #expect(try await MetricRollups.rebuild(database, all: false, now: 3) == 1)
            #expect(try await Self.zone(database, workspaceId) == "Asia/Kolkata")
            #expect(try await MetricRollups.rebuild(database, all: false, now: 4) == 0)
            #expect(try await n(whole) == 3)
            #expect(try await days() == kolkata)
            // `rapport metrics rebuild` skips what its own start-up pass has just built (at 3 here), not older counts.
            #expect(try await MetricRollups.rebuild(database, workspaceId: workspaceId, all: true, builtSince: 3, now: 5) == 0)
            #expect(try await MetricRollups.rebuild(database, workspaceId: workspaceId, all: true, builtSince: 4, now: 5) == 1)
            #expect(try await n(whole) == 3)
        }
    }

    /// Responses written while the counts are rebuilt are counted once: on PostgreSQL a rebuild waits for the
    /// transactions counting into the workspace (and they for it) by the workspace's rollup lock.
    @Test func responsesWrittenDuringARebuildAreCountedOnce() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey, workspaceId = acme.workspace.id, database = services.database
            let survey = try await MetricCountEquivalenceTests.survey(http, key, name: "NPS", type: "nps")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<40 {
                    group.addTask {
                        let reply = try await http.call(.post, "/api/v1/surveys/\(survey)/responses", key: key, json: [
                            "email": "c\(index % 7)@example.com", "answers": ["q": index % 11], "channel": "api",
                            "attributes": ["agent": "a\(index % 3)"]])
                        #expect(reply.status == .created, "\(reply.text)")
                    }
                    if index % 10 == 0 {
                        group.addTask { try await MetricRollups.rebuild(database, workspaceId: workspaceId, all: true, now: Int64(index)) }
                    }
                }
                try await group.waitForAll()
            }
            let (kept, rebuilt) = try await Self.keptAndRebuilt(database, workspaceId)
            #expect(kept == rebuilt)
            #expect(kept.filter { $0.contains("|agent|") }.map { Int($0.split(separator: "|").last!)! }.reduce(0, +) == 40, "\(kept)")
        }
    }
}
