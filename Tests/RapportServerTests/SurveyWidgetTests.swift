import Foundation
import Hummingbird
import RapportCore
import RapportRuntime
import Testing

/// The web widget over HTTP in process, as `/widget.js` calls it: the targeting rule (page, event, time), the
/// contact rules shared with email invitations (consent on `web`, the recontact period across channels, a
/// dismissal that holds the survey back), answers recorded through the hosted page's path with channel `widget`,
/// identity verification by `user_hash`, validation, roles and workspace isolation. The same in a browser on another
/// origin is e2e/test_survey_widget.py.
@Suite("Survey widget")
struct SurveyWidgetTests {
    typealias Env = AutomationTests.Env

    static let pricing = "https://shop.example/pricing"

    /// An active survey (SurveyTests.afterTicket's questions) shown by the widget under `widget`'s rule.
    static func widgetSurvey(_ env: Env, widget: [String: Any] = [:], settings: [String: Any] = [:]) async throws -> String {
        var all = settings
        all["widget"] = widget.merging(["enabled": true]) { mine, _ in mine }
        return try await SurveyInvitationTests.activeSurvey(env, settings: all)
    }

    /// `POST /v1/widget/check` as widget.js sends it: `text/plain` JSON with the write key in the body.
    static func check(_ env: Env, _ userId: String, url: String = pricing, events: [String] = [], page: Int = 0, site: Int = 0,
                      hash: String? = nil, key: String? = nil) async throws -> TestHTTP.Reply {
        var body: [String: Any] = ["write_key": key ?? env.trackKey, "user_id": userId, "url": url, "events": events,
                                   "seconds_on_page": page, "seconds_on_site": site]
        if let hash { body["user_hash"] = hash }
        let reply = try await env.http.call(.post, "/v1/widget/check", json: body, headers: [.contentType: "text/plain"])
        #expect(reply.headers[.accessControlAllowOrigin] == "*", "callable from the customer's site")
        return reply
    }

    static func shown(_ reply: TestHTTP.Reply) -> [String: Any]? { reply.json["survey"] as? [String: Any] }

    static func answer(_ env: Env, _ token: String, _ answers: [String: Any]) async throws -> TestHTTP.Reply {
        try await env.http.call(.post, "/v1/widget/answer", json: ["token": token, "answers": answers],
                                headers: [.contentType: "text/plain"])
    }

    static func dismiss(_ env: Env, _ token: String) async throws -> TestHTTP.Reply {
        try await env.http.call(.post, "/v1/widget/dismiss", json: ["token": token], headers: [.contentType: "text/plain"])
    }

    static func stats(_ env: Env, _ surveyId: String) async throws -> [String: Any] {
        try await env.http.get("/api/v1/surveys/\(surveyId)/invitation-stats", key: env.key).json
    }

    @Test func theSurveyShowsOnlyWhenItsPageEventAndTimeMatchAndOncePerRecontactPeriod() async throws {
        try await AutomationTests.run { env in
            let surveyId = try await Self.widgetSurvey(env, widget: [
                "paths": ["/pricing", "/plans/*"], "event": "Checkout Completed", "seconds_on_page": 10, "position": "bottom_left"])
            var reply = try await Self.check(env, "ann", url: "https://shop.example/plans/pro", events: ["Checkout Completed"], page: 30)
            #expect(reply.status == .ok && Self.shown(reply) == nil, "an unknown visitor sees nothing: \(reply.text)")
            try await env.identify("ann", ["email": "ann@example.com", "locale": "fr-FR"])

            reply = try await Self.check(env, "ann", url: "https://shop.example/about", events: ["Checkout Completed"], page: 30)
            #expect(Self.shown(reply) == nil && (reply.json["events"] as? [String])?.isEmpty == true, "another page: \(reply.text)")
            reply = try await Self.check(env, "ann", url: "https://shop.example/pricing", page: 30)
            #expect(Self.shown(reply) == nil && reply.json["events"] as? [String] == ["Checkout Completed"], "\(reply.text)")
            reply = try await Self.check(env, "ann", url: "https://shop.example/plans/pro", events: ["Checkout Completed"], page: 3)
            #expect(Self.shown(reply) == nil && reply.json["retry_after_seconds"] as? Int == 7, "\(reply.text)")
            #expect(try await SurveyInvitationTests.invitations(env, surveyId).isEmpty, "nothing is recorded before the rule matches")

            reply = try await Self.check(env, "ann", url: "https://shop.example/plans/pro/?email=ann%40example.com#top",
                                         events: ["Viewed", "Checkout Completed"], page: 10)
            let survey = try #require(Self.shown(reply), "\(reply.text)")
            #expect(survey["position"] as? String == "bottom_left" && survey["status"] as? String == "asking")
            #expect(survey["language"] as? String == "fr" && survey["workspace_name"] as? String == "Acme")
            let questions = try #require(survey["questions"] as? [[String: Any]])
            #expect(questions.map { $0["id"] as? String } == ["score"], "the follow-up waits for its answer")
            #expect(questions.first?["text"] as? String == "Recommanderiez-vous Acme ?")
            #expect((questions.first?["choices"] as? [[String: String]])?.map { $0["value"] } == (0...10).map { String($0) })
            #expect((survey["token"] as? String)?.count == 32)
            #expect(!reply.text.contains("ann@example.com"), "no profile data in the answer")

            let invitations = try await SurveyInvitationTests.invitations(env, surveyId)
            #expect(invitations.count == 1)
            let shown = try #require(invitations.first)
            #expect(shown["channel"] as? String == "widget" && shown["status"] as? String == "sent" && shown["source"] as? String == "widget")
            #expect(shown["attributes"] as? [String: String] == ["page_url": "https://shop.example/plans/pro/"],
                    "the query and fragment are dropped")

            // The recontact period holds the next showing back; it is recorded once a day, not once a page.
            for _ in 0..<3 {
                reply = try await Self.check(env, "ann", url: "https://shop.example/pricing", events: ["Checkout Completed"], page: 60)
                #expect(Self.shown(reply) == nil, "\(reply.text)")
            }
            var reasons = try await SurveyInvitationTests.invitations(env, surveyId).compactMap { $0["reason"] as? String }
            #expect(reasons == ["recontact_period"])
            env.clock.advance(.seconds(86_401))
            _ = try await Self.check(env, "ann", url: "https://shop.example/pricing", events: ["Checkout Completed"], page: 60)
            reasons = try await SurveyInvitationTests.invitations(env, surveyId).compactMap { $0["reason"] as? String }
            #expect(reasons == ["recontact_period", "recontact_period"])
            let stats = try await Self.stats(env, surveyId)
            #expect((stats["by_status"] as? [String: Int])?["sent"] == 1 && (stats["by_status"] as? [String: Int])?["suppressed"] == 2)

            let ann = try #require(try await env.customer("ann")["id"] as? String)
            let timeline = try await env.http.get("/api/v1/customers/\(ann)/timeline?type=survey_invitation", key: env.key).data
            #expect(timeline.count == 3)
            #expect(timeline.allSatisfy { ($0["properties"] as? [String: Any])?["channel"] as? String == "widget" })
        }
    }

    @Test func anAnswerIsRecordedWithChannelWidgetThePageAndItsFollowUp() async throws {
        try await AutomationTests.run { env in
            let surveyId = try await Self.widgetSurvey(env)
            try await env.identify("bea", ["email": "bea@example.com"])
            let shown = try #require(Self.shown(try await Self.check(env, "bea")))
            let token = try #require(shown["token"] as? String)

            let bad = try await Self.answer(env, token, ["score": 11])
            #expect(bad.status == .unprocessableContent && AutomationTests.field(bad) == "answers.score", "\(bad.text)")
            let unknownQuestion = try await Self.answer(env, token, ["nope": 1])
            #expect(unknownQuestion.status == .unprocessableContent, "\(unknownQuestion.text)")

            let first = try await Self.answer(env, token, ["score": 4])
            #expect(first.status == .ok, "\(first.text)")
            let state = try #require(first.json["survey"] as? [String: Any])
            let questions = try #require(state["questions"] as? [[String: Any]])
            #expect(questions.map { $0["id"] as? String } == ["score", "reason"], "the follow-up the score reveals")
            #expect(questions.last?["answer"] is NSNull && questions.first?["answer"] as? Int == 4)

            var responses = try await env.http.get("/api/v1/surveys/\(surveyId)/responses", key: env.key).data
            let response = try #require(responses.first)
            #expect(responses.count == 1 && response["channel"] as? String == "widget" && response["status"] as? String == "completed")
            #expect(response["score"] as? Int == 4 && response["band"] as? String == "detractor")
            #expect((response["attributes"] as? [String: String])?["page_url"] == "https://shop.example/pricing")
            let invitation = try #require(try await SurveyInvitationTests.invitations(env, surveyId).first)
            #expect(response["invitation_id"] as? String == invitation["id"] as? String)
            #expect(invitation["status"] as? String == "responded")

            let second = try await Self.answer(env, token, ["reason": "Too slow"])
            #expect(second.status == .ok && (second.json["survey"] as? [String: Any])?["status"] as? String == "finished", "\(second.text)")
            responses = try await env.http.get("/api/v1/surveys/\(surveyId)/responses", key: env.key).data
            #expect(responses.count == 1 && (responses.first?["answers"] as? [String: Any])?["reason"] as? String == "Too slow")
            let bea = try #require(try await env.customer("bea")["id"] as? String)
            let timeline = try await env.http.get("/api/v1/customers/\(bea)/timeline?type=survey_response", key: env.key).data
            #expect(timeline.count == 1)
            let cases = try await env.http.get("/api/v1/follow-ups?survey_id=\(surveyId)", key: env.key).data
            #expect(cases.count == 1, "a detractor's widget answer opens a follow-up case like any other")

            // Closing after answering is not a dismissal.
            let closed = try await Self.dismiss(env, token)
            #expect(closed.status == .ok && closed.json["dismissed"] as? Bool == false)
            #expect((try await Self.stats(env, surveyId)["by_status"] as? [String: Int])?["dismissed"] == 0)

            let unknown = try await Self.answer(env, String(repeating: "A", count: 32), ["score": 1])
            #expect(unknown.status == .notFound && unknown.errorCode == "not_found")
            #expect(try await Self.dismiss(env, "short").status == .notFound)
            // An email invitation's link is no widget showing.
            #expect(try await Self.answer(env, String(repeating: "B", count: 32), ["score": 1]).status == .notFound)
        }
    }

    @Test func aDismissalIsCountedAndHoldsTheSurveyBackForItsPeriod() async throws {
        try await AutomationTests.run { env in
            let surveyId = try await Self.widgetSurvey(env, widget: ["dismiss_days": 10])
            #expect(try await env.http.call(.put, "/api/v1/survey-contact-rules", key: env.key, json: ["recontact_days": 0]).status == .ok)
            try await env.identify("cy", ["email": "cy@example.com"])
            let token = try #require(Self.shown(try await Self.check(env, "cy"))?["token"] as? String)
            let closed = try await Self.dismiss(env, token)
            #expect(closed.status == .ok && closed.json["dismissed"] as? Bool == true, "\(closed.text)")
            #expect(try await Self.dismiss(env, token).json["dismissed"] as? Bool == false, "counted once")
            let stats = try await Self.stats(env, surveyId)
            #expect((stats["by_status"] as? [String: Int])?["dismissed"] == 1, "\(stats)")

            env.clock.advance(.seconds(9 * 86_400))
            #expect(Self.shown(try await Self.check(env, "cy")) == nil)
            let held = try await SurveyInvitationTests.invitations(env, surveyId).first { $0["status"] as? String == "suppressed" }
            #expect(held?["reason"] as? String == "recently_dismissed")
            env.clock.advance(.seconds(2 * 86_400))
            #expect(Self.shown(try await Self.check(env, "cy")) != nil, "shown again once the dismissal's period is over")

            var browser = BrowserSessionTests.Browser(http: env.http)
            try await browser.signIn()
            let page = try await browser.request(.get, "/surveys/\(surveyId)")
            #expect(page.text.contains("1 dismissed") && page.text.contains("Shown on every page"), "\(page.text)")
        }
    }

    @Test func withdrawnConsentOnTheWebShowsNothing() async throws {
        try await AutomationTests.run { env in
            let surveyId = try await Self.widgetSurvey(env)
            for user in ["dee", "eli", "fay"] { try await env.identify(user, ["email": "\(user)@example.com"]) }
            let ids = try await ["dee", "eli", "fay"].asyncMap { try #require(try await env.customer($0)["id"] as? String) }
            for (id, channel) in [(ids[0], "web"), (ids[1], "any"), (ids[2], "email")] {
                let withdrawn = try await env.http.call(.post, "/api/v1/customers/\(id)/consents", key: env.key, json: [
                    "purpose": "surveys", "channel": channel, "status": "withdrawn"])
                #expect(withdrawn.status == .created, "\(withdrawn.text)")
            }
            #expect(Self.shown(try await Self.check(env, "dee")) == nil)
            #expect(Self.shown(try await Self.check(env, "eli")) == nil)
            #expect(Self.shown(try await Self.check(env, "fay")) != nil, "withdrawing email consent leaves the web")
            let invitations = try await SurveyInvitationTests.invitations(env, surveyId)
            let reasons = invitations.compactMap { $0["reason"] as? String }
            #expect(reasons == ["no_consent", "no_consent"], "\(invitations)")
        }
    }

    @Test func theRecontactPeriodHoldsAcrossEmailAndWidget() async throws {
        try await SurveyInvitationTests.run { env in
            let emailed = try await SurveyInvitationTests.activeSurvey(env)
            let widget = try await Self.widgetSurvey(env)
            try await env.identify("gil", ["email": "gil@example.com"])
            try await env.identify("hal", ["email": "hal@example.com"])
            let gil = try #require(try await env.customer("gil")["id"] as? String)
            let hal = try #require(try await env.customer("hal")["id"] as? String)

            // Emailed first: the widget holds back.
            try await SurveyInvitationTests.invite(env, emailed, [gil])
            try await SurveyInvitationTests.drain(env)
            #expect(try await SurveyInvitationTests.invitations(env, emailed).first?["status"] as? String == "sent")
            env.clock.advance(.seconds(86_400))
            #expect(Self.shown(try await Self.check(env, "gil")) == nil)
            #expect(try await SurveyInvitationTests.invitations(env, widget).first?["reason"] as? String == "recontact_period")

            // Shown by the widget first: the email holds back.
            #expect(Self.shown(try await Self.check(env, "hal")) != nil)
            env.clock.advance(.seconds(86_400))
            try await SurveyInvitationTests.invite(env, emailed, [hal])
            try await SurveyInvitationTests.drain(env)
            let held = try await SurveyInvitationTests.invitations(env, emailed).first { $0["customer_id"] as? String == hal }
            #expect(held?["status"] as? String == "suppressed" && held?["reason"] as? String == "recontact_period")
        }
    }

    @Test func identityVerificationRequiresTheHMACOfTheUserId() async throws {
        try await AutomationTests.run { env in
            _ = try await Self.widgetSurvey(env)
            try await env.identify("ivy", ["email": "ivy@example.com"])
            let analyst = try await env.fixture.key(env.services, scope: .read)
            #expect(try await env.http.get("/api/v1/survey-widget", key: analyst).status == .forbidden)
            #expect(try await env.http.get("/api/v1/survey-widget", key: env.key).json["require_user_hash"] as? Bool == false)
            let bad = try await env.http.call(.put, "/api/v1/survey-widget", key: env.key, json: ["require_user_hash": "yes"])
            #expect(bad.status == .unprocessableContent && AutomationTests.field(bad) == "require_user_hash")

            let on = try await env.http.call(.put, "/api/v1/survey-widget", key: env.key, json: ["require_user_hash": true])
            #expect(on.status == .ok, "\(on.text)")
            let secret = try #require(on.string("secret"), "a secret is made when verification is first required")
            let mac = HMACMessageAuthenticator()
            let right = mac.hmacSHA256Hex(key: secret, message: "ivy")

            var reply = try await Self.check(env, "ivy")
            #expect(reply.status == .forbidden && reply.errorCode == "identity_not_verified", "\(reply.text)")
            reply = try await Self.check(env, "ivy", hash: mac.hmacSHA256Hex(key: secret, message: "someone-else"))
            #expect(reply.status == .forbidden)
            reply = try await Self.check(env, "ivy", hash: mac.hmacSHA256Hex(key: "wrong", message: "ivy"))
            #expect(reply.status == .forbidden)
            reply = try await Self.check(env, "ivy", hash: right.uppercased())
            #expect(reply.status == .ok && Self.shown(reply) != nil, "\(reply.text)")

            // A new secret invalidates hashes made with the old one.
            let rotated = try await env.http.call(.put, "/api/v1/survey-widget", key: env.key, json: ["rotate_secret": true])
            #expect(rotated.string("secret") != secret && rotated.json["require_user_hash"] as? Bool == true)
            #expect(try await Self.check(env, "ivy", hash: right).status == .forbidden)
            let audit = try await env.http.get("/api/v1/audit-log?action=survey.widget_identity_changed", key: env.key).data
            #expect(audit.count == 2)
        }
    }

    @Test func theHMACIsRFC4231s() {
        // RFC 4231, test case 2.
        #expect(HMACMessageAuthenticator().hmacSHA256Hex(key: "Jefe", message: "what do ya want for nothing?")
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        let identity = SurveyWidgetIdentity(requireUserHash: true, secret: "Jefe")
        #expect(identity.verifies(userId: "what do ya want for nothing?",
                                  hash: "5BDCC146BF60754E6A042426089575C75A003F089D2739839DEC58B964EC3843", mac: HMACMessageAuthenticator()))
        #expect(!identity.verifies(userId: "what do ya want for nothing?", hash: "5bdcc146", mac: HMACMessageAuthenticator()))
        #expect(!SurveyWidgetIdentity().verifies(userId: "x", hash: "", mac: HMACMessageAuthenticator()))
    }

    @Test func workspacesSeeOnlyTheirOwnVisitorsAndShowings() async throws {
        try await AutomationTests.run { env in
            let surveyId = try await Self.widgetSurvey(env)
            try await env.identify("jo", ["email": "jo@example.com"])
            let other = try await Fixture.make(env.services, name: "Other", ownerEmail: "owner@other.test")
            let otherTrack = try await other.key(env.services, scope: .track)
            let otherSurvey = try await env.http.call(.post, "/api/v1/surveys", key: other.adminKey, json: [
                "name": "Theirs", "questions": [["id": "score", "type": "nps", "required": true, "text": "Recommend?"]],
                "settings": ["widget": ["enabled": true]]])
            let otherId = try #require(otherSurvey.string("id"), "\(otherSurvey.text)")
            #expect(try await env.http.call(.post, "/api/v1/surveys/\(otherId)/activate", key: other.adminKey).status == .ok)

            let foreign = try await Self.check(env, "jo", key: otherTrack)
            #expect(foreign.status == .ok && Self.shown(foreign) == nil, "Jo is not a customer of the other workspace")
            let token = try #require(Self.shown(try await Self.check(env, "jo"))?["token"] as? String)
            #expect(try await SurveyInvitationTests.invitations(env, surveyId).count == 1)
            #expect(try await env.http.get("/api/v1/surveys/\(otherId)/invitations", key: other.adminKey).data.isEmpty)
            #expect(try await env.http.get("/api/v1/surveys/\(surveyId)/invitation-stats", key: other.adminKey).status == .notFound)
            #expect(try await env.http.get("/api/v1/survey-widget", key: other.adminKey).json["secret"] is NSNull)
            #expect(try await Self.answer(env, token, ["score": 9]).status == .ok)
            #expect(try await env.http.get("/api/v1/surveys/\(otherId)/responses", key: other.adminKey).data.isEmpty)
        }
    }

    @Test func badRulesAndBadChecksAreRefusedNamingTheField() async throws {
        try await AutomationTests.run { env in
            for (widget, field) in [(["paths": ["pricing"]], "settings.widget.paths[0]"), (["position": "top"], "settings.widget.position"),
                                    (["seconds_on_page": -1], "settings.widget.seconds_on_page"), (["colour": "red"], "settings.widget.colour"),
                                    (["dismiss_days": 0], "settings.widget.dismiss_days"), (["event": ""], "settings.widget.event")] as [([String: Any], String)] {
                var body = SurveyTests.afterTicket
                body["settings"] = ["widget": widget]
                let made = try await env.http.call(.post, "/api/v1/surveys", key: env.key, json: body)
                #expect(made.status == .unprocessableContent && AutomationTests.field(made) == field, "\(made.text)")
            }
            let surveyId = try await Self.widgetSurvey(env, widget: ["paths": ["/a/*/b"]])
            let survey = try await env.http.get("/api/v1/surveys/\(surveyId)", key: env.key)
            let widget = try #require((survey.json["settings"] as? [String: Any])?["widget"] as? [String: Any])
            #expect(widget["paths"] as? [String] == ["/a/*/b"] && widget["dismiss_days"] as? Int == 30 && widget["enabled"] as? Bool == true)

            for (body, field) in [(["user_id": "x", "url": "ftp://x/"], "url"), (["url": Self.pricing], "user_id"),
                                  (["user_id": "x", "url": Self.pricing, "events": Array(repeating: "e", count: 51)], "events"),
                                  (["user_id": "x", "url": Self.pricing, "seconds_on_page": 1.5], "seconds_on_page"),
                                  (["user_id": "x", "url": Self.pricing, "colour": 1], "colour")] as [([String: Any], String)] {
                let reply = try await env.http.call(.post, "/v1/widget/check", json: body.merging(["write_key": env.trackKey]) { a, _ in a })
                #expect(reply.status == .unprocessableContent && AutomationTests.field(reply) == field, "\(reply.text)")
            }
            let anonymous = try await env.http.call(.post, "/v1/widget/check", json: ["user_id": "x", "url": Self.pricing])
            #expect(anonymous.status == .unauthorized)
            let admin = try await env.http.call(.post, "/v1/widget/check", key: env.key, json: ["user_id": "x", "url": Self.pricing])
            #expect(admin.status == .forbidden, "only a track key")
            let huge = try await env.http.call(.post, "/v1/widget/check", raw: String(repeating: " ", count: 20_000) + "{}",
                                               headers: [.contentType: "text/plain"])
            #expect(huge.status == .contentTooLarge)

            let script = try await env.http.get("/widget.js")
            #expect(script.status == .ok && script.headers[.accessControlAllowOrigin] == "*")
            #expect(script.headers[.contentType]?.hasPrefix("text/javascript") == true && script.text.contains("/v1/widget/check"))
            let preflight = try await env.http.call(.options, "/v1/widget/answer")
            #expect(preflight.status == .noContent && preflight.headers[.accessControlAllowOrigin] == "*")
        }
    }
}
