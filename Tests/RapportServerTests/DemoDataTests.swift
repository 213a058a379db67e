import Foundation
import Logging
import RapportCore
@testable import RapportStore
@testable import RapportRuntime
import SQLKit
import Testing

/// The living demo of `rapport serve --demo` (issue 12 §6): a deterministic year of data in the Demo workspace, big
/// and realistic enough for the charts, with a real before/after change the metrics engine finds and noise it does
/// not, follow-up cases in every state, and nothing outside the Demo workspace. Prints how long it took.
@Suite("Demo data")
struct DemoDataTests {
    static let day: Int64 = 86_400_000

    @Test func theSameSeedMakesTheSameDataSetAndAnotherSeedAnother() {
        let now: Int64 = 1_780_000_000_000
        func make(_ seed: UInt64) -> DemoDataSet { DemoGenerator.generate(workspaceId: "w", ownerId: "o", now: now, seed: seed) }
        func npsScores(_ data: DemoDataSet) -> [Int] { data.responses.filter { $0.surveyId == data.surveys[0].id }.compactMap(\.score) }
        let first = make(42), again = make(42), other = make(7)
        #expect(first.counts == again.counts)
        #expect(npsScores(first) == npsScores(again) && npsScores(first).count > 1_000, "\(npsScores(first).count) NPS answers")
        #expect(first.customers.map(\.id) == again.customers.map(\.id) && first.responses.map(\.id) == again.responses.map(\.id))
        #expect(npsScores(first) != npsScores(other))
        // Every record is dated within the twelve months before now, and belongs to the workspace given.
        let times = first.activities.map(\.occurredAt) + first.orders.map(\.occurredAt) + first.responses.compactMap(\.submittedAt)
        #expect((times.min() ?? 0) >= now - 366 * Self.day && (times.max() ?? .max) < now)
        #expect(first.activities.allSatisfy { $0.workspaceId == "w" } && first.responses.allSatisfy { $0.workspaceId == "w" })
    }

    @Test func demoWorkspaceHoldsAYearOfDataWithARealChangeAndOnlyNoiseElsewhere() async throws {
        try await TestApp.run { http, services in
            var logger = Logger(label: "demo-test")
            logger.logLevel = .warning
            let started = ContinuousClock.now
            try await Bootstrap.run(services, demo: true, logger: logger)
            let elapsed = ContinuousClock.now - started
            let store = services.core.store
            let demo = try #require(try await store.read { try await $0.workspaces.find(name: "Demo") })
            let customers = try await store.read { try await $0.customers.count(workspaceId: demo.id) }
            print("demo data on \(TestApp.backendName): \(customers) customers, set up and stored in \(elapsed) (debug build)")

            // A second `--demo` on a database with users adds nothing.
            try await Bootstrap.run(services, demo: true, logger: logger)
            #expect(try await store.read { try await $0.customers.count(workspaceId: demo.id) } == customers)

            let key = try await services.apiKeys.create(nil, workspaceId: demo.id, name: "test", scope: .admin).secret
            #expect((2_900...3_100).contains(customers))
            #expect(demo.timeZone == "Europe/Berlin")
            let accounts = try await http.get("/api/v1/accounts?limit=200", key: key)
            #expect((140...160).contains(accounts.data.count), "\(accounts.data.count) accounts")
            let rate = try await store.read { try await $0.orders.repeatPurchaseRate(workspaceId: demo.id) }
            #expect((900...1_600).contains(rate.purchasers) && rate.repeatPurchasers >= 300, "\(rate)")
            let counts = try await Self.counts(services.database, workspaceId: demo.id)
            #expect(counts["activities", default: 0] >= 30_000 && counts["activities", default: 0] <= 90_000, "\(counts)")
            #expect((1_700...2_600).contains(counts["orders", default: 0]), "\(counts)")
            let team = try await store.read { try await $0.memberships.members(workspaceId: demo.id, page: PageRequest(limit: 50)) }
            #expect(team.items.filter { $0.role == .agent }.count == 8)
            let teams = try await store.read { try await $0.agentTeams.list(workspaceId: demo.id) }
            #expect(teams.map(\.name).sorted() == ["Billing & Returns", "Support EU"] && teams.allSatisfy { $0.memberIds.count >= 3 })

            // The surveys, active, with responses on several channels and invitations held back for each reason.
            let surveys = try await http.get("/api/v1/surveys?limit=20", key: key)
            let byName = Dictionary(uniqueKeysWithValues: surveys.data.compactMap { survey in
                (survey["name"] as? String).map { ($0, survey) }
            })
            let nps = try #require(byName["Support NPS"]?["id"] as? String, "\(surveys.text)")
            #expect(surveys.data.allSatisfy { $0["status"] as? String == "active" } && surveys.data.count == 3)
            let (byStatus, byReason) = try await store.read { try await $0.surveyInvitations.counts(workspaceId: demo.id, surveyId: nps) }
            #expect(byStatus["responded", default: 0] > 1_000 && byStatus["sent", default: 0] > 500, "\(byStatus)")
            for reason in ["no_consent", "recontact_period", "email_suppressed"] {
                #expect(byReason[reason, default: 0] > 0, "no invitation suppressed for \(reason): \(byReason)")
            }
            let channels = try await services.database.read { db in
                try await db.raw("SELECT DISTINCT channel FROM survey_responses WHERE workspace_id = \(bind: demo.id)").all()
                    .map { try $0.decode(column: "channel", as: String.self) }
            }
            #expect(Set(channels) == ["email", "widget", "link"])

            // NPS before and after the new returns policy (120 days ago), by the engine: the interval of the difference
            // excludes 0; two adjacent 60-day periods before it differ only by noise.
            let change = DemoCalendar(now: services.core.clock.nowMillis, timeZone: try #require(TimeZone(identifier: demo.timeZone)))
                .midnight(daysAgo: DemoGenerator.changeDaysAgo)
            func score(_ from: Int64, _ to: Int64) async throws -> NetPromoterScore {
                let rows = try await store.read { try await $0.surveyResponses.metricRows(workspaceId: demo.id, surveyIds: [nps], from: from, to: to, withAnswers: false) }
                return NetPromoterScore(scores: rows.compactMap(\.score))
            }
            let before = try await score(change - 240 * Self.day, change), after = try await score(change, change + 120 * Self.day)
            let difference = try #require(NetPromoterScore.compare(after, before))
            print("demo NPS before \(before.value ?? 0) (n \(before.n)), after \(after.value ?? 0) (n \(after.n)), difference \(difference.difference) [\(difference.low), \(difference.high)]")
            #expect(difference.low > 0 && (10...25).contains(difference.difference), "\(difference)")
            let earlier = try await score(change - 120 * Self.day, change - 60 * Self.day)
            let later = try await score(change - 60 * Self.day, change)
            let noise = try #require(NetPromoterScore.compare(later, earlier))
            #expect(noise.low < 0 && noise.high > 0, "\(noise)")
            // The HTTP metrics report the same figure the rows give.
            let reply = try await http.get("/api/v1/metrics/nps?survey=\(nps)&from=\(Timestamp.iso8601(change))&to=\(Timestamp.iso8601(change + 120 * Self.day))",
                                           key: key)
            let estimate = (reply.json["overall"] as? [String: Any])?["estimate"] as? [String: Any]
            #expect(abs((estimate?["value"] as? Double ?? -999) - (after.value ?? 0)) < 1e-6 && estimate?["n"] as? Int == after.n, "\(reply.text)")
            // Agents differ.
            let byAgent = try await http.get("/api/v1/metrics/nps?survey=\(nps)&from=\(Timestamp.iso8601(change - 250 * Self.day))&group_by=agent",
                                             key: key)
            let agentScores = (byAgent.json["groups"] as? [[String: Any]] ?? []).compactMap { ($0["estimate"] as? [String: Any])?["value"] as? Double }
            #expect(agentScores.count == 8 && (agentScores.max() ?? 0) - (agentScores.min() ?? 0) > 15, "\(byAgent.text)")

            // Follow-up cases: closed with an outcome and a close time, open, and overdue.
            let closed = try await http.get("/api/v1/follow-ups?status=resolved&limit=5", key: key)
            #expect(closed.data.count == 5 && closed.data.allSatisfy { $0["outcome"] is String && $0["closed_at"] is String }, "\(closed.text)")
            #expect(try await http.get("/api/v1/follow-ups?status=open&limit=5", key: key).data.count == 5)
            #expect(try await http.get("/api/v1/follow-ups?overdue=true&limit=5", key: key).data.count == 5)

            // Segments whose members make sense.
            let segments = try await http.get("/api/v1/segments?limit=20", key: key)
            let enterprise = try #require(segments.data.first { $0["name"] as? String == "Enterprise" }, "\(segments.text)")
            let atRisk = try #require(segments.data.first { $0["name"] as? String == "At risk" })
            #expect((atRisk["member_count"] as? Int ?? 0) > 10, "\(atRisk)")
            let members = try await http.get("/api/v1/customers?segment_id=\(enterprise["id"] as? String ?? "")&limit=200", key: key)
            #expect(members.data.count > 50 && members.data.allSatisfy { ($0["traits"] as? [String: Any])?["company_tier"] as? String == "enterprise" },
                    "\(members.data.count) enterprise members")

            // Every row of every table with a workspace belongs to the Demo workspace.
            let outside = try await Self.rowsOutside(services.database, workspaceId: demo.id)
            #expect(outside.isEmpty, "rows outside the Demo workspace: \(outside)")
        }
    }

    /// Rows per table of the workspace.
    static func counts(_ database: DatabaseClient, workspaceId: String) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for table in ["activities", "orders", "survey_responses", "survey_invitations", "follow_up_cases"] {
            counts[table] = try await database.read { db in
                try await db.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table) WHERE workspace_id = \(bind: workspaceId)").first()?
                    .decode(column: "n", as: Int.self) ?? 0
            }
        }
        return counts
    }

    /// Tables with a `workspace_id` column that hold rows of another workspace, with how many.
    static func rowsOutside(_ database: DatabaseClient, workspaceId: String) async throws -> [String: Int] {
        let tables = try await database.read { db in
            let query: SQLQueryString = db.isPostgres
                ? """
                  SELECT table_name AS name FROM information_schema.columns
                  WHERE table_schema = current_schema() AND column_name = 'workspace_id'
                  """
                : """
                  SELECT m.name AS name FROM sqlite_master m JOIN pragma_table_info(m.name) p
                  WHERE m.type = 'table' AND p.name = 'workspace_id'
                  """
            return try await db.raw(query).all().map { try $0.decode(column: "name", as: String.self) }
        }
        #expect(tables.contains("survey_responses") && tables.contains("customers"))
        var outside: [String: Int] = [:]
        for table in tables {
            let n = try await database.read { db in
                try await db.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table) WHERE workspace_id <> \(bind: workspaceId)").first()?
                    .decode(column: "n", as: Int.self) ?? 0
            }
            if n > 0 { outside[table] = n }
        }
        return outside
    }
}
