import Foundation
import Hummingbird
import RapportCore
import Testing

/// Issue 12's acceptance: responses imported from CSV (`/api/v1/imports?type=survey_responses`) for published worked
/// examples give exactly the published figures through the metrics API, on both databases:
/// - CSAT: Newcombe (1998), "Two-sided confidence intervals for the single proportion: comparison of seven methods",
///   Statistics in Medicine 17:857–872, Table I, example 81/263, Wilson score interval 0.2553 to 0.3662;
/// - CSAT before and after: Newcombe (1998), "Interval estimation for the difference between independent
///   proportions", Statistics in Medicine 17:873–890, worked example 56/70 − 48/80, method 10: 0.0524 to 0.3339;
/// - NPS: 50 promoters, 30 passives, 20 detractors by the adjusted-Wald recipe MeasuringU publishes (Rocks 2016):
///   +30, 14.05 to 44.20;
/// - CES: ten answers with mean 5.5 and the t interval 4.592 to 6.408 (scipy 1.17.1, `stats.t.interval`).
@Suite("Published examples, imported")
struct PublishedExampleImportTests {
    static func survey(_ http: TestHTTP, _ key: String, question: [String: Any]) async throws -> String {
        let made = try await http.call(.post, "/api/v1/surveys", key: key, json: [
            "name": "Example \(question["id"] ?? "")", "questions": [question], "settings": ["follow_up": ["enabled": false]]])
        let id = try #require(made.string("id"), "\(made.text)")
        #expect(try await http.call(.post, "/api/v1/surveys/\(id)/activate", key: key).status == .ok)
        return id
    }

    /// A CSV of one answer per row to question `column`, each by a person of its own, on `day` (or the days given).
    static func csv(_ column: String, _ scores: [(Int, String)], prefix: String) -> String {
        var lines = ["email,submitted_at,\(column)"]
        for (index, (score, day)) in scores.enumerated() { lines.append("\(prefix)\(index)@example.com,\(day)T10:00:00Z,\(score)") }
        return lines.joined(separator: "\n") + "\n"
    }

    static func imported(_ http: TestHTTP, _ key: String, survey: String, _ csv: String, rows: Int) async throws {
        let done = try await SurveyResponseImportTests.importFile(http, key: key, surveyId: survey, csv)
        #expect(done.string("status") == "completed" && done.json["rows_imported"] as? Int == rows, "\(done.text)")
    }

    static func overall(_ reply: TestHTTP.Reply) throws -> [String: Any] {
        #expect(reply.status == .ok, "\(reply.text)")
        return try #require((reply.json["overall"] as? [String: Any])?["estimate"] as? [String: Any], "\(reply.text)")
    }

    static func close(_ json: Any?, _ expected: Double, _ tolerance: Double) -> Bool {
        guard let value = json as? Double else { return false }
        return abs(value - expected) < tolerance
    }

    @Test func csatNPSAndCESOfPublishedExamplesComeOutAsPublished() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let range = "from=2025-01-01&to=2025-12-31"

            // CSAT 81 satisfied (4 or 5 on 1–5) of 263: 30.80 %, Wilson 25.53 % to 36.62 %.
            let csat = try await Self.survey(http, key, question: ["id": "csat", "type": "csat", "text": "How satisfied are you?", "scale": "1-5"])
            let csatScores: [(Int, String)] = (0..<263).map { (index: Int) -> (Int, String) in
                let score: Int = index < 81 ? 4 + index % 2 : 1 + index % 3
                return (score, "2025-03-0\(1 + index % 9)")
            }
            try await Self.imported(http, key, survey: csat, Self.csv("csat", csatScores, prefix: "c"), rows: 263)
            let csatEstimate = try Self.overall(try await http.get("/api/v1/metrics/csat?survey=\(csat)&\(range)", key: key))
            #expect(csatEstimate["n"] as? Int == 263 && Self.close(csatEstimate["value"], 100 * 81.0 / 263, 1e-9), "\(csatEstimate)")
            #expect(Self.close(csatEstimate["low"], 25.53, 0.005) && Self.close(csatEstimate["high"], 36.62, 0.005), "\(csatEstimate)")

            // NPS 50/30/20 of 100: +30, 14.05 to 44.20.
            let nps = try await Self.survey(http, key, question: ["id": "nps", "type": "nps", "text": "Would you recommend us?"])
            let npsScores: [(Int, String)] = (0..<100).map { (index: Int) -> (Int, String) in
                let score: Int = index < 50 ? 9 + index % 2 : (index < 80 ? 7 + index % 2 : index % 7)
                return (score, "2025-04-1\(index % 10)")
            }
            try await Self.imported(http, key, survey: nps, Self.csv("nps", npsScores, prefix: "n"), rows: 100)
            let npsEstimate = try Self.overall(try await http.get("/api/v1/metrics/nps?survey=\(nps)&\(range)", key: key))
            #expect(npsEstimate["n"] as? Int == 100 && Self.close(npsEstimate["value"], 30, 1e-9), "\(npsEstimate)")
            #expect(Self.close(npsEstimate["low"], 14.05, 0.005) && Self.close(npsEstimate["high"], 44.20, 0.005), "\(npsEstimate)")

            // CES: 5, 6, 7, 4, 6, 5, 7, 6, 3, 6 on 1–7: mean 5.5, t interval 4.592 to 6.408.
            let ces = try await Self.survey(http, key, question: ["id": "effort", "type": "ces", "text": "It was easy to handle my issue."])
            let cesScores: [(Int, String)] = [5, 6, 7, 4, 6, 5, 7, 6, 3, 6].map { (score: Int) -> (Int, String) in (score, "2025-05-20") }
            try await Self.imported(http, key, survey: ces, Self.csv("effort", cesScores, prefix: "e"), rows: 10)
            let cesEstimate = try Self.overall(try await http.get("/api/v1/metrics/ces?survey=\(ces)&\(range)", key: key))
            #expect(cesEstimate["n"] as? Int == 10 && Self.close(cesEstimate["value"], 5.5, 1e-9), "\(cesEstimate)")
            #expect(Self.close(cesEstimate["low"], 4.592000685735766, 1e-6) && Self.close(cesEstimate["high"], 6.407999314264234, 1e-6),
                    "\(cesEstimate)")
        }
    }

    @Test func aBeforeAndAfterOfImportedCSATGivesNewcombesWorkedExample() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            // After (B): 56 satisfied of 70 in June; before (A): 48 of 80 in March. B − A = 20 points, 5.24 to 33.39.
            let csat = try await Self.survey(http, key, question: ["id": "csat", "type": "csat", "text": "How satisfied are you?", "scale": "1-5"])
            let before: [(Int, String)] = (0..<80).map { (index: Int) -> (Int, String) in (index < 48 ? 5 : 2, "2025-03-1\(index % 10)") }
            let after: [(Int, String)] = (0..<70).map { (index: Int) -> (Int, String) in (index < 56 ? 4 : 1, "2025-06-1\(index % 10)") }
            try await Self.imported(http, key, survey: csat, Self.csv("csat", before, prefix: "b") , rows: 80)
            try await Self.imported(http, key, survey: csat, Self.csv("csat", after, prefix: "a"), rows: 70)
            let reply = try await http.get("/api/v1/metrics/csat/compare?survey=\(csat)&a_from=2025-03-01&a_to=2025-03-31&b_from=2025-06-01&b_to=2025-06-30",
                                           key: key)
            #expect(reply.status == .ok, "\(reply.text)")
            let difference = try #require(reply.json["difference"] as? [String: Any], "\(reply.text)")
            #expect(Self.close(difference["value"], 20, 1e-9) && Self.close(difference["low"], 5.24, 0.005)
                && Self.close(difference["high"], 33.39, 0.005), "\(difference)")
            #expect(difference["significant"] as? Bool == true)
        }
    }
}
