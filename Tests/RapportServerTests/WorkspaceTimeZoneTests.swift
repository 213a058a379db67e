import Foundation
import Hummingbird
import RapportCore
import RapportRuntime
import RapportWeb
import Testing

/// A workspace's time zone over the API and in the pages: set by an admin, checked before anything is saved, and the
/// zone the UI shows dates in.
@Suite("Workspace time zone")
struct WorkspaceTimeZoneTests {
    @Test func adminsSetTheZoneAndPagesShowDatesInIt() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let path = "/api/v1/workspaces/\(acme.workspace.id)"
            #expect(try await http.get(path, key: acme.adminKey).string("time_zone") == "UTC")

            let bad = try await http.call(.patch, path, key: acme.adminKey, json: ["name": "Acme EU", "time_zone": "Europe/Atlantis"])
            #expect(bad.status == .unprocessableContent)
            #expect((bad.json["error"] as? [String: Any]).flatMap { ($0["details"] as? [String: Any])?["field"] as? String } == "time_zone")
            #expect(try await http.get(path, key: acme.adminKey).string("name") == "Acme", "nothing saved when one field is bad")
            let empty = try await http.call(.patch, path, key: acme.adminKey, json: [String: Any]())
            #expect(empty.status == .unprocessableContent)

            let writer = try await acme.key(services, scope: .write)
            #expect(try await http.call(.patch, path, key: writer, json: ["time_zone": "Europe/Berlin"]).status == .forbidden)

            let set = try await http.call(.patch, path, key: acme.adminKey, json: ["time_zone": "Europe/Berlin"])
            #expect(set.status == .ok && set.string("time_zone") == "Europe/Berlin" && set.string("name") == "Acme")

            // The team page shows when the owner joined in Berlin time (one or two hours ahead of UTC).
            var browser = BrowserSessionTests.Browser(http: http)
            try await browser.signIn()
            let team = try await browser.request(.get, "/settings/team")
            let member = try await services.team.list(try await services.access.authenticate(apiKey: acme.adminKey),
                                                      page: PageRequest(limit: 10)).items[0]
            let berlin = DisplayDate(millis: member.joinedAt, timeZone: TimeZone(identifier: "Europe/Berlin")!)
            #expect(team.text.contains(berlin.text), "\(berlin.text)")
            #expect(!team.text.contains(DisplayDate(millis: member.joinedAt).text))

            let settings = try await browser.request(.get, "/settings/workspace")
            #expect(settings.text.contains(#"<option value="Europe/Berlin" selected>"#))
            let csrf = try #require(BrowserSessionTests.Browser.hidden("_csrf", in: settings.text))
            let saved = try await browser.request(.post, "/settings/workspace",
                                                  form: ["_csrf": csrf, "name": "Acme", "time_zone": "America/New_York"])
            #expect(saved.status == .seeOther)
            #expect(try await http.get(path, key: acme.adminKey).string("time_zone") == "America/New_York")
            let refused = try await browser.request(.post, "/settings/workspace",
                                                    form: ["_csrf": csrf, "name": "Acme", "time_zone": "Mars/Olympus"])
            #expect(refused.status == .unprocessableContent)
            #expect(refused.text.contains("IANA time zone"))
        }
    }
}
