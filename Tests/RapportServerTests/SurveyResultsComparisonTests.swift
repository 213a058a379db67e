import Foundation
import Hummingbird
import RapportCore
import RapportRuntime
import Testing

/// A survey's results page compares before and after a change date (docs/methods.md, "Comparing"): the difference
/// with its interval and p-value, read as a real change when the interval excludes 0 and as noise when it does not;
/// and the dashboard carries the response-rate tile and the goals.
@Suite("Survey results: before and after")
struct SurveyResultsComparisonTests {
    /// February 2026: 8 promoters, 12 passives, 20 detractors (NPS −30), the same every fortnight; March: 24
    /// promoters, 10 passives, 6 detractors (NPS +45).
    static func seed(_ http: TestHTTP, _ key: String) async throws -> String {
        let survey = try await FollowUpTests.activeSurvey(http, key, followUp: ["enabled": false])
        let february = Array(repeating: 10, count: 8) + Array(repeating: 8, count: 12) + Array(repeating: 3, count: 20)
        let march = Array(repeating: 9, count: 24) + Array(repeating: 7, count: 10) + Array(repeating: 5, count: 6)
        for (month, scores) in [(2, february), (3, march)] {
            for (index, score) in scores.enumerated() {
                // Each kind of answer spread evenly over the month's first 28 days.
                let day = 1 + (index * 7) % 28
                let reply = try await http.call(.post, "/api/v1/surveys/\(survey)/responses", key: key, json: [
                    "email": "m\(month)-\(index)@example.com", "answers": ["score": score],
                    "submitted_at": String(format: "2026-%02d-%02dT10:00:00Z", month, day), "channel": "import"])
                #expect(reply.status == .created, "\(reply.text)")
            }
        }
        return survey
    }

    @Test func aChangeDateSplitsTheRangeAndTheDifferenceSaysWhetherItIsReal() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let survey = try await Self.seed(http, acme.adminKey)
            var browser = BrowserSessionTests.Browser(http: http)
            try await browser.signIn()
            let base = "/surveys/\(survey)/results?range=custom&from=2026-02-01&to=2026-03-31"

            let real = try await browser.request(.get, base + "&change=2026-03-01")
            #expect(real.status == .ok, "\(real.text)")
            let expected = try #require(NetPromoterScore.compare(NetPromoterScore(promoters: 24, passives: 10, detractors: 6),
                                                                 NetPromoterScore(promoters: 8, passives: 12, detractors: 20)))
            #expect(real.text.contains("data-testid=\"before-value\">−30</td>") && real.text.contains("data-testid=\"after-value\">45</td>"),
                    "\(real.text)")
            #expect(real.text.contains("data-testid=\"difference\">+75</strong>, 95 % interval \(ChartNumber.text(expected.low)) to \(ChartNumber.text(expected.high))"),
                    "\(real.text)")
            #expect(expected.isSignificant && real.text.contains("The change is larger than noise"))

            // Within February nothing changed: the two halves differ by noise only.
            let noise = try await browser.request(.get, "/surveys/\(survey)/results?range=custom&from=2026-02-01&to=2026-02-28&change=2026-02-15")
            #expect(noise.text.contains("The difference is within noise"), "\(noise.text)")

            let outside = try await browser.request(.get, base + "&change=2026-05-01")
            #expect(outside.status == .unprocessableContent && outside.text.contains("must fall inside the dates shown"), "\(outside.status)")
            let malformed = try await browser.request(.get, base + "&change=first-of-march")
            #expect(malformed.status == .unprocessableContent && malformed.text.contains("The date of the change must be a date like"),
                    "\(malformed.status)")

            // The dashboard: a response-rate tile (no invitations yet: no value, not 0) and the goals card.
            let home = try await browser.request(.get, "/")
            #expect(home.text.contains("Response rate") && home.text.contains("data-testid=\"dashboard-goals\""), "\(home.text)")
            let goal = try await http.call(.post, "/api/v1/goals", key: acme.adminKey, json: [
                "name": "NPS above zero", "metric": "nps", "target": 0, "due_date": "2027-12-31", "survey_id": survey, "window_days": 365])
            #expect(goal.status == .created, "\(goal.text)")
            let withGoal = try await browser.request(.get, "/")
            #expect(withGoal.text.contains("NPS above zero"), "\(withGoal.text)")
        }
    }
}
