import Foundation
import Hummingbird
import RapportCore
import RapportRuntime
@testable import RapportStore
import SQLKit
import Testing

/// The metrics counted in the database (`MetricTable`, docs/methods.md "Computing from counts") answer exactly what
/// reading every row answers: every metric × interval × grouping × filter, in time zones with and without DST (and
/// Lord Howe's half-hour change), over responses at local midnights and DST changes, with an edited response, a merged
/// customer, a non-string attribute, customers in two segments and in none. And the counts read the metric indexes.
@Suite("Metrics counted in the database")
struct MetricCountEquivalenceTests {
    static func millis(_ text: String) -> Int64 { ResponseRateMetricTests.millis(text) }
    /// ISO 8601 without fractional seconds (what `ResponseRateMetricTests.millis` reads).
    static func seconds(_ millis: Int64) -> String { ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(millis) / 1_000)) }

    /// Instants at local midnights, DST changes and month ends of the zones tested, then one every 61 hours.
    static let instants: [Int64] = {
        let edges = [
            "2026-03-08T04:59:59Z", "2026-03-08T05:00:00Z", "2026-03-08T06:59:59Z", "2026-03-08T07:00:00Z",  // New York
            "2026-03-28T23:30:00Z", "2026-03-29T00:59:59Z", "2026-03-29T01:00:00Z", "2026-03-29T22:30:00Z",  // Berlin
            "2026-03-31T18:29:59Z", "2026-03-31T18:30:00Z", "2026-03-31T23:59:59Z", "2026-04-01T04:00:00Z",  // month ends
            "2026-04-04T13:29:59Z", "2026-04-04T13:30:00Z", "2026-04-04T14:59:00Z", "2026-04-04T15:00:00Z",  // Lord Howe
            "2026-10-25T00:59:59Z", "2026-10-25T01:00:00Z", "2026-11-01T04:00:00Z", "2026-11-01T05:30:00Z",
            "2026-11-01T06:00:00Z", "2026-11-01T06:30:00Z", "2026-11-30T23:30:00Z", "2026-02-01T00:00:00Z",
        ].map(millis)
        let start = millis("2026-02-02T03:17:00Z")
        return edges + (0..<70).map { start + Int64($0) * 61 * 3_600_000 }
    }()

    static let zones = ["America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"]
    static let from = millis("2026-02-01T00:00:00Z"), to = millis("2026-12-01T00:00:00Z")

    struct Seeded {
        var acme: Fixture
        var surveys: [SurveyMetric: String]
        var otherNPS: String
        var customers: [String]
        var vip: String
        var churn: String
        /// NPS responses as the database holds them after the edit and the merge: (instant, score, customer).
        var nps: [(at: Int64, score: Int, customer: String)]
    }

    static func survey(_ http: TestHTTP, _ key: String, name: String, type: String) async throws -> String {
        var question: [String: Any] = ["id": "q", "type": type, "required": true, "text": "How was it?"]
        if type == "csat" { question["scale"] = "1-5" }
        let made = try await http.call(.post, "/api/v1/surveys", key: key, json: [
            "name": name, "questions": [question], "settings": ["follow_up": ["enabled": false]]])
        let id = try #require(made.string("id"), "\(made.text)")
        #expect(try await http.call(.post, "/api/v1/surveys/\(id)/activate", key: key).status == .ok)
        return id
    }

    static func seed(_ http: TestHTTP, _ services: AppServices) async throws -> Seeded {
        let acme = try await Fixture.make(services)
        let key = acme.adminKey, workspaceId = acme.workspace.id
        let sam = try await FollowUpTests.addAgent(services, acme)
        #expect(try await http.call(.post, "/api/v1/teams", key: key, json: ["name": "Support EU", "member_ids": [sam]]).status == .created)
        var surveys: [SurveyMetric: String] = [:]
        for (metric, type) in [(SurveyMetric.nps, "nps"), (.csat, "csat"), (.ces, "ces")] {
            surveys[metric] = try await survey(http, key, name: "\(type) survey", type: type)
        }
        let otherNPS = try await survey(http, key, name: "Second NPS", type: "nps")
        let agents: [String?] = ["sam@acme.test", "kim", nil, "SAM@acme.test"]
        let touchpoints: [String?] = ["checkout", "support", nil]
        let channels = ["api", "import", "link"]
        var customerIds: [String: String] = [:]
        var nps: [(at: Int64, score: Int, customer: String, id: String)] = []
        for (index, at) in instants.enumerated() {
            for (metric, surveyId) in [(SurveyMetric.nps, surveys[.nps]!), (.csat, surveys[.csat]!), (.ces, surveys[.ces]!),
                                       (.nps, otherNPS)] {
                let score = switch metric {
                case .nps: (index * 7 + surveyId.count) % 11
                case .csat: 1 + (index * 3) % 5
                default: 1 + (index * 5) % 7
                }
                var attributes: [String: String] = [:]
                if let agent = agents[index % agents.count] { attributes["agent"] = agent }
                if let touchpoint = touchpoints[(index / 2) % touchpoints.count] { attributes["touchpoint"] = touchpoint }
                let email = "c\(index % 12)@example.com"
                let reply = try await http.call(.post, "/api/v1/surveys/\(surveyId)/responses", key: key, json: [
                    "email": email, "answers": ["q": score], "submitted_at": Timestamp.iso8601(at),
                    "channel": channels[(index / 3) % channels.count], "attributes": attributes])
                #expect(reply.status == .created, "\(reply.text)")
                let customer = try #require(reply.string("customer_id"))
                customerIds[email] = customer
                if surveyId == surveys[.nps] { nps.append((at, score, customer, try #require(reply.string("id")))) }
            }
            // Invitations: delivered (some answered), and undelivered ones the rate must leave out.
            let statuses: [SurveyInvitation.Status] = [.sent, .responded, .dismissed, .responded, .suppressed]
            try await ResponseRateMetricTests.invite(services, acme, survey: surveys[.nps]!, status: statuses[index % statuses.count],
                                                     sentAt: statuses[index % statuses.count] == .suppressed ? nil : Self.seconds(at),
                                                     channel: index % 4 == 0 ? "widget" : "email", agent: agents[index % agents.count],
                                                     emailState: index % 9 == 0 ? .failed : nil,
                                                     customer: customerIds["c\(index % 12)@example.com"])
        }
        let customers = (0..<12).map { customerIds["c\($0)@example.com"]! }
        // Segments: VIP c0–c4, Churn risk c3–c7; c8–c11 in none.
        var segmentIds: [String] = []
        for (name, members) in [("VIP", customers[0...4]), ("Churn risk", customers[3...7])] {
            // Made through the API with a rule no one meets, then given its members as a refresh (or a bulk load) would.
            let made = try await http.call(.post, "/api/v1/segments", key: key, json: [
                "name": name, "rule": ["all": [["field": "trait.tier", "op": "eq", "value": "nobody"]]]])
            let segmentId = try #require(made.string("id"), "\(made.text)")
            try await services.core.store.write { repos in
                try await repos.segments.addMembers(workspaceId: workspaceId, segmentId: segmentId, Array(members), at: 0)
            }
            segmentIds.append(segmentId)
        }
        // An edited response: the first NPS answer becomes a 2, submitted a day later.
        let edited = nps[0]
        try await services.core.store.write { repos in
            var response = try #require(try await repos.surveyResponses.find(workspaceId: workspaceId, id: edited.id))
            response.answers["q"] = .number(2)
            response.score = 2
            response.band = .detractor
            response.submittedAt = edited.at + 86_400_000
            try await repos.surveyResponses.update(response)
        }
        nps[0].score = 2
        nps[0].at = edited.at + 86_400_000
        // A non-string agent attribute: neither path reads it as an agent.
        let numericAgent = nps[1].id
        try await services.database.write { db in
            try await db.raw("""
                UPDATE survey_responses SET attributes = '{"agent": 5, "touchpoint": "support"}'
                WHERE workspace_id = \(bind: workspaceId) AND id = \(bind: numericAgent)
                """).run()
        }
        // A merge: c11 (in no segment) into c0 (VIP); c11's responses and invitations are c0's now.
        let merged = try await http.call(.post, "/api/v1/customers/\(customers[0])/merge", key: key, json: ["customer_id": customers[11]])
        #expect(merged.status == .ok, "\(merged.text)")
        let survivor = try #require(merged.string("id"))
        let gone = survivor == customers[0] ? customers[11] : customers[0]
        return Seeded(acme: acme, surveys: surveys, otherNPS: otherNPS, customers: customers, vip: segmentIds[0], churn: segmentIds[1],
                      nps: nps.map { ($0.at, $0.score, $0.customer == gone ? survivor : $0.customer) })
    }

    static let groupings: [MetricGrouping?] = [nil, .attribute("agent"), .attribute("touchpoint"), .responseChannel, .survey, .segment,
                                               .attribute("team"), .account]

    @Test func everyMetricIntervalGroupingAndFilterAnswersAsTheRowsDo() async throws {
        try await TestApp.run(configure: TestApp.withoutScheduledSegmentRefresh) { http, services in
            let seeded = try await Self.seed(http, services)
            let counted = SurveyMetricService(services.core), rows = SurveyMetricService(services.core, countsInDatabase: false)
            var workspace = seeded.acme.workspace
            var checked = 0
            func check(_ query: MetricQuery) async throws {
                let fast = try await counted.report(workspace: workspace, query: query)
                let reference = try await rows.report(workspace: workspace, query: query)
                #expect(fast == reference, "\(workspace.timeZone) \(query)")
                checked += 1
            }
            for zone in Self.zones {
                workspace.timeZone = zone
                for metric in [SurveyMetric.nps, .csat, .ces, .responseRate] {
                    for period in [nil, MetricPeriod.day, .week, .month] {
                        for grouping in Self.groupings {
                            try await check(MetricQuery(metric: metric, from: Self.from, to: Self.to, period: period, groupBy: grouping))
                        }
                    }
                }
            }
            workspace.timeZone = "America/New_York"
            var filtered: [MetricQuery] = []
            for metric in [SurveyMetric.nps, .csat, .ces, .responseRate] {
                for grouping in Self.groupings {
                    filtered.append(MetricQuery(metric: metric, from: Self.from, to: Self.to, period: .week, groupBy: grouping,
                                                segmentId: seeded.vip))
                    filtered.append(MetricQuery(metric: metric, from: Self.from, to: Self.to, period: .month, groupBy: grouping,
                                                attributes: ["agent": "sam@acme.test", "touchpoint": "support"]))
                    var byChannel = MetricQuery(metric: metric, surveyId: seeded.surveys[metric == .responseRate ? .nps : metric],
                                                from: Self.millis("2026-03-07T00:00:00Z"), to: Self.millis("2026-11-02T00:00:00Z"),
                                                period: .day, groupBy: grouping, level: 0.9, smallSampleBelow: 5)
                    byChannel.channel = metric == .responseRate ? "email" : "import"
                    filtered.append(byChannel)
                }
            }
            for query in filtered { try await check(query) }
            #expect(checked == Self.zones.count * 4 * 4 * Self.groupings.count + filtered.count)

            // Comparisons: two segments, two periods.
            let (apiKey, _) = try await services.apiKeys.create(nil, workspaceId: workspace.id, name: "compare", scope: .admin)
            let owner = Principal(caller: .apiKey(apiKey), workspace: workspace, role: .admin)
            for metric in [SurveyMetric.nps, .csat, .ces, .responseRate] {
                let query = MetricQuery(metric: metric, from: Self.from, to: Self.to, groupBy: .segment)
                for (a, b) in [(MetricSide.group(seeded.vip), MetricSide.group(seeded.churn)),
                               (.period(from: Self.from, to: Self.millis("2026-06-01T00:00:00Z")),
                                .period(from: Self.millis("2026-06-01T00:00:00Z"), to: Self.to))] {
                    let fast = try await counted.compare(owner, query: query, a: a, b: b)
                    let reference = try await rows.compare(owner, query: query, a: a, b: b)
                    #expect(fast == reference, "\(metric) \(a) \(b)")
                    #expect(fast.estimateA != nil && fast.estimateB != nil)
                }
            }
        }
    }

    /// NPS by week × segment over HTTP, against a computation in the test from the responses as stored: weeks in New
    /// York (Monday starts, DST included), each response in every segment its customer is in now, "(none)" for the rest.
    @Test func npsByWeekAndSegmentMatchesAnIndependentCount() async throws {
        try await TestApp.run(configure: TestApp.withoutScheduledSegmentRefresh) { http, services in
            let seeded = try await Self.seed(http, services)
            let key = seeded.acme.adminKey
            #expect(try await http.call(.patch, "/api/v1/workspaces/\(seeded.acme.workspace.id)", key: key,
                                        json: ["time_zone": "America/New_York"]).status == .ok)
            var calendar = Calendar(identifier: .iso8601)
            calendar.timeZone = TimeZone(identifier: "America/New_York")!
            func week(_ at: Int64) -> String {
                let start = calendar.dateInterval(of: .weekOfYear, for: Date(timeIntervalSince1970: Double(at) / 1_000))!.start
                return Timestamp.iso8601(Int64(start.timeIntervalSince1970 * 1_000))
            }
            let vip = Set(seeded.customers[0...4]), churn = Set(seeded.customers[3...7])
            var expected: [String: [String: (promoters: Int, detractors: Int, n: Int)]] = [:]
            for response in seeded.nps where response.at >= Self.from && response.at < Self.to {
                var groups: [String] = []
                if vip.contains(response.customer) { groups.append("VIP") }
                if churn.contains(response.customer) { groups.append("Churn risk") }
                for group in groups.isEmpty ? ["(none)"] : groups {
                    var counts = expected[group, default: [:]][week(response.at), default: (0, 0, 0)]
                    counts.n += 1
                    if response.score >= 9 { counts.promoters += 1 } else if response.score <= 6 { counts.detractors += 1 }
                    expected[group, default: [:]][week(response.at)] = counts
                }
            }
            let reply = try await http.get("/api/v1/metrics/nps?survey=\(seeded.surveys[.nps]!)&from=2026-02-01T00:00:00Z&to=2026-12-01T00:00:00Z"
                                           + "&interval=week&group_by=segment", key: key)
            #expect(reply.status == .ok && reply.string("group_by") == "segment", "\(reply.text)")
            let groups = try #require(reply.json["groups"] as? [[String: Any]], "\(reply.text)")
            #expect(Set(groups.compactMap { $0["label"] as? String }) == ["VIP", "Churn risk", "(none)"], "\(reply.text)")
            #expect(groups.first { $0["label"] as? String == "VIP" }?["key"] as? String == seeded.vip)
            for group in groups {
                let label = try #require(group["label"] as? String)
                let series = try #require(group["series"] as? [[String: Any]], "\(group)")
                var seen = 0
                for point in series {
                    let start = try #require(point["start"] as? String)
                    let counts = expected[label]?[start]
                    let estimate = point["estimate"] as? [String: Any]
                    #expect((estimate?["n"] as? Int) == counts?.n, "\(label) \(start)")
                    if let counts, let value = estimate?["value"] as? Double {
                        #expect(abs(value - 100 * Double(counts.promoters - counts.detractors) / Double(counts.n)) < 1e-9, "\(label) \(start)")
                        seen += counts.n
                    }
                }
                #expect(seen == expected[label]?.values.reduce(0) { $0 + $1.n }, "\(label)")
            }
            let csv = try await http.get("/api/v1/metrics/nps?from=2026-02-01T00:00:00Z&to=2026-12-01T00:00:00Z&group_by=segment&format=csv", key: key)
            #expect(csv.status == .ok && csv.text.contains(",segment,VIP,\(seeded.vip),"), "\(csv.text)")
            let unknown = try await http.get("/api/v1/metrics/nps?group_by=segments", key: key)
            #expect(unknown.status == .badRequest, "\(unknown.text)")
        }
    }

    /// The counts read an index of the workspace (on SQLite the covering (workspace, survey, time) index of migrations
    /// 0031 and 0032, agent and touchpoint included): no scan of the responses or invitations. PostgreSQL plans an empty table by cost, so its plan is read
    /// with sequential scans priced out; at scale the benchmark reads the planner's choice.
    @Test func theCountsReadTheMetricIndexes() async throws {
        try await TestApp.withDatabase { database in
            let offsets = [UTCOffsetSpan(from: 0, offset: -18_000_000), UTCOffsetSpan(from: 1_000, offset: -14_400_000)]
            for grouping in [nil, MetricCountRequest.Grouping.segment, .attribute("agent"), .channel] {
                let request = MetricCountRequest(surveyIds: ["s1", "s2"], from: 0, to: 10_000_000, dayOffsets: offsets, grouping: grouping,
                                                 attributes: ["touchpoint": "x"], channel: "email", segmentId: "g")
                for (query, table, index) in [
                    (SQLSurveyResponseRepository.metricCountQuery(workspaceId: "w", request, postgres: database.kind == .postgres),
                     "survey_responses", "survey_responses_by_date"),
                    (SQLSurveyInvitationRepository.metricCountQuery(workspaceId: "w", request, postgres: database.kind == .postgres),
                     "survey_invitations", "survey_invitations_by_sent"),
                ] {
                    let plan = try await database.write { db in
                        if db.isPostgres { try await db.raw("SET LOCAL enable_seqscan = off").run() }
                        let explain: SQLQueryString = db.isPostgres ? "EXPLAIN \(query)" : "EXPLAIN QUERY PLAN \(query)"
                        return try await db.raw(explain).all().map { row in
                            db.isPostgres ? try row.decode(column: "QUERY PLAN", as: String.self) : try row.decode(column: "detail", as: String.self)
                        }.joined(separator: "\n")
                    }
                    // SQLite picks the covering index; PostgreSQL, on an empty table, picks among the workspace's
                    // indexes by cost, so there only "no scan of the table" is checked (the benchmark reads its plans at scale).
                    if database.kind == .sqlite { #expect(plan.contains(index), "\(plan)") }
                    if database.kind == .sqlite, grouping == .segment {
                        #expect(plan.contains("COVERING INDEX segment_members_by_customer"), "\(plan)")
                    }
                    // Agent and touchpoint (generated columns of 0032) come from the index: no JSON function runs. (SQLite
                    // plans them as "USING INDEX" with a deferred seek of the row that no column needs.)
                    if database.kind == .sqlite {
                        let functions = try await database.read { db in
                            try await db.raw("EXPLAIN \(query)").all().filter { row in
                                try row.decode(column: "opcode", as: String.self).hasPrefix("Function")
                            }.map { row in (try? row.decode(column: "p4", as: String?.self)).flatMap { $0 } ?? "" }
                        }
                        #expect(!functions.contains { $0.hasPrefix("json") }, "\(functions)")
                    }
                    #expect(!plan.contains("SCAN \(table)") && !plan.contains("SCAN r ") && !plan.contains("SCAN i ")
                            && !plan.contains("Seq Scan on \(table)"), "\(plan)")
                }
            }
        }
    }

    /// Local days: the offset in force at each instant, across DST changes and a half-hour one.
    @Test(arguments: zones)
    func localDaysAreTheCalendarsDays(zone: String) {
        let timeZone = TimeZone(identifier: zone)!
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let offsets = LocalDay.offsets(timeZone: timeZone, from: Self.from, to: Self.to)
        #expect(offsets.count == (["UTC", "Asia/Kolkata"].contains(zone) ? 1 : 3), "\(offsets)")
        for at in Self.instants where at >= Self.from && at < Self.to {
            let parts = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(at) / 1_000))
            var utc = Calendar(identifier: .gregorian)
            utc.timeZone = TimeZone(identifier: "UTC")!
            let day = Int64(utc.date(from: parts)!.timeIntervalSince1970 / 86_400)
            #expect(LocalDay.day(of: at, offsets: offsets) == day, "\(zone) \(at)")
        }
    }
}
