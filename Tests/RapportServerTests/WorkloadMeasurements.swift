import Foundation
import Hummingbird
import Logging
import RapportCore
import RapportRuntime
import RapportServer
import RapportStore
import SQLKit
import Testing

/// Measurements behind docs/benchmarks.md that are not regressions tests: run with `RAPPORT_MEASURE=1` (and
/// `RAPPORT_MEASURE_PEOPLE`, default 20000). They print their figures.
@Suite("Workload measurements (RAPPORT_MEASURE=1)")
struct WorkloadMeasurements {
    static let environment = ProcessInfo.processInfo.environment
    static let enabled = environment["RAPPORT_MEASURE"] != nil

    static func message(_ text: String) throws -> (index: Int, message: TrackingMessage) {
        let json = try #require(JSONValue.parse(text))
        let message = try TrackingMessage.parse(json, endpointType: nil, batchSentAt: nil, receivedAt: Date().millisSince1970,
                                                makeId: { UUID().uuidString.lowercased() })
        return (0, message)
    }

    static func indexed(_ messages: [(index: Int, message: TrackingMessage)]) -> [(index: Int, message: TrackingMessage)] {
        messages.enumerated().map { ($0.offset, $0.element.message) }
    }

    /// The anonymous-then-login merge at `people` identified people and as many anonymous visitors: every `track`
    /// names the userId of one and the anonymousId of another, so each merges two stored profiles. Measured with
    /// the schema before migration 0006 (the by-customer index without the identifier order) and after, both
    /// without table statistics; known people as the reference. Then profile reads (`GET /api/v1/customers/{id}`)
    /// against timeline reads of the same people.
    @Test(.enabled(if: enabled)) func mergeHeavyIngestAndProfileReads() async throws {
        let people = Int(Self.environment["RAPPORT_MEASURE_PEOPLE"] ?? "") ?? 20_000
        try await TestApp.run { http, services in
            let fixture = try await Fixture.make(services)
            let workspaceId = fixture.workspace.id
            let postgres = services.database.kind == .postgres
            func ingest(_ texts: [String]) async throws -> Double {
                let messages = Self.indexed(try texts.map(Self.message))
                let start = ContinuousClock.now
                let outcomes = try await services.ingest.ingest(workspaceId: workspaceId, messages: messages)
                #expect(outcomes.allSatisfy { $0.status == .stored })
                return (ContinuousClock.now - start) / .seconds(1)
            }
            var loadSeconds = 0.0
            for start in stride(from: 0, to: people, by: 2000) {
                let range = start..<min(start + 2000, people)
                loadSeconds += try await ingest(range.map {
                    #"{"type":"identify","userId":"u-\#($0)","traits":{"email":"person\#($0)@example.com","name":"Person \#($0)"}}"#
                })
                loadSeconds += try await ingest(range.map {
                    #"{"type":"page","anonymousId":"a-\#($0)","name":"Home","properties":{"url":"https://shop.test/"}}"#
                })
            }
            print("measure: loaded \(people) identified + \(people) anonymous profiles in \(Int(loadSeconds)) s")
            func rate(batches: Int, _ make: (Int) -> [String]) async throws -> Double {
                var seconds = 0.0
                var events = 0
                for batch in 0..<batches {
                    let texts = make(batch)
                    seconds += try await ingest(texts)
                    events += texts.count
                }
                return Double(events) / seconds
            }
            let known = try await rate(batches: 10) { batch in
                (0..<100).map { #"{"type":"track","userId":"u-\#((batch * 100 + $0 * 37) % people)","event":"Viewed"}"# }
            }
            var next = 0
            func mergeBatch(_ batch: Int) -> [String] {
                defer { next += 100 }
                return (next..<next + 100).map { #"{"type":"track","userId":"u-\#($0)","anonymousId":"a-\#($0)","event":"Signed In"}"# }
            }
            func schema(old: Bool) async throws {
                try await services.database.write { db in
                    if !postgres, try await db.raw("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'").first() != nil {
                        try await db.raw("DELETE FROM sqlite_stat1").run()
                    }
                    if old {
                        try await db.raw("DROP INDEX customer_identifiers_by_customer_sorted").run()
                        try await db.raw("CREATE INDEX customer_identifiers_by_customer ON customer_identifiers (workspace_id, customer_id)").run()
                    } else {
                        try await db.raw("DROP INDEX customer_identifiers_by_customer").run()
                        try await db.raw("""
                            CREATE INDEX customer_identifiers_by_customer_sorted
                            ON customer_identifiers (workspace_id, customer_id, kind, namespace, value)
                            """).run()
                    }
                }
            }
            func profileAndTimeline(_ range: Range<Int>) async throws -> (profile: Double, timeline: Double) {
                var profile: [Double] = []
                var timeline: [Double] = []
                for i in range {
                    let found = try await http.get("/api/v1/customers?email=person\(i)%40example.com", key: fixture.adminKey).data
                    let id = try #require(found.first?["id"] as? String)
                    let t0 = ContinuousClock.now
                    #expect(try await http.get("/api/v1/customers/\(id)", key: fixture.adminKey).status == .ok)
                    let t1 = ContinuousClock.now
                    #expect(try await http.get("/api/v1/customers/\(id)/timeline?limit=50", key: fixture.adminKey).status == .ok)
                    let t2 = ContinuousClock.now
                    profile.append((t1 - t0) / .milliseconds(1))
                    timeline.append((t2 - t1) / .milliseconds(1))
                }
                return (profile.sorted()[profile.count / 2], timeline.sorted()[timeline.count / 2])
            }
            try await schema(old: true)
            let before = try await rate(batches: 2, mergeBatch)
            let readsBefore = try await profileAndTimeline(0..<50)
            try await schema(old: false)
            let after = try await rate(batches: 20, mergeBatch)
            let readsAfter = try await profileAndTimeline(0..<50)
            // The merge read of the profile page before this change: every merge of the workspace.
            let merges = try await services.database.read { db in
                try await db.raw("SELECT COUNT(*) AS n FROM customer_merges WHERE workspace_id = \(bind: workspaceId)").first()?
                    .decode(column: "n", as: Int.self) ?? 0
            }
            var allMerges: [Double] = []
            for _ in 0..<20 {
                let t0 = ContinuousClock.now
                _ = try await services.database.read { db in
                    try await db.raw("""
                        SELECT id, survivor_id, merged_id, reason, identifiers, merged_at FROM customer_merges
                        WHERE workspace_id = \(bind: workspaceId) ORDER BY id
                        """).all().count
                }
                allMerges.append((ContinuousClock.now - t0) / .milliseconds(1))
            }
            print("""
                measure (\(services.database.kind.rawValue), \(people)+\(people) profiles, debug build, in-process ingest):
                  known people: \(Int(known)) events/s
                  merge-heavy before (by-customer index without order): \(String(format: "%.1f", before)) events/s
                  merge-heavy after (migration 0006): \(Int(after)) events/s
                  profile read p50 before: \(String(format: "%.2f", readsBefore.profile)) ms, timeline p50 \(String(format: "%.2f", readsBefore.timeline)) ms
                  profile read p50 after: \(String(format: "%.2f", readsAfter.profile)) ms, timeline p50 \(String(format: "%.2f", readsAfter.timeline)) ms
                  old merges read (all \(merges) merges of the workspace) p50: \(String(format: "%.2f", allMerges.sorted()[10])) ms
                """)
        }
    }

    /// A one-letter search over `RAPPORT_MEASURE_SEARCH_PEOPLE` (default 100000) profiles that all match it: the
    /// first and a later page through the API, against the statement every page ran before the match limit (all
    /// matches joined to their profiles and sorted, then one page kept), run bare.
    @Test(.enabled(if: enabled)) func broadSearchPages() async throws {
        let people = Int(Self.environment["RAPPORT_MEASURE_SEARCH_PEOPLE"] ?? "") ?? 100_000
        try await TestApp.run { http, services in
            let fixture = try await Fixture.make(services)
            let workspaceId = fixture.workspace.id
            let postgres = services.database.kind == .postgres
            for start in stride(from: 0, to: people, by: 2000) {
                let messages = Self.indexed(try (start..<min(start + 2000, people)).map {
                    try Self.message(#"{"type":"identify","userId":"user\#($0)","traits":{"email":"user\#($0)@example.com","name":"Uma User\#($0)"}}"#)
                })
                _ = try await services.ingest.ingest(workspaceId: workspaceId, messages: messages)
            }
            func p50(_ body: () async throws -> Void) async throws -> Double {
                var times: [Double] = []
                for _ in 0..<15 {
                    let t0 = ContinuousClock.now
                    try await body()
                    times.append((ContinuousClock.now - t0) / .milliseconds(1))
                }
                return times.sorted()[7]
            }
            var cursor = ""
            let first = try await p50 {
                let page = try await http.get("/api/v1/customers?search=u&limit=50", key: fixture.adminKey)
                #expect(page.data.count == 50)
                cursor = page.json["next_cursor"] as? String ?? ""
            }
            let second = try await p50 {
                let later = try await http.get("/api/v1/customers?search=u&limit=50&cursor=\(cursor)", key: fixture.adminKey)
                #expect(later.data.count == 50)
            }
            let old = try await p50 {
                let rows = try await services.database.read { db in
                    try await db.raw(postgres
                        ? """
                          SELECT c.id FROM customers c JOIN customer_search s ON s.workspace_id = c.workspace_id
                          AND s.customer_id = c.id AND s.document @@ to_tsquery('simple', 'u:*')
                          WHERE c.workspace_id = \(bind: workspaceId) AND c.merged_into IS NULL ORDER BY c.id DESC LIMIT 51
                          """
                        : """
                          SELECT c.id FROM (SELECT workspace_id, customer_id FROM customer_search WHERE customer_search MATCH '"u"*'
                          AND workspace_id = \(bind: workspaceId)) s CROSS JOIN customers c ON c.workspace_id = s.workspace_id
                          AND c.id = s.customer_id WHERE c.workspace_id = \(bind: workspaceId) AND c.merged_into IS NULL
                          ORDER BY c.id DESC LIMIT 51
                          """).all().count
                }
                #expect(rows == 51)
            }
            print("""
                measure (\(services.database.kind.rawValue), \(people) profiles all matching `u`, debug build):
                  ?search=u&limit=50 first page p50: \(String(format: "%.1f", first)) ms, a later page p50: \(String(format: "%.1f", second)) ms
                  the statement every page ran before (all matches joined and sorted), bare, p50: \(String(format: "%.1f", old)) ms
                """)
        }
    }

    /// Ingest of known people by 8 concurrent callers (batches of 100, so group commit forms groups) with
    /// `SQLITE_SYNCHRONOUS=full` and `normal`, alternating rounds on two databases.
    @Test(.enabled(if: enabled && TestApp.postgresURL == nil)) func sqliteSynchronousCost() async throws {
        var rates: [SQLiteSynchronous: [Double]] = [:]
        var clients: [SQLiteSynchronous: (AppServices, String)] = [:]
        var databases: [DatabaseClient] = []
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rapport-sync-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        var logger = Logger(label: "measure")
        logger.logLevel = .warning
        for mode in SQLiteSynchronous.allCases {
            let url = DatabaseURL.sqlite(path: folder.appendingPathComponent("\(mode.rawValue).sqlite").path)
            let database = try await DatabaseClient.connect(url, sqlite: SQLiteOptions(synchronous: mode), logger: logger)
            databases.append(database)
            try await Migrator(database: database).migrate()
            var config = AppConfig()
            config.database = url
            config.bcryptCost = 4
            let services = AppServices(config: config, database: database)
            let workspace = try await services.workspaces.create(name: "Sync", creator: nil)
            clients[mode] = (services, workspace.id)
        }
        for round in 0..<4 {
            for mode in (round % 2 == 0 ? [.full, .normal] : [.normal, .full]) as [SQLiteSynchronous] {
                let (services, workspaceId) = clients[mode]!
                let batches = try (0..<40).map { batch in
                    Self.indexed(try (0..<100).map {
                        try Self.message(#"{"type":"track","userId":"u-\#(($0 * 13 + batch) % 500)","event":"Viewed","properties":{"round":\#(round)}}"#)
                    })
                }
                let start = ContinuousClock.now
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for client in 0..<8 {
                        group.addTask {
                            for batch in stride(from: client, to: batches.count, by: 8) {
                                _ = try await services.ingest.ingest(workspaceId: workspaceId, messages: batches[batch])
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                let seconds = (ContinuousClock.now - start) / .seconds(1)
                if round > 0 { rates[mode, default: []].append(4000 / seconds) }
            }
        }
        for database in databases { await database.shutdown() }
        func median(_ values: [Double]) -> Int { Int(values.sorted()[values.count / 2]) }
        let full = median(rates[.full] ?? [0])
        let normal = median(rates[.normal] ?? [0])
        print("""
            measure (sqlite synchronous, known people, 8 callers x batches of 100, debug build, median of 3 rounds):
              full: \(full) events/s, normal: \(normal) events/s, full/normal \(String(format: "%.2f", Double(full) / Double(normal)))
            """)
    }
}
