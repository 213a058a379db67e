import Foundation
import Hummingbird
import HTTPTypes
import RapportCore
import RapportRuntime
import Testing

/// `GET /api/v1/metrics/{metric}/compare` and `format=csv` (docs/api.md "Metrics"): two periods or two groups, both
/// estimates and B − A with its interval and p-value. Reference values computed with scipy 1.17.1: NPS by the adjusted
/// scores' z (Rocks 2016), CES by `ttest_ind(b, a, equal_var=False)` and its `confidence_interval(0.95)`, the response
/// rate by Newcombe's hybrid score interval and the pooled z test.
@Suite("Metric comparisons and CSV")
struct MetricComparisonTests {
    static func close(_ json: Any?, _ expected: Double, _ tolerance: Double = 1e-6) -> Bool {
        guard let value = json as? Double else { return false }
        return abs(value - expected) < tolerance
    }

    static func effortSurvey(_ http: TestHTTP, _ key: String) async throws -> String {
        let made = try await http.call(.post, "/api/v1/surveys", key: key, json: [
            "name": "Effort", "questions": [["id": "effort", "type": "ces", "text": "The company made it easy to handle my issue."]],
            "settings": ["follow_up": ["enabled": false]]])
        let id = try #require(made.string("id"), "\(made.text)")
        #expect(try await http.call(.post, "/api/v1/surveys/\(id)/activate", key: key).status == .ok)
        return id
    }

    @Test func twoPeriodsOfNPS() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let survey = try await FollowUpTests.activeSurvey(http, key, followUp: ["enabled": false])
            let before = [10, 10, 9, 6, 3, 8], after = [10, 10, 10, 9, 7, 2]
            for (index, score) in before.enumerated() {
                try await SurveyMetricsTests.respond(http, key, survey: survey, score: score, agent: "sam", at: "2026-03-0\(index + 2)T09:00:00Z", n: index)
            }
            for (index, score) in after.enumerated() {
                try await SurveyMetricsTests.respond(http, key, survey: survey, score: score, agent: "kim", at: "2026-03-\(index + 16)T09:00:00Z", n: 10 + index)
            }
            let reply = try await http.get("/api/v1/metrics/nps/compare?survey=\(survey)&a_from=2026-03-02&a_to=2026-03-08&b_from=2026-03-16&b_to=2026-03-22",
                                           key: key)
            #expect(reply.status == .ok, "\(reply.text)")
            let a = try #require(reply.json["a"] as? [String: Any]), b = try #require(reply.json["b"] as? [String: Any])
            #expect(a["from"] as? String == "2026-03-02T00:00:00.000Z" && a["to"] as? String == "2026-03-09T00:00:00.000Z")
            #expect((a["estimate"] as? [String: Any])?["n"] as? Int == 6 && (b["estimate"] as? [String: Any])?["n"] as? Int == 6)
            let difference = try #require(reply.json["difference"] as? [String: Any])
            // B: 4 promoters, 1 detractor (50); A: 3 and 2 (16.7): +33.3 points, −52.867 to 97.311, p = 0.56189 (scipy).
            #expect(Self.close(difference["value"], 100.0 / 3) && Self.close(difference["low"], -52.86675963500427)
                && Self.close(difference["high"], 97.31120407944871) && Self.close(difference["p_value"], 0.561886366893368), "\(difference)")
            #expect(difference["significant"] as? Bool == false)

            // The same as CSV: a, b and the difference.
            let csv = try await http.get("/api/v1/metrics/nps/compare?survey=\(survey)&a_from=2026-03-02&a_to=2026-03-08&b_from=2026-03-16&b_to=2026-03-22&format=csv",
                                         key: key)
            #expect(csv.status == .ok && csv.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(csv.headers[.contentDisposition] == "attachment; filename=\"nps-comparison.csv\"")
            let lines = csv.text.components(separatedBy: "\r\n")
            #expect(lines.first == "metric,row,from,to,group_by,group,value,low,high,level,n,small_sample,p_value")
            #expect(lines.count == 5 && lines[3].hasPrefix("nps,b_minus_a,,,,,33.33333333333") && lines[4].isEmpty, "\(csv.text)")
            #expect(lines[1].hasPrefix("nps,a,2026-03-02T00:00:00.000Z,2026-03-09T00:00:00.000Z,,,16.666666666666"), "\(lines[1])")

            // An empty side: its estimate and the difference are null.
            let empty = try await http.get("/api/v1/metrics/nps/compare?a_from=2026-03-02&a_to=2026-03-08&b_from=2026-05-01&b_to=2026-05-31", key: key)
            #expect(empty.status == .ok && (empty.json["b"] as? [String: Any])?["estimate"] is NSNull && empty.json["difference"] is NSNull,
                    "\(empty.text)")
        }
    }

    @Test func twoGroupsOfCESByWelchAndOfResponseRateByNewcombe() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let survey = try await Self.effortSurvey(http, key)
            let scores: [(String, Int)] = [("sam", 7), ("sam", 6), ("sam", 5), ("sam", 7), ("kim", 3), ("kim", 4), ("kim", 2), ("kim", 5), ("kim", 4)]
            for (index, (agent, score)) in scores.enumerated() {
                let reply = try await http.call(.post, "/api/v1/surveys/\(survey)/responses", key: key, json: [
                    "email": "p\(index)@example.com", "answers": ["effort": score], "attributes": ["agent": agent],
                    "submitted_at": "2026-03-1\(index)T09:00:00Z", "channel": "import"])
                #expect(reply.status == .created, "\(reply.text)")
            }
            let reply = try await http.get("/api/v1/metrics/ces/compare?from=2026-03-01&to=2026-03-31&group_by=agent&a=sam&b=kim", key: key)
            #expect(reply.status == .ok, "\(reply.text)")
            #expect((reply.json["a"] as? [String: Any])?["group"] as? String == "sam" && reply.json["group_by"] as? String == "agent")
            let difference = try #require(reply.json["difference"] as? [String: Any], "\(reply.text)")
            // kim 3.6 − sam 6.25 = −2.65, 95 % −4.30601 to −0.99399, p = 0.0068951 (scipy's Welch test).
            #expect(Self.close(difference["value"], -2.65) && Self.close(difference["low"], -4.306012149955929)
                && Self.close(difference["high"], -0.9939878500440704) && Self.close(difference["p_value"], 0.0068950609417238054), "\(difference)")
            #expect(difference["significant"] as? Bool == true)

            // Response rate: sam 3 of 4, kim 1 of 3: −41.67 points, −75.679 to 22.568, p = 0.27029.
            for (agent, status) in [("sam", SurveyInvitation.Status.responded), ("sam", .responded), ("sam", .responded), ("sam", .sent),
                                    ("kim", .responded), ("kim", .sent), ("kim", .dismissed)] {
                try await ResponseRateMetricTests.invite(services, acme, survey: survey, status: status, sentAt: "2026-03-05T09:00:00Z", agent: agent)
            }
            let rates = try await http.get("/api/v1/metrics/response_rate/compare?from=2026-03-01&to=2026-03-31&group_by=agent&a=sam&b=kim", key: key)
            let rateDifference = try #require(rates.json["difference"] as? [String: Any], "\(rates.text)")
            #expect(Self.close(rateDifference["value"], -125.0 / 3) && Self.close(rateDifference["low"], -75.67876870495465)
                && Self.close(rateDifference["high"], 22.568077837486662) && Self.close(rateDifference["p_value"], 0.2702893848016985), "\(rateDifference)")
        }
    }

    @Test func aReportAsCSVHasOneRowPerGroupAndPeriodWithQuoting() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let survey = try await FollowUpTests.activeSurvey(http, key, followUp: ["enabled": false])
            try await SurveyMetricsTests.respond(http, key, survey: survey, score: 10, agent: "Doe, \"Jo\"", at: "2026-03-02T09:00:00Z", n: 1)
            try await SurveyMetricsTests.respond(http, key, survey: survey, score: 9, agent: "Doe, \"Jo\"", at: "2026-03-10T09:00:00Z", n: 2)
            let csv = try await http.get("/api/v1/metrics/nps?from=2026-03-02&to=2026-03-15&interval=week&group_by=agent", key: key,
                                         headers: [.accept: "text/csv"])
            #expect(csv.status == .ok && csv.headers[.contentDisposition] == "attachment; filename=\"nps.csv\"", "\(csv.text)")
            let lines = csv.text.components(separatedBy: "\r\n")
            // All promoters: NPS 100 with the adjusted-Wald interval's upper end below 100.
            let two = try #require(NetPromoterScore(promoters: 2, passives: 0, detractors: 0).estimate())
            let one = try #require(NetPromoterScore(promoters: 1, passives: 0, detractors: 0).estimate())
            // Whole numbers are written without ".0" (two promoters' interval reaches 100).
            func text(_ value: Double?) -> String { value.map { $0 == $0.rounded() ? String(Int64($0)) : String($0) } ?? "" }
            #expect(lines == [
                "metric,group_by,group,key,period_start,value,low,high,level,n,small_sample,open",
                "nps,agent,All responses,,,100,\(text(two.low)),\(text(two.high)),0.95,2,true,",
                "nps,agent,All responses,,2026-03-02T00:00:00.000Z,100,\(text(one.low)),\(text(one.high)),0.95,1,true,",
                "nps,agent,All responses,,2026-03-09T00:00:00.000Z,100,\(text(one.low)),\(text(one.high)),0.95,1,true,",
                "nps,agent,\"Doe, \"\"Jo\"\"\",\"Doe, \"\"Jo\"\"\",,100,\(text(two.low)),\(text(two.high)),0.95,2,true,",
                "nps,agent,\"Doe, \"\"Jo\"\"\",\"Doe, \"\"Jo\"\"\",2026-03-02T00:00:00.000Z,100,\(text(one.low)),\(text(one.high)),0.95,1,true,",
                "nps,agent,\"Doe, \"\"Jo\"\"\",\"Doe, \"\"Jo\"\"\",2026-03-09T00:00:00.000Z,100,\(text(one.low)),\(text(one.high)),0.95,1,true,",
                "",
            ], "\(csv.text)")
            // An empty range: the overall row with no value, n 0.
            let empty = try await http.get("/api/v1/metrics/csat?format=csv", key: key)
            #expect(empty.text == "metric,group_by,group,key,period_start,value,low,high,level,n,small_sample,open\r\ncsat,,All responses,,,,,,0.95,0,,\r\n",
                    "\(empty.text)")
            #expect(try await http.get("/api/v1/metrics/nps?format=xml", key: key).status == .badRequest)
            #expect(try await http.get("/api/v1/metrics/nps?format=json", key: key, headers: [.accept: "text/csv"]).headers[.contentType]?
                .hasPrefix("application/json") == true)
        }
    }

    @Test func badComparisonsAreRefused() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let cases: [(String, HTTPResponse.Status, String?)] = [
                ("", .badRequest, "a_from"),
                ("a_from=2026-03-01&a_to=2026-03-02&b_from=2026-03-03", .badRequest, "b_to"),
                ("a=sam", .badRequest, "b"),
                ("a=sam&b=kim&a_from=2026-03-01", .badRequest, "a_from"),
                ("a=sam&b=kim", .unprocessableContent, "group_by"),
                ("group_by=agent&a=sam&b=sam", .unprocessableContent, "b"),
                ("a_from=2026-03-05&a_to=2026-03-01&b_from=2026-03-03&b_to=2026-03-04", .unprocessableContent, "a_from"),
                ("a_from=2026-03-01&a_to=2026-03-02&b_from=2026-03-05T00:00:00Z&b_to=2026-03-05T00:00:00Z", .unprocessableContent, "b_from"),
                ("group_by=mood&a=x&b=y", .badRequest, "group_by"),
                ("a_from=yesterday&a_to=2026-03-02&b_from=2026-03-03&b_to=2026-03-04", .badRequest, "a_from"),
            ]
            for (query, status, field) in cases {
                let reply = try await http.get("/api/v1/metrics/nps/compare?\(query)", key: key)
                #expect(reply.status == status && SurveyTests.field(reply) == field, "\(query): \(reply.text)")
            }
            #expect(try await http.get("/api/v1/metrics/mood/compare?group_by=agent&a=x&b=y", key: key).status == .notFound)
            // Follow-up time: both medians, no test of their difference.
            let times = try await http.get("/api/v1/metrics/follow_up_time/compare?group_by=agent&a=x&b=y", key: key)
            #expect(times.status == .ok && times.json["difference"] is NSNull, "\(times.text)")
            let read = try await acme.key(services, scope: .read)
            #expect(try await http.get("/api/v1/metrics/nps/compare?group_by=agent&a=x&b=y", key: read).status == .ok)
            #expect(try await http.get("/api/v1/metrics/nps/compare?group_by=agent&a=x&b=y").status == .unauthorized)
        }
    }
}
