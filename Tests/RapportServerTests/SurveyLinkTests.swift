import Foundation
import Hummingbird
import RapportCore
import RapportRuntime
import Testing

/// A survey's public link in process: made, rotated and disabled by admins only and within the workspace; anonymous
/// responses started through it (no customer, channel `link`, the whitelisted attributes of its query), continued in
/// the same browser by the resume token, never doubled by a form sent twice, shown in the list, export and link
/// counts, opening no follow-up case; what a paused or closed survey's link shows; the per-address limits with
/// `Retry-After`. The same in a phone-sized browser without JavaScript is in e2e/test_survey_link.py.
@Suite("Survey links")
struct SurveyLinkTests {
    typealias Env = AutomationTests.Env
    typealias Browser = BrowserSessionTests.Browser

    static func run(_ body: @escaping @Sendable (Env) async throws -> Void) async throws {
        try await SurveyInvitationTests.run(at: "2026-03-02T10:00:00Z", body)
    }

    /// Makes the survey's link through the API and returns its token.
    static func makeLink(_ env: Env, _ surveyId: String) async throws -> String {
        let made = try await env.http.call(.post, "/api/v1/surveys/\(surveyId)/link", key: env.key)
        #expect(made.status == .created, "\(made.text)")
        return try token(of: made)
    }

    static func token(of reply: TestHTTP.Reply) throws -> String {
        let url = try #require(reply.string("url"), "\(reply.text)")
        #expect(url.hasPrefix("https://cx.example.com/s/"), "\(url)")
        let token = String(url.dropFirst("https://cx.example.com/s/".count))
        #expect(token.count == 32)
        return token
    }

    /// Posts the hosted page's form as a browser does (its cookies, the form's hidden resume token).
    static func post(_ browser: inout Browser, _ action: String, resume: String?, _ fields: [(String, String)]) async throws
        -> TestHTTP.Reply {
        var pairs = fields
        if let resume { pairs.append(("r", resume)) }
        let body = pairs.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
            .joined(separator: "&")
        return try await browser.request(.post, action, headers: [.contentType: "application/x-www-form-urlencoded"], raw: body)
    }

    static func action(in html: String) -> String? {
        guard let range = html.range(of: #"<form method="post" action=""#) else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" }).replacingOccurrences(of: "&amp;", with: "&")
    }

    static func responses(_ env: Env, _ surveyId: String) async throws -> [[String: Any]] {
        try await env.http.get("/api/v1/surveys/\(surveyId)/responses", key: env.key).data
    }

    @Test func adminsMakeRotateAndDisableTheLinkWithinTheirWorkspace() async throws {
        try await Self.run { env in
            let surveyId = try await SurveyInvitationTests.activeSurvey(env)
            let none = try await env.http.get("/api/v1/surveys/\(surveyId)/link", key: env.key)
            #expect(none.status == .ok && none.json["enabled"] as? Bool == false && none.json["url"] is NSNull, "\(none.text)")

            let analyst = try await env.fixture.key(env.services, scope: .read)
            let agent = try await env.fixture.key(env.services, scope: .write)
            #expect(try await env.http.call(.post, "/api/v1/surveys/\(surveyId)/link", key: analyst).status == .forbidden)
            #expect(try await env.http.call(.post, "/api/v1/surveys/\(surveyId)/link", key: agent).status == .forbidden)
            #expect(try await env.http.get("/api/v1/surveys/\(surveyId)/link", key: analyst).status == .ok)

            let first = try await Self.makeLink(env, surveyId)
            let again = try await env.http.call(.post, "/api/v1/surveys/\(surveyId)/link", key: env.key)
            #expect(again.status == .conflict && again.errorCode == "link_exists")
            let shown = try await env.http.get("/api/v1/surveys/\(surveyId)/link", key: env.key)
            #expect(shown.json["enabled"] as? Bool == true && shown.json["url"] is NSNull, "only the answer that made it has the address")
            #expect(shown.json["created_at"] as? String == "2026-03-02T10:00:00.000Z", "\(shown.text)")
            let page = try await env.http.get("/s/\(first)")
            #expect(page.status == .ok && page.text.contains("How likely are you to recommend Acme"), "\(page.text)")
            let stored = try await env.services.core.store.read { try await $0.surveyLinks.find(tokenHash: first) }
            #expect(stored == nil, "the token itself is not what is stored")

            for key in [analyst, agent] {
                #expect(try await env.http.call(.post, "/api/v1/surveys/\(surveyId)/link/rotate", key: key).status == .forbidden)
                #expect(try await env.http.call(.delete, "/api/v1/surveys/\(surveyId)/link", key: key).status == .forbidden)
            }
            let rotated = try await env.http.call(.post, "/api/v1/surveys/\(surveyId)/link/rotate", key: env.key)
            #expect(rotated.status == .ok, "\(rotated.text)")
            let second = try Self.token(of: rotated)
            #expect(second != first)
            #expect(try await env.http.get("/s/\(first)").status == .notFound, "the old link stops working")
            #expect(try await env.http.get("/s/\(second)").status == .ok)

            let other = try await Fixture.make(env.services, name: "Other", ownerEmail: "owner@other.test")
            #expect(try await env.http.get("/api/v1/surveys/\(surveyId)/link", key: other.adminKey).status == .notFound)
            #expect(try await env.http.call(.post, "/api/v1/surveys/\(surveyId)/link/rotate", key: other.adminKey).status == .notFound)
            #expect(try await env.http.call(.delete, "/api/v1/surveys/\(surveyId)/link", key: other.adminKey).status == .notFound)
            #expect(try await env.http.get("/s/\(second)").status == .ok, "another workspace's attempts changed nothing")

            #expect(try await env.http.call(.delete, "/api/v1/surveys/\(surveyId)/link", key: env.key).status == .noContent)
            #expect(try await env.http.get("/s/\(second)").status == .notFound)
            #expect(try await env.http.get("/api/v1/surveys/\(surveyId)/link", key: env.key).json["enabled"] as? Bool == false)
            #expect(try await env.http.call(.delete, "/api/v1/surveys/\(surveyId)/link", key: env.key).status == .noContent)
            let rotateNone = try await env.http.call(.post, "/api/v1/surveys/\(surveyId)/link/rotate", key: env.key)
            #expect(rotateNone.status == .notFound && rotateNone.errorCode == "link_not_found")

            let audit = try await env.http.get("/api/v1/audit-log", key: env.key).data.compactMap { $0["action"] as? String }
            for action in ["survey.link_created", "survey.link_rotated", "survey.link_disabled"] {
                #expect(audit.contains(action), "\(audit)")
            }

            #expect(try await env.http.call(.post, "/api/v1/surveys/\(surveyId)/close", key: env.key).status == .ok)
            let closed = try await env.http.call(.post, "/api/v1/surveys/\(surveyId)/link", key: env.key)
            #expect(closed.status == .conflict && closed.errorCode == "survey_closed")
        }
    }

    @Test func anAnonymousResponseContinuesInTheSameBrowserAndIsNeverDoubled() async throws {
        try await Self.run { env in
            let surveyId = try await SurveyInvitationTests.activeSurvey(env)
            let token = try await Self.makeLink(env, surveyId)
            var browser = Browser(http: env.http)
            let page = try await browser.request(.get, "/s/\(token)?touchpoint=checkout&agent=mallory&channel=qr&score=3")
            #expect(page.status == .ok)
            let resume = try #require(Browser.hidden("r", in: page.text), "\(page.text)")
            #expect(browser.cookies["rapport_survey"] == resume, "the resume token is kept in a cookie too")
            #expect(page.headers[values: .setCookie].first?.contains("Path=/s/\(token)") == true, "\(page.headers)")
            #expect(page.text.contains(#"value="3" checked"#), "the score from the address is proposed")
            let action = try #require(Self.action(in: page.text))
            #expect(action == "/s/\(token)?channel=qr&touchpoint=checkout", "only whitelisted attributes are kept: \(action)")
            #expect(try await Self.responses(env, surveyId).isEmpty, "opening the link records nothing")

            let first = try await Self.post(&browser, action, resume: resume, [("a_score", "3")])
            #expect(first.status == .ok && first.text.contains("Anything to add?"), "\(first.text)")
            // The same form sent again (a double click, the back button) adds no response.
            let twice = try await Self.post(&browser, action, resume: resume, [("a_score", "3")])
            #expect(twice.status == .ok)
            var responses = try await Self.responses(env, surveyId)
            #expect(responses.count == 1)
            let response = try #require(responses.first)
            #expect(response["customer_id"] is NSNull && response["invitation_id"] is NSNull)
            #expect(response["channel"] as? String == "link" && response["status"] as? String == "completed")
            #expect(response["score"] as? Int == 3 && response["band"] as? String == "detractor")
            #expect(response["attributes"] as? [String: String] == ["touchpoint": "checkout", "channel": "qr"])

            // A reload finds the answers; the next answer goes to the same response, by the cookie alone.
            let reload = try await browser.request(.get, "/s/\(token)")
            #expect(reload.text.contains("Thank you! Your answers are saved."), "\(reload.text)")
            let edit = try await browser.request(.get, "/s/\(token)?edit=1")
            #expect(edit.text.contains(#"value="3" checked"#) && Browser.hidden("r", in: edit.text) == resume)
            let more = try await Self.post(&browser, "/s/\(token)", resume: nil, [("a_score", "3"), ("a_reason", "Slow delivery")])
            #expect(more.status == .ok && more.text.contains("Thank you! Your answers are saved."), "\(more.text)")
            responses = try await Self.responses(env, surveyId)
            #expect(responses.count == 1 && (responses.first?["answers"] as? [String: Any])?["reason"] as? String == "Slow delivery")

            // A form sent twice before anything was stored (no cookie, the same page) makes one response.
            let stranger = try await env.http.get("/s/\(token)")
            let strangerResume = try #require(Browser.hidden("r", in: stranger.text))
            #expect(strangerResume != resume)
            var noCookies = Browser(http: env.http)
            for _ in 0..<2 {
                let sent = try await Self.post(&noCookies, "/s/\(token)", resume: strangerResume, [("a_score", "10")])
                #expect(sent.status == .ok, "\(sent.text)")
                noCookies.cookies = [:]
            }
            responses = try await Self.responses(env, surveyId)
            #expect(responses.count == 2 && responses.filter { $0["score"] as? Int == 10 }.count == 1)
            #expect(responses.first { $0["score"] as? Int == 10 }?["attributes"] as? [String: String] == [:])

            // A bad answer is shown back and stores nothing; a made-up resume token starts its own response.
            var third = Browser(http: env.http)
            let bad = try await Self.post(&third, "/s/\(token)", resume: nil, [("a_score", "11")])
            #expect(bad.status == .unprocessableContent && bad.text.contains("from 0 to 10"), "\(bad.text)")
            #expect(try await Self.responses(env, surveyId).count == 2)

            let link = try await env.http.get("/api/v1/surveys/\(surveyId)/link", key: env.key)
            #expect(link.json["responses"] as? [String: Int] == ["partial": 0, "completed": 2], "\(link.text)")
            let csv = try await env.http.get("/api/v1/surveys/\(surveyId)/responses.csv?channel=link", key: env.key)
            let rows = csv.text.split(separator: "\r\n")
            #expect(rows.count == 3, "\(csv.text)")
            #expect(rows.dropFirst().allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false)[1].isEmpty },
                    "no customer: \(csv.text)")
            // Anonymous answers open no follow-up case (there is nobody to call back) and touch no timeline.
            #expect(try await env.http.get("/api/v1/follow-ups", key: env.key).data.isEmpty)
            #expect(try await env.http.get("/api/v1/customers", key: env.key).data.isEmpty)

            // Rotating the link ends the old link's responses' pages too: the old address is unknown.
            _ = try await env.http.call(.post, "/api/v1/surveys/\(surveyId)/link/rotate", key: env.key)
            #expect(try await browser.request(.get, "/s/\(token)").status == .notFound)
        }
    }

    @Test func aLinkToASurveyThatIsNotActiveSaysSoAndTakesNothing() async throws {
        try await Self.run { env in
            let made = try await env.http.call(.post, "/api/v1/surveys", key: env.key, json: SurveyTests.afterTicket)
            let surveyId = try #require(made.string("id"))
            let token = try await Self.makeLink(env, surveyId)
            var browser = Browser(http: env.http)
            let draft = try await browser.request(.get, "/s/\(token)")
            #expect(draft.status == .ok && draft.text.contains("not taking answers at the moment") && !draft.text.contains("<form"))
            let refused = try await Self.post(&browser, "/s/\(token)", resume: nil, [("a_score", "9")])
            #expect(refused.status == .conflict && refused.text.contains("not taking answers"), "\(refused.text)")

            _ = try await env.http.call(.post, "/api/v1/surveys/\(surveyId)/activate", key: env.key)
            let started = try await Self.post(&browser, "/s/\(token)", resume: nil, [("a_score", "9")])
            #expect(started.status == .ok, "\(started.text)")
            _ = try await env.http.call(.post, "/api/v1/surveys/\(surveyId)/pause", key: env.key)
            #expect(try await browser.request(.get, "/s/\(token)").text.contains("not taking answers at the moment"))
            let paused = try await Self.post(&browser, "/s/\(token)?edit=1", resume: nil, [("a_score", "2")])
            #expect(paused.status == .conflict)

            _ = try await env.http.call(.post, "/api/v1/surveys/\(surveyId)/close", key: env.key)
            let closed = try await browser.request(.get, "/s/\(token)")
            #expect(closed.status == .ok && closed.text.contains("This survey is closed"), "\(closed.text)")
            #expect(try await Self.post(&browser, "/s/\(token)", resume: nil, [("a_score", "2")]).status == .conflict)
            let stored = try await Self.responses(env, surveyId)
            #expect(stored.count == 1 && stored.first?["score"] as? Int == 9, "nothing was taken while paused or closed")
        }
    }

    @Test func newResponsesArePerAddressAndLinkAndEveryRefusalSaysWhenToRetry() async throws {
        try await Self.run { env in
            let surveyId = try await SurveyInvitationTests.activeSurvey(env)
            let token = try await Self.makeLink(env, surveyId)
            var keeper = Browser(http: env.http)
            #expect(try await Self.post(&keeper, "/s/\(token)", resume: nil, [("a_score", "9")]).status == .ok)
            for index in 1..<50 {
                var browser = Browser(http: env.http)
                let started = try await Self.post(&browser, "/s/\(token)", resume: nil, [("a_score", "9")])
                if started.status != .ok { Issue.record("start \(index): \(started.status)"); return }
            }
            var late = Browser(http: env.http)
            let refused = try await Self.post(&late, "/s/\(token)", resume: nil, [("a_score", "9")])
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers[.retryAfter] == "3600" && refused.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(refused.text.contains("Please wait 60 minutes and try again."), "\(refused.text)")
            #expect(try await Self.responses(env, surveyId).count == 50)
            // A response already started goes on.
            #expect(try await Self.post(&keeper, "/s/\(token)", resume: nil, [("a_score", "8")]).status == .ok)

            env.clock.advance(.seconds(1_800))
            let later = try await Self.post(&late, "/s/\(token)", resume: nil, [("a_score", "9")])
            #expect(later.status == .tooManyRequests && later.headers[.retryAfter] == "1800")
            env.clock.advance(.seconds(1_800))
            #expect(try await Self.post(&late, "/s/\(token)", resume: nil, [("a_score", "9")]).status == .ok)

            // Any page of /s/: 120 requests a minute per address, then a page that says how long to wait.
            env.clock.advance(.seconds(60))
            for _ in 0..<120 { _ = try await env.http.get("/s/short") }
            let tooMany = try await env.http.get("/s/\(token)")
            #expect(tooMany.status == .tooManyRequests && tooMany.headers[.retryAfter] == "60", "\(tooMany.headers)")
            #expect(tooMany.text.contains("Please wait a moment") && !tooMany.text.contains("Sign out"))
            env.clock.advance(.seconds(45))
            #expect(try await env.http.get("/s/\(token)").headers[.retryAfter] == "15")
            env.clock.advance(.seconds(15))

            // The form is bounded well below the server's body limit.
            let huge = "a_reason=" + String(repeating: "x", count: 300_000)
            let tooLarge = try await env.http.call(.post, "/s/\(token)", raw: huge,
                                                   headers: [.contentType: "application/x-www-form-urlencoded"])
            #expect(tooLarge.status == .contentTooLarge && tooLarge.text.contains("too long"), "\(tooLarge.status)")
        }
    }

    @Test func theSurveyPageMakesRotatesAndDisablesTheLink() async throws {
        try await Self.run { env in
            let surveyId = try await SurveyInvitationTests.activeSurvey(env)
            var browser = Browser(http: env.http)
            try await browser.signIn()
            let page = try await browser.request(.get, "/surveys/\(surveyId)")
            #expect(page.text.contains("No shareable link.") && page.text.contains(#"id="create-link""#))
            let csrf = try #require(Browser.hidden("_csrf", in: page.text))
            let made = try await browser.request(.post, "/surveys/\(surveyId)/link", form: ["_csrf": csrf])
            #expect(made.status == .created, "\(made.text)")
            let url = try #require(made.text.range(of: #"https://cx\.example\.com/s/[A-Za-z0-9_-]{32}"#, options: .regularExpression)
                .map { String(made.text[$0]) })
            #expect(made.text.contains(#"id="rotate-link""#) && made.text.contains("0 finished responses through links."))
            let again = try await browser.request(.post, "/surveys/\(surveyId)/link", form: ["_csrf": csrf])
            #expect(again.status == .conflict && again.text.contains("already has a link"), "a readable error")
            let shown = try await browser.request(.get, "/surveys/\(surveyId)")
            #expect(!shown.text.contains(url) && shown.text.contains("A shareable link was made on"), "shown once only")
            let rotated = try await browser.request(.post, "/surveys/\(surveyId)/link/rotate", form: ["_csrf": csrf])
            #expect(rotated.status == .ok && !rotated.text.contains(url) && rotated.text.contains("https://cx.example.com/s/"))
            let disabled = try await browser.request(.post, "/surveys/\(surveyId)/link/disable", form: ["_csrf": csrf])
            #expect(disabled.headers[.location] == "/surveys/\(surveyId)?done=link_disabled")
            #expect(try await browser.request(.get, "/surveys/\(surveyId)").text.contains("No shareable link."))
            let forged = try await browser.request(.post, "/surveys/\(surveyId)/link", form: ["_csrf": "nope"])
            #expect(forged.status == .forbidden)
        }
    }
}
