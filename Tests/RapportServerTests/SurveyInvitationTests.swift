import Foundation
import Hummingbird
import RapportCore
import RapportRuntime
import Testing

/// Survey invitations end to end in process: an automation rule's `send_survey` after a ticket, the email with one
/// link per score, the hosted page (a GET proposes, a POST records; partial answers; the follow-up; one response per
/// invitation; the edit window), the contact rules at send time (consent, recontact period, the survey's limits,
/// suppression list, no address, quiet hours), reminders, tokens, roles and tenancy. Jobs run by `drain` at a test
/// clock's time. The same with a real SMTP server and a browser is in e2e/test_survey_invitations.py.
@Suite("Survey invitations")
struct SurveyInvitationTests {
    typealias Env = AutomationTests.Env

    static func run(at iso: String? = nil, _ body: @escaping @Sendable (Env) async throws -> Void) async throws {
        try await AutomationTests.run(at: iso, configure: EmailOutboxTests.withSMTP, body)
    }

    /// Runs every due automation and survey job at the clock's time, as a worker would: a job that defers itself
    /// (quiet hours) is postponed; email and webhook jobs are left alone.
    static func drain(_ env: Env) async throws {
        let invitations = env.services.surveyInvitations
        let handlers: [String: any JobHandler] = [
            AutomationTriggers.evaluateKind: AutomationEvaluateHandler(env.services.core),
            AutomationTriggers.actKind: AutomationActHandler(env.services.core, outbox: env.services.emails.outbox),
            SurveyInvitationService.sendKind: SurveySendHandler(invitations),
            SurveyInvitationService.remindKind: SurveyRemindHandler(invitations),
        ]
        let store = env.services.core.store
        for _ in 0..<20 {
            let now = env.clock.nowMillis
            let jobs = try await store.write {
                try await $0.jobs.claim(owner: "test", limit: 100, now: now, leaseMillis: 1_000, kinds: Array(handlers.keys))
            }
            if jobs.isEmpty { return }
            for job in jobs {
                do {
                    try await handlers[job.kind]!.run(job)
                    #expect(try await store.write { try await $0.jobs.complete(id: job.id, owner: "test", now: now) })
                } catch let deferral as JobDeferral {
                    #expect(try await store.write {
                        try await $0.jobs.postpone(id: job.id, owner: "test", until: deferral.until, now: now)
                    })
                }
            }
        }
        Issue.record("the jobs did not settle")
    }

    static func activeSurvey(_ env: Env, settings: [String: Any] = [:]) async throws -> String {
        var body = SurveyTests.afterTicket
        body["settings"] = settings
        let made = try await env.http.call(.post, "/api/v1/surveys", key: env.key, json: body)
        let id = try #require(made.string("id"), "\(made.text)")
        #expect(try await env.http.call(.post, "/api/v1/surveys/\(id)/activate", key: env.key).status == .ok)
        return id
    }

    static func invite(_ env: Env, _ surveyId: String, _ customerIds: [String], attributes: [String: Any] = [:]) async throws {
        let reply = try await env.http.call(.post, "/api/v1/surveys/\(surveyId)/invitations", key: env.key,
                                            json: ["customer_ids": customerIds, "attributes": attributes])
        #expect(reply.status == .accepted, "\(reply.text)")
        #expect(reply.json["scheduled"] as? Int == customerIds.count)
    }

    static func invitations(_ env: Env, _ surveyId: String) async throws -> [[String: Any]] {
        try await env.http.get("/api/v1/surveys/\(surveyId)/invitations", key: env.key).data
    }

    /// The survey link in the latest email to `address`.
    static func token(_ env: Env, to address: String) async throws -> String {
        let emails = try await env.http.get("/api/v1/emails", key: env.key).data.filter { $0["to"] as? String == address }
        let text = try #require(emails.first?["text"] as? String, "no email to \(address)")
        let range = try #require(text.range(of: #"/s/[A-Za-z0-9_-]{32}"#, options: .regularExpression), "\(text)")
        return String(text[range].dropFirst(3))
    }

    static func form(_ http: TestHTTP, _ token: String, _ fields: [(String, String)]) async throws -> TestHTTP.Reply {
        let body = fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        return try await http.call(.post, "/s/\(token)", raw: body, headers: [.contentType: "application/x-www-form-urlencoded"])
    }

    @Test func aResolvedTicketInvitesAfterTheDelayAndTheScoreLinkRecordsTheResponseForTheAgent() async throws {
        try await Self.run { env in
            let surveyId = try await Self.activeSurvey(env)
            _ = try await env.createRule([
                "name": "NPS after a ticket", "trigger": ["type": "event", "event": "Ticket Resolved"], "delay_seconds": 7_200,
                "actions": [["type": "send_survey", "survey_id": surveyId]],
            ])
            try await env.identify("mia", ["email": "mia@example.com", "first_name": "Mia"])
            try await env.track("mia", "Ticket Resolved", ["agent": "sam@acme.test", "channel": "chat", "ticket_id": "T-9"])
            try await Self.drain(env)
            #expect(try await env.http.get("/api/v1/emails", key: env.key).data.isEmpty, "nothing before the delay")

            env.clock.advance(.seconds(7_201))
            try await Self.drain(env)
            let emails = try await env.http.get("/api/v1/emails", key: env.key).data
            #expect(emails.count == 1)
            let email = try #require(emails.first)
            #expect(email["purpose"] as? String == "surveys" && email["source"] as? String == "survey")
            let text = try #require(email["text"] as? String)
            #expect(text.contains("How likely are you to recommend Acme to a friend?"))
            #expect(text.contains("0: https://cx.example.com/s/") && text.contains("?score=10"), "\(text)")
            #expect((email["html"] as? String)?.contains("/unsubscribe/") == true, "the surveys consent can be withdrawn")
            let invitation = try #require(try await Self.invitations(env, surveyId).first)
            #expect(invitation["status"] as? String == "sent" && invitation["source"] as? String == "automation")
            #expect(invitation["attributes"] as? [String: String] == [
                "agent": "sam@acme.test", "channel": "chat", "ticket_id": "T-9", "trigger_event": "Ticket Resolved"])

            // The score link proposes; only the person's POST records it (a mail scanner's GET records nothing).
            let token = try await Self.token(env, to: "mia@example.com")
            let proposed = try await env.http.get("/s/\(token)?score=3")
            #expect(proposed.status == .ok)
            #expect(proposed.text.contains("data-testid=\"survey-confirm\""))
            #expect(proposed.text.contains("value=\"3\" checked"), "the linked score is selected")
            #expect(try await env.http.get("/api/v1/surveys/\(surveyId)/responses", key: env.key).data.isEmpty)

            let confirmed = try await Self.form(env.http, token, [("a_score", "3")])
            #expect(confirmed.status == .ok, "\(confirmed.text)")
            #expect(confirmed.text.contains("data-testid=\"survey-saved\""), "the score is saved and the follow-up asked")
            #expect(confirmed.text.contains("What is the main reason for your score?"))
            var responses = try await env.http.get("/api/v1/surveys/\(surveyId)/responses", key: env.key).data
            #expect(responses.count == 1)
            let response = try #require(responses.first)
            #expect(response["status"] as? String == "completed" && response["score"] as? Int == 3)
            #expect(response["band"] as? String == "detractor" && response["channel"] as? String == "email")
            #expect((response["attributes"] as? [String: String])?["agent"] == "sam@acme.test")
            #expect(response["invitation_id"] as? String == invitation["id"] as? String)

            let followUp = try await Self.form(env.http, token, [("a_score", "3"), ("a_reason", "Took a week & more")])
            #expect(followUp.text.contains("data-testid=\"survey-thanks\""), "\(followUp.text)")
            #expect(followUp.text.contains("change your answers"), "within the edit window")
            responses = try await env.http.get("/api/v1/surveys/\(surveyId)/responses", key: env.key).data
            #expect(responses.count == 1, "a second submission updates the one response")
            #expect((responses.first?["answers"] as? [String: Any])?["reason"] as? String == "Took a week & more")
            #expect(try await Self.invitations(env, surveyId).first?["status"] as? String == "responded")

            let mia = try #require(try await env.customer("mia")["id"] as? String)
            let timeline = try await env.http.get("/api/v1/customers/\(mia)/timeline?type=survey_response", key: env.key).data
            #expect(timeline.count == 1, "one timeline entry however often the answers change")

            // After the edit window, the answers are final.
            env.clock.advance(.seconds(25 * 3_600))
            let late = try await Self.form(env.http, token, [("a_score", "10")])
            #expect(late.status == .conflict)
            #expect(try await env.http.get("/api/v1/surveys/\(surveyId)/responses", key: env.key).data.first?["score"] as? Int == 3)
            let page = try await env.http.get("/s/\(token)")
            #expect(page.text.contains("data-testid=\"survey-thanks\"") && !page.text.contains("change your answers"))
        }
    }

    @Test func theContactRulesSuppressInvitationsWithTheirReasonOnTheTimeline() async throws {
        try await Self.run { env in
            let surveyId = try await Self.activeSurvey(env)
            let other = try await Self.activeSurvey(env, settings: ["once_per_person": true])
            for (user, traits) in [("ann", ["email": "ann@example.com"]), ("bob", ["email": "bob@example.com"]),
                                   ("cat", ["email": "cat@example.com"]), ("dan", ["first_name": "Dan"])] {
                try await env.identify(user, traits)
            }
            let ids = try await ["ann", "bob", "cat", "dan"].asyncMap { try #require(try await env.customer($0)["id"] as? String) }
            let (ann, bob, cat, dan) = (ids[0], ids[1], ids[2], ids[3])
            _ = try await env.http.call(.post, "/api/v1/customers/\(bob)/consents", key: env.key, json: [
                "purpose": "surveys", "channel": "email", "status": "withdrawn"])
            _ = try await env.http.call(.post, "/api/v1/email/suppressions", key: env.key, json: ["address": "cat@example.com"])

            try await Self.invite(env, surveyId, [ann, bob, cat, dan])
            try await Self.drain(env)
            var byCustomer = Dictionary(uniqueKeysWithValues: try await Self.invitations(env, surveyId).map {
                ($0["customer_id"] as! String, $0)
            })
            #expect(byCustomer[ann]?["status"] as? String == "sent")
            #expect(byCustomer[bob]?["reason"] as? String == "no_consent")
            #expect(byCustomer[cat]?["reason"] as? String == "email_suppressed")
            #expect(byCustomer[dan]?["reason"] as? String == "no_address")
            #expect(try await env.http.get("/api/v1/emails", key: env.key).data.count == 1, "only Ann is emailed")

            // Within the workspace's recontact period (30 days), another survey sends Ann nothing.
            env.clock.advance(.seconds(86_400))
            try await Self.invite(env, other, [ann])
            try await Self.drain(env)
            let second = try #require(try await Self.invitations(env, other).first)
            #expect(second["status"] as? String == "suppressed" && second["reason"] as? String == "recontact_period")
            let timeline = try await env.http.get("/api/v1/customers/\(ann)/timeline?type=survey_invitation", key: env.key).data
            #expect(timeline.count == 1)
            #expect((timeline.first?["properties"] as? [String: Any])?["reason"] as? String == "recontact_period")

            // With the period shortened, the survey's own rule (once per person) still holds after a first send.
            let rules = try await env.http.call(.put, "/api/v1/survey-contact-rules", key: env.key, json: ["recontact_days": 0])
            #expect(rules.status == .ok && rules.json["recontact_days"] as? Int == 0, "\(rules.text)")
            try await Self.invite(env, other, [ann])
            try await Self.drain(env)
            try await Self.invite(env, other, [ann])
            try await Self.drain(env)
            let reasons = try await Self.invitations(env, other).compactMap { $0["reason"] as? String }.sorted()
            #expect(reasons == ["once_per_person", "recontact_period"], "\(reasons)")

            let stats = try await env.http.get("/api/v1/surveys/\(surveyId)/invitation-stats", key: env.key)
            #expect((stats.json["by_status"] as? [String: Int])?["suppressed"] == 3)
            #expect((stats.json["suppressed_by_reason"] as? [String: Int])?["no_consent"] == 1, "\(stats.text)")

            // Erasing Ann removes her invitations.
            #expect(try await env.http.call(.delete, "/api/v1/customers/\(ann)", key: env.key).status == .noContent)
            byCustomer = Dictionary(uniqueKeysWithValues: try await Self.invitations(env, surveyId).map {
                ($0["customer_id"] as! String, $0)
            })
            #expect(byCustomer[ann] == nil && byCustomer.count == 3)
            #expect(try await Self.invitations(env, other).isEmpty)
        }
    }

    @Test func quietHoursDelayTheSendAndARemindGoesOnceToWhoeverDidNotAnswer() async throws {
        // 22:30 UTC is 23:30 in Berlin: inside the default quiet hours (21:00–08:00).
        try await Self.run(at: "2026-12-02T22:30:00Z") { env in
            let surveyId = try await Self.activeSurvey(env, settings: ["reminder_after_days": 3, "max_reminders": 1])
            try await env.identify("eva", ["email": "eva@example.com", "timezone": "Europe/Berlin"])
            try await env.identify("finn", ["email": "finn@example.com"])
            let eva = try #require(try await env.customer("eva")["id"] as? String)
            let finn = try #require(try await env.customer("finn")["id"] as? String)
            try await Self.invite(env, surveyId, [eva, finn])
            try await Self.drain(env)
            var statuses = Dictionary(uniqueKeysWithValues: try await Self.invitations(env, surveyId).map {
                ($0["customer_id"] as! String, $0["status"] as! String)
            })
            #expect(statuses == [eva: "scheduled", finn: "sent"], "Finn's time zone is unknown: no quiet hours")
            env.clock.advance(.seconds(8 * 3_600 + 60))  // 07:31 Berlin
            try await Self.drain(env)
            #expect(try await Self.invitations(env, surveyId).first { $0["customer_id"] as? String == eva }?["status"] as? String == "scheduled")
            env.clock.advance(.seconds(30 * 60))  // 08:01 Berlin
            try await Self.drain(env)
            statuses = Dictionary(uniqueKeysWithValues: try await Self.invitations(env, surveyId).map {
                ($0["customer_id"] as! String, $0["status"] as! String)
            })
            #expect(statuses == [eva: "sent", finn: "sent"])

            // Finn answers; three days later only Eva is reminded, once.
            let token = try await Self.token(env, to: "finn@example.com")
            #expect(try await Self.form(env.http, token, [("a_score", "9")]).status == .ok)
            env.clock.advance(.seconds(3 * 86_400 + 3_600))
            try await Self.drain(env)
            let emails = try await env.http.get("/api/v1/emails", key: env.key).data
            #expect(emails.filter { $0["to"] as? String == "eva@example.com" }.count == 2)
            #expect(emails.filter { $0["to"] as? String == "finn@example.com" }.count == 1)
            let reminder = try #require(emails.first { $0["source"] as? String == "survey_reminder" })
            #expect((reminder["subject"] as? String)?.hasPrefix("Reminder:") == true)
            // The reminder's link and the first one both open Eva's one response.
            let second = try await Self.token(env, to: "eva@example.com")
            #expect(try await Self.form(env.http, second, [("a_score", "6")]).status == .ok)
            env.clock.advance(.seconds(7 * 86_400))
            try await Self.drain(env)
            #expect(try await env.http.get("/api/v1/emails", key: env.key).data.count == 3, "at most one reminder, none after an answer")
        }
    }

    @Test func linksRolesAndWorkspacesAreChecked() async throws {
        try await Self.run { env in
            let surveyId = try await Self.activeSurvey(env)
            try await env.identify("gus", ["email": "gus@example.com"])
            let gus = try #require(try await env.customer("gus")["id"] as? String)

            #expect(try await env.http.get("/s/short").status == .notFound)
            #expect(try await env.http.get("/s/\(String(repeating: "A", count: 32))").status == .notFound)
            #expect(try await Self.form(env.http, String(repeating: "B", count: 32), [("a_score", "1")]).status == .notFound)

            let analyst = try await env.fixture.key(env.services, scope: .read)
            let refused = try await env.http.call(.post, "/api/v1/surveys/\(surveyId)/invitations", key: analyst,
                                                  json: ["customer_ids": [gus]])
            #expect(refused.status == .forbidden)
            let both = try await env.http.call(.post, "/api/v1/surveys/\(surveyId)/invitations", key: env.key,
                                               json: ["customer_ids": [gus], "segment_id": gus])
            #expect(both.status == .unprocessableContent)
            let unknown = try await env.http.call(.post, "/api/v1/surveys/\(surveyId)/invitations", key: env.key,
                                                  json: ["customer_ids": ["0190a6f0-0000-7000-8000-000000000000"]])
            #expect(unknown.status == .unprocessableContent && AutomationTests.field(unknown) == "customer_ids[0]")
            let badAttribute = try await env.http.call(.post, "/api/v1/surveys/\(surveyId)/invitations", key: env.key,
                                                       json: ["customer_ids": [gus], "attributes": ["Agent Name": "x"]])
            #expect(AutomationTests.field(badAttribute) == "attributes.Agent Name")

            let draft = try await env.http.call(.post, "/api/v1/surveys", key: env.key, json: SurveyTests.afterTicket)
            let draftId = try #require(draft.string("id"))
            let inactive = try await env.http.call(.post, "/api/v1/surveys/\(draftId)/invitations", key: env.key,
                                                   json: ["customer_ids": [gus]])
            #expect(inactive.status == .conflict && inactive.errorCode == "survey_not_active")

            try await Self.invite(env, surveyId, [gus])
            try await Self.drain(env)
            let token = try await Self.token(env, to: "gus@example.com")
            let bad = try await Self.form(env.http, token, [("a_score", "11")])
            #expect(bad.status == .unprocessableContent && bad.text.contains("from 0 to 10"), "\(bad.text)")
            #expect(try await env.http.get("/api/v1/surveys/\(surveyId)/responses", key: env.key).data.isEmpty)

            // A partial answer (the required score missing, only the follow-up) is saved but not counted.
            let partial = try await Self.form(env.http, token, [("a_reason", "x")])
            #expect(partial.status == .unprocessableContent, "the reason is not asked before a score: \(partial.text)")

            let other = try await Fixture.make(env.services, name: "Other", ownerEmail: "owner@other.test")
            #expect(try await env.http.get("/api/v1/surveys/\(surveyId)/invitations", key: other.adminKey).status == .notFound)
            let invitationId = try #require(try await Self.invitations(env, surveyId).first?["id"] as? String)
            #expect(try await env.http.get("/api/v1/surveys/\(surveyId)/invitations/\(invitationId)", key: other.adminKey).status == .notFound)
            #expect(try await env.http.call(.put, "/api/v1/survey-contact-rules", key: analyst, json: ["recontact_days": 1]).status == .forbidden)
            let badRule = try await env.http.call(.put, "/api/v1/survey-contact-rules", key: env.key, json: ["quiet_start_hour": 24])
            #expect(AutomationTests.field(badRule) == "quiet_start_hour")
        }
    }
}


/// The invitation pages in the browser: a rule that sends a survey made from the settings form, and a segment invited
/// from the survey's page, held back (no SMTP server) with the reason shown on that page.
@Suite("Survey invitation pages")
struct SurveyInvitationPageTests {
    @Test func aRuleSendsTheChosenSurveyAndASegmentIsInvitedFromTheSurveyPage() async throws {
        try await TestApp.run { http, services in
            let fixture = try await Fixture.make(services)
            let key = fixture.adminKey
            let made = try await http.call(.post, "/api/v1/surveys", key: key, json: SurveyTests.afterTicket)
            let surveyId = try #require(made.string("id"))
            _ = try await http.call(.post, "/api/v1/surveys/\(surveyId)/activate", key: key)
            _ = try await http.call(.post, "/api/v1/customers", key: key, json: ["traits": ["email": "ann@example.com", "plan": "pro"]])
            let segment = try await http.call(.post, "/api/v1/segments", key: key,
                                              json: ["name": "Pros", "rule": ["field": "trait.plan", "op": "eq", "value": "pro"]])
            let segmentId = try #require(segment.string("id"), "\(segment.text)")

            var browser = BrowserSessionTests.Browser(http: http)
            try await browser.signIn()
            let list = try await browser.request(.get, "/settings/automation")
            #expect(list.text.contains(#"<option value="\#(surveyId)">After a resolved ticket</option>"#), "active surveys are offered")
            let csrf = try #require(BrowserSessionTests.Browser.hidden("_csrf", in: list.text))
            let rule = try await browser.request(.post, "/settings/automation", form: [
                "_csrf": csrf, "name": "NPS after tickets", "trigger_type": "event", "trigger_target": "Ticket Resolved",
                "survey_id": surveyId])
            #expect(rule.status == .seeOther, "\(rule.text)")
            let rules = try await http.get("/api/v1/automation/rules", key: key).data
            #expect((rules.first?["actions"] as? [[String: Any]])?.first?["type"] as? String == "send_survey")

            let page = try await browser.request(.get, "/surveys/\(surveyId)")
            #expect(page.text.contains("No invitations yet.") && page.text.contains(#"<option value="\#(segmentId)">Pros</option>"#))
            let invited = try await browser.request(.post, "/surveys/\(surveyId)/invite", form: ["_csrf": csrf, "segment_id": segmentId])
            #expect(invited.headers[.location] == "/surveys/\(surveyId)?done=invite", "\(invited.text)")
            let reader = browser
            try await JobWorkerTests.eventually("the invitation is held back for want of an SMTP server") {
                var copy = reader
                return try await copy.request(.get, "/surveys/\(surveyId)").text.contains("1 suppressed (1 email not configured)")
            }
            let unknown = try await browser.request(.post, "/surveys/\(surveyId)/invite", form: ["_csrf": csrf, "segment_id": "nope"])
            #expect(unknown.status == .unprocessableContent && unknown.text.contains("No segment nope"), "a readable error on the page")
        }
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
