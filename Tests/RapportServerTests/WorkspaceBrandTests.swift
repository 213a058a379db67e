import Foundation
import Hummingbird
import RapportCore
import Testing

/// The workspace's brand colour: set through the API and the settings page by admins (validated, with the text colour
/// chosen for contrast), and used by the hosted survey page (its own stylesheet, since the pages' CSP allows no inline
/// style) and the invitation email's header. And `Retry-After` on the sign-in lockout.
@Suite("Workspace brand")
struct WorkspaceBrandTests {
    typealias Env = AutomationTests.Env

    @Test func theBrandColourIsCheckedAndColoursTheSurveyPageAndTheEmail() async throws {
        try await SurveyLinkTests.run { env in
            let workspace = "/api/v1/workspaces/\(env.fixture.workspace.id)"
            let set = try await env.http.call(.patch, workspace, key: env.key, json: ["brand_color": "#1F6FEB"])
            #expect(set.status == .ok && set.string("brand_color") == "#1f6feb" && set.string("brand_text_color") == "#ffffff",
                    "\(set.text)")
            let pale = try await env.http.call(.patch, workspace, key: env.key, json: ["brand_color": "#fc0"])
            #expect(pale.string("brand_color") == "#ffcc00" && pale.string("brand_text_color") == "#000000")
            for bad in ["blue", "#12345", "rgb(0,0,0)"] {
                let refused = try await env.http.call(.patch, workspace, key: env.key, json: ["brand_color": bad])
                #expect(refused.status == .unprocessableContent && AutomationTests.field(refused) == "brand_color", "\(refused.text)")
            }
            let number = try await env.http.call(.patch, workspace, key: env.key, json: ["brand_color": 123])
            #expect(number.status == .unprocessableContent)
            let analyst = try await env.fixture.key(env.services, scope: .read)
            #expect(try await env.http.call(.patch, workspace, key: analyst, json: ["brand_color": "#000000"]).status == .forbidden)
            let other = try await Fixture.make(env.services, name: "Other", ownerEmail: "owner@other.test")
            #expect(try await env.http.call(.patch, workspace, key: other.adminKey, json: ["brand_color": "#000000"]).status == .notFound)
            let cleared = try await env.http.call(.patch, workspace, key: env.key, json: ["brand_color": NSNull()])
            #expect(cleared.status == .ok && cleared.json["brand_color"] is NSNull && cleared.json["brand_text_color"] is NSNull)
            _ = try await env.http.call(.patch, workspace, key: env.key, json: ["brand_color": "#1f6feb"])
            let audit = try await env.http.get("/api/v1/audit-log", key: env.key).data.compactMap { $0["action"] as? String }
            #expect(audit.filter { $0 == "workspace.brand_color_changed" }.count == 4, "\(audit)")

            // The hosted page of a link and of an invitation, and the invitation email.
            let surveyId = try await SurveyInvitationTests.activeSurvey(env)
            let token = try await SurveyLinkTests.makeLink(env, surveyId)
            let page = try await env.http.get("/s/\(token)")
            #expect(page.text.contains(#"<link rel="stylesheet" href="/brand/1f6feb.css">"#) && page.text.contains(">Acme</span>"))
            let css = try await env.http.get("/brand/1f6feb.css")
            #expect(css.status == .ok && css.headers[.contentType]?.hasPrefix("text/css") == true)
            #expect(css.text.contains("background: #1f6feb; color: #ffffff"), "\(css.text)")
            for bad in ["/brand/1F6FEB.css", "/brand/abc.css", "/brand/zzzzzz.css", "/brand/1f6feb.js"] {
                #expect(try await env.http.get(bad).status == .notFound, "\(bad)")
            }
            try await env.identify("ada", ["email": "ada@example.com"])
            let ada = try #require(try await env.customer("ada")["id"] as? String)
            try await SurveyInvitationTests.invite(env, surveyId, [ada])
            try await SurveyInvitationTests.drain(env)
            let email = try #require(try await env.http.get("/api/v1/emails", key: env.key).data.first)
            let html = try #require(email["html"] as? String)
            #expect(html.contains("background: #1f6feb; color: #ffffff;") && html.contains(">Acme</div>"), "\(html)")
            let invited = try await env.http.get("/s/\(try await SurveyInvitationTests.token(env, to: "ada@example.com"))")
            #expect(invited.text.contains("/brand/1f6feb.css"))

            _ = try await env.http.call(.patch, workspace, key: env.key, json: ["brand_color": NSNull()])
            #expect(!(try await env.http.get("/s/\(token)").text.contains("/brand/")), "Rapport's own look without a colour")
        }
    }

    @Test func theSettingsPageSavesTheColourOrSaysWhatIsWrong() async throws {
        try await TestApp.run { http, services in
            _ = try await Fixture.make(services)
            var browser = BrowserSessionTests.Browser(http: http)
            try await browser.signIn()
            let page = try await browser.request(.get, "/settings/workspace")
            let csrf = try #require(BrowserSessionTests.Browser.hidden("_csrf", in: page.text))
            #expect(page.text.contains(#"name="brand_color""#))
            let bad = try await browser.request(.post, "/settings/workspace",
                                                form: ["_csrf": csrf, "name": "Acme", "time_zone": "UTC", "brand_color": "navy"])
            #expect(bad.status == .unprocessableContent && bad.text.contains("must be a colour like #1f6feb") && bad.text.contains(#"value="navy""#))
            let saved = try await browser.request(.post, "/settings/workspace",
                                                  form: ["_csrf": csrf, "name": "Acme", "time_zone": "UTC", "brand_color": "#123"])
            #expect(saved.status == .seeOther)
            let shown = try await browser.request(.get, "/settings/workspace")
            #expect(shown.text.contains(##"value="#112233""##) && shown.text.contains("Text on #112233 is white"), "\(shown.text)")
            _ = try await browser.request(.post, "/settings/workspace",
                                          form: ["_csrf": csrf, "name": "Acme", "time_zone": "UTC", "brand_color": ""])
            #expect(!(try await browser.request(.get, "/settings/workspace").text.contains("Text on #")), "cleared")
        }
    }

    @Test func theSignInLockoutSaysWhenToTryAgain() async throws {
        try await TestApp.run { http, services in
            _ = try await Fixture.make(services)
            var browser = BrowserSessionTests.Browser(http: http)
            let login = try await browser.request(.get, "/login")
            let csrf = try #require(BrowserSessionTests.Browser.hidden("_csrf", in: login.text))
            var last: TestHTTP.Reply?
            for _ in 0..<6 {
                last = try await browser.request(.post, "/login", form: ["_csrf": csrf, "email": "owner@acme.test", "password": "wrong password!"])
            }
            let locked = try #require(last)
            #expect(locked.status == .tooManyRequests && locked.headers[.retryAfter] == "900", "\(locked.headers)")
            #expect(locked.text.contains("Try again in 15 minutes"))
        }
    }
}
