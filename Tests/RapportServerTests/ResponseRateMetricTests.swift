import Foundation
import Hummingbird
import RapportCore
import RapportRuntime
import Testing

/// `GET /api/v1/metrics/response_rate` (docs/methods.md "Response rate"): answered over delivered invitations by their
/// sent time, with the Wilson interval; suppressed, cancelled, scheduled and failed invitations are not delivered.
/// Reference intervals from scipy 1.17.1 (`norm.ppf(0.975)` in Wilson's formula).
@Suite("Response rate metric")
struct ResponseRateMetricTests {
    static func millis(_ text: String) -> Int64 { Int64((ISO8601DateFormatter().date(from: text)!.timeIntervalSince1970 * 1_000).rounded()) }

    /// Inserts one invitation as the send path leaves it.
    static func invite(_ services: AppServices, _ acme: Fixture, survey: String, status: SurveyInvitation.Status, sentAt: String?,
                       channel: String = "email", agent: String? = nil, team: String? = nil, emailState: OutboundEmail.State? = nil,
                       customer: String? = nil) async throws {
        let ids = services.core.ids, workspaceId = acme.workspace.id
        var attributes: [String: String] = [:]
        if let agent { attributes["agent"] = agent }
        if let team { attributes["team"] = team }
        let sent = sentAt.map(Self.millis)
        var invitation = SurveyInvitation(id: ids.next(), workspaceId: workspaceId, surveyId: survey, customerId: customer ?? ids.next(),
                                          channel: channel, status: status, attributes: attributes, source: "api",
                                          sendAt: sent ?? Self.millis("2026-03-01T00:00:00Z"), sentAt: sent,
                                          respondedAt: status == .responded ? sent.map { $0 + 60_000 } : nil, createdAt: 0, updatedAt: 0)
        if let emailState {
            var email = OutboundEmail(id: ids.next(), workspaceId: workspaceId, customerId: invitation.customerId, recipient: "x@example.com",
                                      purpose: "surveys", templateId: nil, content: EmailContent(subject: "s", text: "t", html: nil),
                                      messageId: ids.next(), unsubscribeToken: nil, source: "survey", now: 0)
            email.state = emailState
            invitation.emailId = email.id
            let stored = email
            try await services.core.store.write { try await $0.emails.insert(stored) }
        }
        let stored = invitation
        try await services.core.store.write { try await $0.surveyInvitations.insert(stored) }
    }

    static func estimate(_ group: Any?) -> [String: Any]? { (group as? [String: Any])?["estimate"] as? [String: Any] }

    @Test func answeredOverDeliveredInvitationsWithTheWilsonInterval() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let survey = try await FollowUpTests.activeSurvey(http, key, followUp: ["enabled": false])
            let sam = try await FollowUpTests.addAgent(services, acme)
            let team = try await http.call(.post, "/api/v1/teams", key: key, json: ["name": "Support EU", "member_ids": [sam]])
            #expect(team.status == .created, "\(team.text)")
            // Delivered: two of sam's (one answered), kim's email (not answered) and kim's widget showing (answered).
            try await Self.invite(services, acme, survey: survey, status: .responded, sentAt: "2026-03-02T09:00:00Z", agent: "sam@acme.test",
                                  emailState: .sent)
            try await Self.invite(services, acme, survey: survey, status: .sent, sentAt: "2026-03-03T09:00:00Z", agent: "SAM@acme.test",
                                  emailState: .queued)
            try await Self.invite(services, acme, survey: survey, status: .sent, sentAt: "2026-03-17T09:00:00Z", agent: "kim")
            try await Self.invite(services, acme, survey: survey, status: .responded, sentAt: "2026-03-18T09:00:00Z", channel: "widget",
                                  agent: "kim", team: "Billing")
            // Not delivered: suppressed, cancelled, scheduled, a failed and a blocked email, and one sent after the range.
            try await Self.invite(services, acme, survey: survey, status: .suppressed, sentAt: nil, agent: "sam@acme.test")
            try await Self.invite(services, acme, survey: survey, status: .cancelled, sentAt: nil)
            try await Self.invite(services, acme, survey: survey, status: .scheduled, sentAt: nil)
            try await Self.invite(services, acme, survey: survey, status: .sent, sentAt: "2026-03-04T09:00:00Z", emailState: .failed)
            try await Self.invite(services, acme, survey: survey, status: .sent, sentAt: "2026-03-05T09:00:00Z", emailState: .blocked)
            try await Self.invite(services, acme, survey: survey, status: .responded, sentAt: "2026-04-02T09:00:00Z")

            let reply = try await http.get("/api/v1/metrics/response_rate?survey=\(survey)&from=2026-03-01&to=2026-03-31&interval=week&group_by=channel",
                                           key: key)
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(reply.json["metric"] as? String == "response_rate")
            let overall = try #require(Self.estimate(reply.json["overall"]), "\(reply.text)")
            // 2 of 4: 50 % with Wilson 15.0039 to 84.9961 (scipy).
            #expect(overall["value"] as? Double == 50 && overall["n"] as? Int == 4 && overall["small_sample"] as? Bool == true)
            #expect(SurveyMetricsTests.close(overall["low"], 15.003898915214952) && SurveyMetricsTests.close(overall["high"], 84.99610108478505),
                    "\(overall)")
            let groups = try #require(reply.json["groups"] as? [[String: Any]])
            #expect(groups.compactMap { $0["key"] as? String } == ["email", "widget"])
            let email = try #require(Self.estimate(groups[0]))
            // 1 of 3 by email: Wilson 6.1492 to 79.2340 (scipy).
            #expect(email["n"] as? Int == 3 && SurveyMetricsTests.close(email["low"], 6.149194472039615)
                && SurveyMetricsTests.close(email["high"], 79.23403991979524), "\(email)")
            #expect(Self.estimate(groups[1])?["value"] as? Double == 100)
            let series = try #require((reply.json["overall"] as? [String: Any])?["series"] as? [[String: Any]])
            // Weeks from Monday 23 February (1 March is a Sunday) to the one holding 30 March.
            #expect(series.map { ($0["estimate"] as? [String: Any])?["n"] as? Int } == [nil, 2, nil, 2, nil, nil], "\(series)")

            // The team: the response's own attribute, else the agent's teams (sam is in Support EU; kim is no member).
            let byTeam = try await http.get("/api/v1/metrics/response_rate?from=2026-03-01&to=2026-03-31&group_by=team", key: key)
            let teams = try #require(byTeam.json["groups"] as? [[String: Any]], "\(byTeam.text)")
            let counts = Dictionary(uniqueKeysWithValues: teams.map { ($0["label"] as? String ?? "?", Self.estimate($0)?["n"] as? Int ?? 0) })
            #expect(counts == ["Support EU": 2, "Billing": 1, "(none)": 1], "\(byTeam.text)")
            let support = try await http.get("/api/v1/metrics/response_rate?from=2026-03-01&to=2026-03-31&team=Support%20EU", key: key)
            #expect(Self.estimate(support.json["overall"])?["n"] as? Int == 2, "\(support.text)")
        }
    }

    @Test func noInvitationsIsNoValueAndAQuestionIsRefused() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let survey = try await FollowUpTests.activeSurvey(http, key)
            let none = try await http.get("/api/v1/metrics/response_rate?survey=\(survey)", key: key)
            #expect(none.status == .ok && (none.json["overall"] as? [String: Any])?["estimate"] is NSNull, "\(none.text)")
            let question = try await http.get("/api/v1/metrics/response_rate?question=score", key: key)
            #expect(question.status == .unprocessableContent && SurveyTests.field(question) == "question", "\(question.text)")
            // Another workspace's invitations are not counted.
            try await Self.invite(services, acme, survey: survey, status: .responded, sentAt: "2026-03-02T09:00:00Z")
            let other = try await Fixture.make(services, name: "Other", ownerEmail: "owner@other.test")
            let theirs = try await http.get("/api/v1/metrics/response_rate?from=2026-03-01&to=2026-03-31", key: other.adminKey)
            #expect((theirs.json["overall"] as? [String: Any])?["estimate"] is NSNull, "\(theirs.text)")
            let ours = try await http.get("/api/v1/metrics/response_rate?from=2026-03-01&to=2026-03-31", key: key)
            #expect(Self.estimate(ours.json["overall"])?["value"] as? Double == 100, "\(ours.text)")
        }
    }
}
