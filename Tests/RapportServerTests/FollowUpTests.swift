import Foundation
import Hummingbird
import RapportCore
import RapportRuntime
import Testing

/// Closing the loop (docs/surveys.md): an unhappy completed response opens a follow-up case owned by the agent who
/// served (else the survey's default owner), who is emailed; the case moves open → contacted → resolved or wont_fix
/// with an outcome, takes notes, shows on the customer's timeline, stays in its workspace, and goes with an erasure.
@Suite("Follow-up cases")
struct FollowUpTests {
    /// An NPS survey with the default follow-up rule, active; returns its id.
    static func activeSurvey(_ http: TestHTTP, _ key: String, followUp: [String: Any]? = nil) async throws -> String {
        var body = SurveyTests.afterTicket
        if let followUp { body["settings"] = ["follow_up": followUp] }
        let made = try await http.call(.post, "/api/v1/surveys", key: key, json: body)
        let id = try #require(made.string("id"), "\(made.text)")
        #expect(try await http.call(.post, "/api/v1/surveys/\(id)/activate", key: key).status == .ok)
        return id
    }

    static func answer(_ http: TestHTTP, _ key: String, survey: String, email: String, score: Int,
                       agent: String? = nil) async throws -> TestHTTP.Reply {
        var body: [String: Any] = ["email": email, "answers": ["score": score]]
        if let agent { body["attributes"] = ["agent": agent] }
        let reply = try await http.call(.post, "/api/v1/surveys/\(survey)/responses", key: key, json: body)
        #expect(reply.status == .created, "\(reply.text)")
        return reply
    }

    static func addAgent(_ services: AppServices, _ acme: Fixture, email: String = "sam@acme.test") async throws -> String {
        try await services.team.add(nil, workspaceId: acme.workspace.id, email: email, role: .agent, name: "Sam",
                                    password: "correct horse battery").user.id
    }

    @Test func aDetractorOpensACaseOwnedByTheAgentWhoIsEmailedAndAPassiveDoesNot() async throws {
        try await TestApp.run(configure: EmailOutboxTests.withSMTP) { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let sam = try await Self.addAgent(services, acme)
            let survey = try await Self.activeSurvey(http, key)
            let endpoint = try await http.call(.post, "/api/v1/webhooks", key: key, json: [
                "url": "http://93.184.216.34/hooks", "event_types": ["follow_up.opened", "follow_up.closed"]])
            #expect(endpoint.status == .created, "\(endpoint.text)")

            let detractor = try await Self.answer(http, key, survey: survey, email: "mia@example.com", score: 3, agent: "Sam@Acme.test")
            let responseId = try #require(detractor.string("id"))
            let customerId = try #require(detractor.string("customer_id"))
            _ = try await Self.answer(http, key, survey: survey, email: "pat@example.com", score: 7, agent: "sam@acme.test")
            _ = try await Self.answer(http, key, survey: survey, email: "leo@example.com", score: 10, agent: "sam@acme.test")

            let cases = try await http.get("/api/v1/follow-ups", key: key).data
            #expect(cases.count == 1, "only the detractor opens a case")
            let opened = try #require(cases.first)
            #expect(opened["response_id"] as? String == responseId && opened["customer_id"] as? String == customerId)
            #expect(opened["owner_id"] as? String == sam && opened["status"] as? String == "open")
            #expect(opened["score"] as? Int == 3 && opened["band"] as? String == "detractor" && opened["overdue"] as? Bool == false)
            let created = try #require((opened["created_at"] as? String).flatMap(ISO8601.millis))
            let due = try #require((opened["due_at"] as? String).flatMap(ISO8601.millis))
            #expect(abs(due - created - 48 * 3_600_000) < 5_000, "due 48 hours after the answer")
            let caseId = try #require(opened["id"] as? String)

            // The owner's email, a service message with the case's link.
            let emails = try await http.get("/api/v1/emails", key: key).data
            #expect(emails.count == 1, "\(emails)")
            #expect(emails.first?["to"] as? String == "sam@acme.test")
            #expect(emails.first?["purpose"] is NSNull)
            #expect((emails.first?["text"] as? String)?.contains("https://cx.example.com/follow-ups/\(caseId)") == true)

            let timeline = try await http.get("/api/v1/customers/\(customerId)/timeline?type=follow_up", key: key).data
            #expect(timeline.compactMap { $0["name"] as? String } == ["Follow-up opened"])
            #expect((timeline.first?["properties"] as? [String: Any])?["follow_up_id"] as? String == caseId)

            let endpointId = try #require(endpoint.string("id"))
            let deliveries = try await http.get("/api/v1/webhooks/\(endpointId)/deliveries", key: key).data
            #expect(deliveries.compactMap { ($0["payload"] as? [String: Any])?["type"] as? String } == ["follow_up.opened"])
        }
    }

    @Test func theDefaultOwnerTakesACaseWhenTheAgentIsNoMember() async throws {
        try await TestApp.run(configure: EmailOutboxTests.withSMTP) { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let withDefault = try await Self.activeSurvey(http, key, followUp: ["default_owner_id": acme.ownerId, "due_hours": 4])
            _ = try await Self.answer(http, key, survey: withDefault, email: "mia@example.com", score: 2, agent: "stranger@else.test")
            let cases = try await http.get("/api/v1/follow-ups?survey_id=\(withDefault)", key: key).data
            #expect(cases.count == 1 && cases.first?["owner_id"] as? String == acme.ownerId)
            let emails = try await http.get("/api/v1/emails", key: key).data
            #expect(emails.compactMap { $0["to"] as? String } == ["owner@acme.test"])

            // No default and no known agent: unassigned, nobody emailed.
            let plain = try await Self.activeSurvey(http, key)
            _ = try await Self.answer(http, key, survey: plain, email: "ann@example.com", score: 1, agent: "nobody")
            let unassigned = try await http.get("/api/v1/follow-ups?survey_id=\(plain)", key: key).data
            #expect(unassigned.count == 1 && unassigned.first?["owner_id"] is NSNull)
            #expect(try await http.get("/api/v1/emails", key: key).data.count == 1)

            // A rule switched off, or one naming other bands, opens nothing for a detractor.
            let off = try await Self.activeSurvey(http, key, followUp: ["enabled": false])
            _ = try await Self.answer(http, key, survey: off, email: "bo@example.com", score: 0)
            let passives = try await Self.activeSurvey(http, key, followUp: ["bands": ["passive"]])
            _ = try await Self.answer(http, key, survey: passives, email: "cy@example.com", score: 0)
            _ = try await Self.answer(http, key, survey: passives, email: "di@example.com", score: 8)
            #expect(try await http.get("/api/v1/follow-ups?survey_id=\(off)", key: key).data.isEmpty)
            #expect(try await http.get("/api/v1/follow-ups?survey_id=\(passives)", key: key).data.count == 1)

            // The rule is checked like every setting: errors name the field.
            for (rule, field) in [(["bands": ["grumpy"]], "settings.follow_up.bands"), (["due_hours": 0], "settings.follow_up.due_hours"),
                                  (["default_owner_id": "sam"], "settings.follow_up.default_owner_id"),
                                  (["owner": "x"], "settings.follow_up.owner")] as [([String: Any], String)] {
                var body = SurveyTests.afterTicket
                body["settings"] = ["follow_up": rule]
                let reply = try await http.call(.post, "/api/v1/surveys", key: key, json: body)
                #expect(reply.status == .unprocessableContent && SurveyTests.field(reply) == field, "\(rule): \(reply.text)")
            }
        }
    }

    @Test func aCaseMovesOnlyAsItsStatusAllowsAndClosesWithAnOutcomeOnTheTimeline() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let sam = try await Self.addAgent(services, acme)
            let survey = try await Self.activeSurvey(http, key)
            let customerId = try #require(try await Self.answer(http, key, survey: survey, email: "mia@example.com", score: 4).string("customer_id"))
            let caseId = try #require(try await http.get("/api/v1/follow-ups", key: key).data.first?["id"] as? String)
            let url = "/api/v1/follow-ups/\(caseId)"

            for (body, field) in [(["status": "done"], "status"), (["due_at": "tomorrow"], "due_at"), (["outcome": ""], "outcome"),
                                  (["owner_id": "11111111-1111-7111-8111-111111111111"], "owner_id"), (["colour": "red"], "colour"),
                                  (["status": "resolved"], "outcome")] as [([String: Any], String)] {
                let reply = try await http.call(.patch, url, key: key, json: body)
                #expect(reply.status == .unprocessableContent && SurveyTests.field(reply) == field, "\(body): \(reply.text)")
            }
            let contacted = try await http.call(.patch, url, key: key, json: ["status": "contacted", "owner_id": sam])
            #expect(contacted.status == .ok && contacted.string("status") == "contacted" && contacted.string("owner_id") == sam,
                    "\(contacted.text)")
            #expect(contacted.string("owner_email") == "sam@acme.test")
            let note = try await http.call(.post, "\(url)/notes", key: key, json: ["text": "  Called, she wants a refund. "])
            #expect(note.status == .created && note.string("text") == "Called, she wants a refund.", "\(note.text)")
            #expect(try await http.call(.post, "\(url)/notes", key: key, json: ["text": " "]).status == .unprocessableContent)

            let closed = try await http.call(.patch, url, key: key, json: ["status": "resolved", "outcome": "refund"])
            #expect(closed.status == .ok && closed.string("status") == "resolved" && closed.string("outcome") == "refund")
            #expect(closed.string("closed_at") != nil)
            #expect((closed.json["notes"] as? [[String: Any]])?.compactMap { $0["text"] as? String } == ["Called, she wants a refund."])
            #expect((closed.json["response"] as? [String: Any])?["score"] as? Int == 4)

            let reopen = try await http.call(.patch, url, key: key, json: ["status": "contacted"])
            #expect(reopen.status == .conflict, "\(reopen.text)")
            #expect(try await http.call(.post, "\(url)/notes", key: key, json: ["text": "Refund sent."]).status == .created)

            let timeline = try await http.get("/api/v1/customers/\(customerId)/timeline?type=follow_up", key: key).data
            #expect(Set(timeline.compactMap { $0["name"] as? String }) == ["Follow-up opened", "Follow-up closed"])
            let closing = try #require(timeline.first { $0["name"] as? String == "Follow-up closed" })
            #expect((closing["properties"] as? [String: Any])?["outcome"] as? String == "refund")

            #expect(try await http.get("/api/v1/follow-ups?status=resolved", key: key).data.count == 1)
            #expect(try await http.get("/api/v1/follow-ups?status=open", key: key).data.isEmpty)
            #expect(try await http.get("/api/v1/follow-ups?status=later", key: key).status == .badRequest)
            #expect(try await http.get("/api/v1/follow-ups?owner=\(sam)", key: key).data.count == 1)
        }
    }

    @Test func aContactedCaseCannotGoBackToOpen() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let survey = try await Self.activeSurvey(http, key)
            _ = try await Self.answer(http, key, survey: survey, email: "mia@example.com", score: 0)
            let caseId = try #require(try await http.get("/api/v1/follow-ups", key: key).data.first?["id"] as? String)
            #expect(try await http.call(.patch, "/api/v1/follow-ups/\(caseId)", key: key, json: ["status": "contacted"]).status == .ok)
            let back = try await http.call(.patch, "/api/v1/follow-ups/\(caseId)", key: key, json: ["status": "open"])
            #expect(back.status == .conflict && back.errorCode == "illegal_transition", "\(back.text)")
            let giveUp = try await http.call(.patch, "/api/v1/follow-ups/\(caseId)", key: key,
                                             json: ["status": "wont_fix", "outcome": "no reply"])
            #expect(giveUp.status == .ok && giveUp.string("status") == "wont_fix")
        }
    }

    @Test func overdueCasesComeFirst() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let survey = try await Self.activeSurvey(http, key)
            for email in ["a@example.com", "b@example.com", "c@example.com"] {
                _ = try await Self.answer(http, key, survey: survey, email: email, score: 2)
            }
            let ids = try await http.get("/api/v1/follow-ups", key: key).data.compactMap { $0["id"] as? String }
            #expect(ids.count == 3)
            let late = ids[2]
            #expect(try await http.call(.patch, "/api/v1/follow-ups/\(late)", key: key, json: ["due_at": "2024-01-01T00:00:00Z"]).status == .ok)
            #expect(try await http.call(.patch, "/api/v1/follow-ups/\(ids[0])", key: key,
                                        json: ["status": "resolved", "outcome": "issue fixed"]).status == .ok)
            let queue = try await http.get("/api/v1/follow-ups", key: key).data
            #expect(queue.compactMap { $0["id"] as? String } == [late, ids[1], ids[0]], "overdue, then due soonest, then closed")
            #expect(queue.first?["overdue"] as? Bool == true)
            let overdue = try await http.get("/api/v1/follow-ups?overdue=true", key: key).data
            #expect(overdue.compactMap { $0["id"] as? String } == [late])
            #expect(try await http.get("/api/v1/follow-ups?overdue=maybe", key: key).status == .badRequest)

            // Pages continue from the cursor in the queue's order.
            let first = try await http.get("/api/v1/follow-ups?limit=2", key: key)
            #expect(first.data.compactMap { $0["id"] as? String } == [late, ids[1]])
            let cursor = try #require(first.string("next_cursor"), "\(first.text)")
            let second = try await http.get("/api/v1/follow-ups?limit=2&cursor=\(cursor)", key: key).data
            #expect(second.compactMap { $0["id"] as? String } == [ids[0]])
        }
    }

    @Test func casesStayInTheirWorkspaceAndAnalystsOnlyRead() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let survey = try await Self.activeSurvey(http, key)
            _ = try await Self.answer(http, key, survey: survey, email: "mia@example.com", score: 1)
            let caseId = try #require(try await http.get("/api/v1/follow-ups", key: key).data.first?["id"] as? String)
            let url = "/api/v1/follow-ups/\(caseId)"

            let other = try await Fixture.make(services, name: "Other", ownerEmail: "owner@other.test")
            #expect(try await http.get("/api/v1/follow-ups", key: other.adminKey).data.isEmpty)
            #expect(try await http.get(url, key: other.adminKey).status == .notFound)
            #expect(try await http.call(.patch, url, key: other.adminKey, json: ["status": "contacted"]).status == .notFound)
            #expect(try await http.call(.post, "\(url)/notes", key: other.adminKey, json: ["text": "hi"]).status == .notFound)

            let read = try await acme.key(services, scope: .read)
            #expect(try await http.get(url, key: read).status == .ok)
            #expect(try await http.get("/api/v1/follow-ups", key: read).data.count == 1)
            #expect(try await http.call(.patch, url, key: read, json: ["status": "contacted"]).status == .forbidden)
            #expect(try await http.call(.post, "\(url)/notes", key: read, json: ["text": "hi"]).status == .forbidden)
            let write = try await acme.key(services, scope: .write)
            #expect(try await http.call(.patch, url, key: write, json: ["status": "contacted"]).status == .ok)
            #expect(try await http.call(.post, "\(url)/notes", key: write, json: ["text": "hi"]).status == .created)
            #expect(try await http.get("/api/v1/follow-ups?owner=me", key: write).status == .forbidden, "a key is no one")
            #expect(try await http.get("\(url)x", key: key).status == .notFound)

            // owner=me for a signed-in user: the owner's own cases.
            let signedIn = try await services.access.signIn(email: "owner@acme.test", password: "correct horse battery", ip: nil)
            let cookie: HTTPFields = [.cookie: "rapport_session=\(signedIn.token)"]
            #expect(try await http.get("/api/v1/follow-ups?owner=me", headers: cookie).data.isEmpty)
            #expect(try await http.call(.patch, url, key: key, json: ["owner_id": acme.ownerId]).status == .ok)
            #expect(try await http.get("/api/v1/follow-ups?owner=me", headers: cookie).data.count == 1)

            // The queue and the case's page; its form refuses a close without an outcome on the page, then closes.
            let queue = try await http.get("/follow-ups", headers: cookie)
            #expect(queue.status == .ok && queue.text.contains("/follow-ups/\(caseId)"), "\(queue.text)")
            let page = try await http.get("/follow-ups/\(caseId)", headers: cookie)
            #expect(page.status == .ok && page.text.contains("save-follow-up") && page.text.contains("hi"))
            var form = cookie
            form[.contentType] = "application/x-www-form-urlencoded"
            let csrf = signedIn.session.csrfToken
            let refused = try await http.call(.post, "/follow-ups/\(caseId)", raw: "_csrf=\(csrf)&status=resolved&outcome=&owner_id=\(acme.ownerId)",
                                              headers: form)
            #expect(refused.status == .unprocessableContent && refused.text.contains("needs an outcome"), "\(refused.text)")
            let saved = try await http.call(.post, "/follow-ups/\(caseId)", raw: "_csrf=\(csrf)&status=resolved&outcome=refund&owner_id=\(acme.ownerId)",
                                            headers: form)
            #expect(saved.status == .seeOther, "\(saved.text)")
            #expect(try await http.get(url, key: key).string("outcome") == "refund")
        }
    }

    @Test func erasingTheCustomerRemovesTheirCasesAndNotes() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let survey = try await Self.activeSurvey(http, key)
            let customerId = try #require(try await Self.answer(http, key, survey: survey, email: "mia@example.com", score: 1).string("customer_id"))
            let caseId = try #require(try await http.get("/api/v1/follow-ups", key: key).data.first?["id"] as? String)
            #expect(try await http.call(.post, "/api/v1/follow-ups/\(caseId)/notes", key: key, json: ["text": "Mia is upset"]).status == .created)
            let export = try await http.get("/api/v1/customers/\(customerId)/export", key: key)
            let exported = try #require(export.json["follow_ups"] as? [[String: Any]], "\(export.text)")
            #expect(exported.first?["follow_up_id"] as? String == caseId)
            #expect((exported.first?["notes"] as? [[String: Any]])?.first?["text"] as? String == "Mia is upset")

            #expect(try await http.call(.delete, "/api/v1/customers/\(customerId)", key: key).status == .noContent)
            #expect(try await http.get("/api/v1/follow-ups/\(caseId)", key: key).status == .notFound)
            #expect(try await http.get("/api/v1/follow-ups", key: key).data.isEmpty)
            let notes = try await services.core.store.read { try await $0.followUps.notes(workspaceId: acme.workspace.id, caseId: caseId) }
            #expect(notes.isEmpty)
        }
    }

    @Test func closeStatsGiveTheMedianTimeToCloseAndTheShareClosedInTime() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let key = acme.adminKey
            let survey = try await Self.activeSurvey(http, key)
            for email in ["a@example.com", "b@example.com", "c@example.com"] {
                _ = try await Self.answer(http, key, survey: survey, email: email, score: 2)
            }
            let ids = try await http.get("/api/v1/follow-ups", key: key).data.compactMap { $0["id"] as? String }
            #expect(try await http.call(.patch, "/api/v1/follow-ups/\(ids[0])", key: key,
                                        json: ["status": "resolved", "outcome": "issue fixed"]).status == .ok)
            #expect(try await http.call(.patch, "/api/v1/follow-ups/\(ids[1])", key: key,
                                        json: ["due_at": "2024-01-01T00:00:00Z", "status": "wont_fix", "outcome": "no reply"]).status == .ok)
            let workspaceId = acme.workspace.id
            let stats = try await services.core.store.read { try await $0.followUps.closeStats(workspaceId: workspaceId, surveyId: survey) }
            #expect(stats.opened == 3 && stats.closed == 2)
            #expect(stats.shareClosedBeforeDue == 0.5)
            #expect((stats.medianMillisToClose ?? -1) >= 0)
            let none = try await services.core.store.read {
                try await $0.followUps.closeStats(workspaceId: workspaceId, surveyId: "01900000-0000-7000-8000-000000000000")
            }
            #expect(none.opened == 0 && none.closed == 0 && none.medianMillisToClose == nil && none.shareClosedBeforeDue == nil)
        }
    }

    /// The median of an even count is the mean of the middle two; a case closed exactly at its due time is in time.
    @Test func closeStatsArithmetic() {
        let hour: Int64 = 3_600_000
        let stats = FollowUpCloseStats.compute(surveyId: "s", opened: 5, closedCases: [
            (createdAt: 0, dueAt: 48 * hour, closedAt: 2 * hour), (createdAt: 0, dueAt: 48 * hour, closedAt: 48 * hour),
            (createdAt: 10 * hour, dueAt: 58 * hour, closedAt: 70 * hour), (createdAt: 0, dueAt: 48 * hour, closedAt: 4 * hour),
        ])
        #expect(stats.closed == 4 && stats.opened == 5)
        #expect(stats.medianMillisToClose == 26 * hour, "durations 2, 4, 48, 60 hours: (4 + 48) / 2")
        #expect(stats.shareClosedBeforeDue == 0.75)
    }
}
