import Foundation
import Hummingbird
import RapportCore
import RapportRuntime
import Testing

/// `GET /api/v1/metrics/{nps|csat|ces}` (docs/api.md "Metrics", docs/methods.md): the figure with its interval, n and
/// small-sample flag, overall, as a weekly trend with empty weeks left empty (not 0), and by agent; filters, errors,
/// roles and tenancy. The methods themselves are checked against references in RapportCoreTests/MetricsTests.
@Suite("Survey metrics")
struct SurveyMetricsTests {
    static func close(_ json: Any?, _ expected: Double?) -> Bool {
        guard let value = json as? Double, let expected else { return false }
        return abs(value - expected) < 1e-9
    }

    static func respond(_ http: TestHTTP, _ key: String, survey: String, score: Int, agent: String, at date: String,
                        n: Int) async throws {
        let reply = try await http.call(.post, "/api/v1/surveys/\(survey)/responses", key: key, json: [
            "email": "p\(n)@example.com", "answers": ["score": score], "attributes": ["agent": agent, "touchpoint": "support"],
            "submitted_at": date, "channel": "import"])
        #expect(reply.status == .created, "\(reply.text)")
    }

    @Test func npsComesWithItsIntervalAsAWeeklyTrendAndByAgent() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let survey = try await FollowUpTests.activeSurvey(http, key, followUp: ["enabled": false])
            let answers: [(Int, String, String)] = [
                (10, "sam", "2026-03-02T09:00:00Z"), (10, "sam", "2026-03-03T09:00:00Z"), (9, "sam", "2026-03-04T09:00:00Z"),
                (6, "sam", "2026-03-08T23:59:00Z"), (3, "kim", "2026-03-05T09:00:00Z"), (8, "kim", "2026-03-06T09:00:00Z"),
                (10, "sam", "2026-03-17T09:00:00Z"), (0, "kim", "2026-03-18T09:00:00Z"),
                (10, "sam", "2026-04-20T09:00:00Z"), // outside the range asked for
            ]
            for (index, (score, agent, date)) in answers.enumerated() {
                try await Self.respond(http, key, survey: survey, score: score, agent: agent, at: date, n: index)
            }

            let reply = try await http.get("/api/v1/metrics/nps?survey=\(survey)&from=2026-03-02&to=2026-03-22&interval=week&group_by=agent",
                                           key: key)
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(reply.json["metric"] as? String == "nps" && reply.json["level"] as? Double == 0.95 && reply.json["time_zone"] as? String == Workspace.defaultTimeZone)
            let overall = try #require(reply.json["overall"] as? [String: Any])
            let estimate = try #require(overall["estimate"] as? [String: Any], "\(reply.text)")
            // 4 promoters, 1 passive, 3 detractors of 8: NPS 12.5 with the adjusted-Wald interval.
            let expected = try #require(NetPromoterScore(promoters: 4, passives: 1, detractors: 3).estimate())
            #expect(estimate["value"] as? Double == 12.5 && estimate["n"] as? Int == 8 && estimate["small_sample"] as? Bool == true)
            #expect(Self.close(estimate["low"], expected.low) && Self.close(estimate["high"], expected.high), "\(estimate)")

            // Three weeks from Monday 2 March: the empty middle week has no value, not 0.
            let series = try #require(overall["series"] as? [[String: Any]])
            #expect(series.compactMap { $0["start"] as? String } == ["2026-03-02T00:00:00.000Z", "2026-03-09T00:00:00.000Z", "2026-03-16T00:00:00.000Z"])
            #expect((series[0]["estimate"] as? [String: Any])?["n"] as? Int == 6)
            #expect(series[1]["estimate"] is NSNull)
            #expect((series[2]["estimate"] as? [String: Any])?["value"] as? Double == 0)

            // By agent, the largest group first: Sam 4 promoters and 1 detractor of 5 (60), Kim 2 detractors of 3.
            let groups = try #require(reply.json["groups"] as? [[String: Any]])
            #expect(groups.compactMap { $0["key"] as? String } == ["sam", "kim"])
            #expect((groups[0]["estimate"] as? [String: Any])?["value"] as? Double == 60)
            let kim = try #require(groups[1]["estimate"] as? [String: Any])
            #expect(abs((kim["value"] as? Double ?? 0) + 200.0 / 3) < 1e-9 && kim["n"] as? Int == 3)
            #expect((groups[0]["series"] as? [[String: Any]])?.count == 3)

            // Filters by a trigger attribute; a higher threshold and level; the default range (90 days to now).
            let sam = try await http.get("/api/v1/metrics/nps?survey=\(survey)&from=2026-03-01&to=2026-03-31&agent=sam&small_sample=3&level=0.99",
                                         key: key)
            let samEstimate = try #require((sam.json["overall"] as? [String: Any])?["estimate"] as? [String: Any], "\(sam.text)")
            let samExpected = try #require(NetPromoterScore(promoters: 4, passives: 0, detractors: 1).estimate(level: 0.99))
            #expect(samEstimate["n"] as? Int == 5 && samEstimate["small_sample"] as? Bool == false && samEstimate["level"] as? Double == 0.99)
            #expect(Self.close(samEstimate["low"], samExpected.low))
            let byTouchpoint = try await http.get("/api/v1/metrics/nps?from=2026-01-01&to=2026-12-31&group_by=touchpoint", key: key)
            #expect((byTouchpoint.json["groups"] as? [[String: Any]])?.first?["key"] as? String == "support", "\(byTouchpoint.text)")
            #expect(((byTouchpoint.json["overall"] as? [String: Any])?["estimate"] as? [String: Any])?["n"] as? Int == 9)
        }
    }

    @Test func emptyGroupsHaveNoValueAndBadQueriesAreRefused() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let survey = try await FollowUpTests.activeSurvey(http, key)

            let none = try await http.get("/api/v1/metrics/ces", key: key)
            #expect(none.status == .ok && (none.json["overall"] as? [String: Any])?["estimate"] is NSNull, "\(none.text)")
            let wrong = try await http.get("/api/v1/metrics/csat?survey=\(survey)", key: key)
            #expect(wrong.status == .unprocessableContent && SurveyTests.field(wrong) == "survey", "\(wrong.text)")
            for query in ["interval=hour", "level=0.5", "group_by=mood", "from=yesterday", "small_sample=0", "survey=x",
                          "agent=\(String(repeating: "a", count: 201))"] {
                #expect(try await http.get("/api/v1/metrics/nps?\(query)", key: key).status == .badRequest, "\(query)")
            }
            let backwards = try await http.get("/api/v1/metrics/nps?from=2026-03-02&to=2026-03-01", key: key)
            #expect(backwards.status == .unprocessableContent && SurveyTests.field(backwards) == "from")
            let tooMany = try await http.get("/api/v1/metrics/nps?from=2024-01-01&to=2026-01-01&interval=day", key: key)
            #expect(tooMany.status == .unprocessableContent && SurveyTests.field(tooMany) == "from")
            #expect(try await http.get("/api/v1/metrics/mood", key: key).status == .notFound)
            #expect(try await http.get("/api/v1/metrics/nps?segment=11111111-1111-7111-8111-111111111111", key: key).status == .notFound)

            // Analysts read; another workspace sees neither the survey nor its numbers.
            let read = try await acme.key(services, scope: .read)
            #expect(try await http.get("/api/v1/metrics/nps?survey=\(survey)", key: read).status == .ok)
            let other = try await Fixture.make(services, name: "Other", ownerEmail: "owner@other.test")
            #expect(try await http.get("/api/v1/metrics/nps?survey=\(survey)", key: other.adminKey).status == .notFound)
            _ = try await FollowUpTests.answer(http, key, survey: survey, email: "mia@example.com", score: 9)
            let theirs = try await http.get("/api/v1/metrics/nps", key: other.adminKey)
            #expect((theirs.json["overall"] as? [String: Any])?["estimate"] is NSNull)
            let ours = try await http.get("/api/v1/metrics/nps", key: key)
            #expect(((ours.json["overall"] as? [String: Any])?["estimate"] as? [String: Any])?["value"] as? Double == 100)
        }
    }
}
