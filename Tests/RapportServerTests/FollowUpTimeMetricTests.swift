import Foundation
import Hummingbird
import RapportCore
import RapportRuntime
import Testing

/// `GET /api/v1/metrics/follow_up_time` (docs/methods.md "Time to close a follow-up"): the median hours from a case's
/// opening to its close over the closed cases opened in the range, with the order-statistic interval, and the count
/// still open; by owner (agent), the owner's team and survey.
@Suite("Follow-up time metric")
struct FollowUpTimeMetricTests {
    static let hour: Int64 = 3_600_000

    static func addCase(_ services: AppServices, _ acme: Fixture, survey: String, openedAt: String, hoursToClose: Int64?,
                        owner: String? = nil) async throws {
        let ids = services.core.ids, opened = ResponseRateMetricTests.millis(openedAt)
        let followUp = FollowUpCase(id: ids.next(), workspaceId: acme.workspace.id, surveyId: survey, responseId: ids.next(),
                                    customerId: nil, ownerId: owner, status: hoursToClose == nil ? .open : .resolved,
                                    outcome: hoursToClose == nil ? nil : "issue fixed", score: 2, band: .detractor,
                                    dueAt: opened + 48 * hour, createdAt: opened, updatedAt: opened,
                                    closedAt: hoursToClose.map { opened + $0 * hour })
        try await services.core.store.write { try await $0.followUps.insert(followUp) }
    }

    @Test func theMedianTimeToCloseWithItsIntervalAndTheCasesStillOpen() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let survey = try await FollowUpTests.activeSurvey(http, key)
            let sam = try await FollowUpTests.addAgent(services, acme)
            #expect(try await http.call(.post, "/api/v1/teams", key: key, json: ["name": "Support EU", "member_ids": [sam]]).status == .created)
            // Closed after 1, 2, 4, 10 (Sam's), 30, 48 and 60 hours; two still open; one opened before the range.
            for (hours, owner) in [(1, sam), (2, sam), (4, sam), (10, sam), (30, nil), (48, nil), (60, nil)] as [(Int64, String?)] {
                try await Self.addCase(services, acme, survey: survey, openedAt: "2026-03-0\(hours % 9 + 1)T08:00:00Z", hoursToClose: hours, owner: owner)
            }
            try await Self.addCase(services, acme, survey: survey, openedAt: "2026-03-20T08:00:00Z", hoursToClose: nil, owner: sam)
            try await Self.addCase(services, acme, survey: survey, openedAt: "2026-03-21T08:00:00Z", hoursToClose: nil)
            try await Self.addCase(services, acme, survey: survey, openedAt: "2026-02-20T08:00:00Z", hoursToClose: 500)

            let reply = try await http.get("/api/v1/metrics/follow_up_time?from=2026-03-01&to=2026-03-31&group_by=agent", key: key)
            #expect(reply.status == .ok, "\(reply.text)")
            let overall = try #require(reply.json["overall"] as? [String: Any])
            let estimate = try #require(overall["estimate"] as? [String: Any], "\(reply.text)")
            // Seven closed: median 10 h; for n = 7, P(B ≤ 0) = 1/128 ≤ 0.025 < P(B ≤ 1) = 8/128, so ranks 1 and 7.
            #expect(estimate["value"] as? Double == 10 && estimate["n"] as? Int == 7, "\(estimate)")
            #expect(estimate["low"] as? Double == 1 && estimate["high"] as? Double == 60, "\(estimate)")
            #expect(overall["open"] as? Int == 2)
            let groups = try #require(reply.json["groups"] as? [[String: Any]])
            let samGroup = try #require(groups.first { $0["key"] as? String == sam }, "\(reply.text)")
            // Sam: 1, 2, 4, 10 → (2 + 4) / 2; fewer than six values, so no 95 % interval; one still open.
            #expect(samGroup["label"] as? String == "Sam" && samGroup["open"] as? Int == 1)
            let samEstimate = try #require(samGroup["estimate"] as? [String: Any])
            #expect(samEstimate["value"] as? Double == 3 && samEstimate["low"] is NSNull && samEstimate["n"] as? Int == 4)
            let nobody = try #require(groups.first { $0["key"] is NSNull })
            #expect((nobody["estimate"] as? [String: Any])?["value"] as? Double == 48 && nobody["open"] as? Int == 1)

            let byTeam = try await http.get("/api/v1/metrics/follow_up_time?from=2026-03-01&to=2026-03-31&group_by=team", key: key)
            let teams = try #require(byTeam.json["groups"] as? [[String: Any]], "\(byTeam.text)")
            #expect(teams.compactMap { $0["label"] as? String } == ["(none)", "Support EU"] || teams.compactMap { $0["label"] as? String } == ["Support EU", "(none)"])
            #expect((teams.first { $0["label"] as? String == "Support EU" }?["estimate"] as? [String: Any])?["n"] as? Int == 4)

            // Only open cases: no median, but the count.
            let onlyOpen = try await http.get("/api/v1/metrics/follow_up_time?from=2026-03-20&to=2026-03-22", key: key)
            let onlyOpenOverall = try #require(onlyOpen.json["overall"] as? [String: Any], "\(onlyOpen.text)")
            #expect(onlyOpenOverall["estimate"] is NSNull && onlyOpenOverall["open"] as? Int == 2)
        }
    }

    /// The follow-up queue's close statistics use the metrics' median: one median in Rapport.
    @Test func closeStatisticsShareTheMetricsMedian() {
        let durations: [Int64] = [5, 1, 9, 3]
        let stats = FollowUpCloseStats.compute(surveyId: "s", opened: 4, closedCases: durations.map { (createdAt: 0, dueAt: 10, closedAt: $0) })
        #expect(stats.medianMillisToClose == Int64(MeanAndMedian.median(durations.map(Double.init))!.value))
        #expect(stats.medianMillisToClose == 4)
    }
}
