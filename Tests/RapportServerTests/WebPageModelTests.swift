import Foundation
import RapportCore
import RapportWeb
import Testing

@Suite("Web page models: typed pages, dates for people, typed URLs")
struct WebPageModelTests {
    /// 2026-12-01T17:05:09.250Z
    static let moment: Int64 = 1_796_144_709_250

    @Test func datesReadAsDayMonthYearAndTimeWithTheInstantBeside() {
        let date = DisplayDate(millis: Self.moment)
        #expect(date.text == "1 Dec 2026, 17:05 UTC")
        #expect(date.iso == "2026-12-01T17:05:09.250Z")
        // Berlin is an hour ahead in winter and two in summer.
        let berlin = TimeZone(identifier: "Europe/Berlin")!
        #expect(DisplayDate(millis: Self.moment, timeZone: berlin).text.hasPrefix("1 Dec 2026, 18:05 "))
        #expect(DisplayDate(millis: 1_782_914_400_000, timeZone: berlin).text.hasPrefix("1 Jul 2026, 16:00 "))
    }

    @Test func urlsEncodeTheirQueryAndLeaveOutEmptyValues() {
        #expect(WebURL.customers(search: "ann & bob+1@x.io", cursor: "c1") == "/customers?cursor=c1&search=ann%20%26%20bob%2B1%40x.io")
        #expect(WebURL.customers(search: "", segmentId: nil) == "/customers")
        #expect(WebURL.customer("abc", type: "order", done: "merged") == "/customers/abc?type=order&done=merged")
        #expect(WebURL.auditLog(cursor: nil) == "/settings/audit-log")
    }

    @Test func aPageRendersItsTypedValuesEscapedAndNilsAsAbsent() async throws {
        let web = try await WebRenderer.load()
        let user = User(id: "u1", email: "ann@example.com", name: "<b>Ann</b>", passwordHash: "", createdAt: Self.moment)
        let member = Member(user: user, workspaceId: "w1", role: .admin, joinedAt: Self.moment)
        let chrome = PageChrome(csrf: "tok", user: .init(email: "ann@example.com", role: "admin", isAdmin: true, isOwner: false),
                                workspace: .init(id: "w1", name: "Acme", current: true),
                                workspaces: [.init(id: "w1", name: "Acme", current: true)])
        let html = web.render(TeamPage(members: [member], error: nil, flash: "Saved."), chrome: chrome)
        #expect(html.contains("&lt;b&gt;Ann&lt;/b&gt;"))
        #expect(!html.contains("<b>Ann</b>"))
        #expect(html.contains(#"<time datetime="2026-12-01T17:05:09.250Z">1 Dec 2026, 17:05 UTC</time>"#))
        #expect(html.contains("<td>never</td>"), "a member who never signed in")
        #expect(html.contains(#"role="status">Saved."#))
        #expect(!html.contains(#"role="alert""#), "no error was given")
        #expect(html.contains(#"data-testid="current-user">ann@example.com"#))
        #expect(html.contains(#"href="/settings/api-keys""#), "admins see the admin links")
        #expect(!html.contains("workspace-switch"), "one workspace: no switcher")
        #expect(html.contains(#"name="_csrf" value="tok""#))
    }

    @Test func aPageWithoutChromeHasNoNavigation() async throws {
        let web = try await WebRenderer.load()
        let html = web.render(LoginPage(formCsrf: "form-token", error: "Wrong password.", email: "a@b.c"))
        #expect(html.contains(#"value="form-token""#))
        #expect(html.contains(#"role="alert">Wrong password."#))
        #expect(html.contains(#"value="a@b.c""#))
        #expect(!html.contains("mainnav"))
    }
}
