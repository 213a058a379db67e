import RapportServer
import Foundation
import Hummingbird
import RapportCore
import RapportRuntime
import Testing

/// The sign-in flow as a browser does it: cookies carried by hand, forms with their CSRF tokens.
@Suite("Browser sessions")
struct BrowserSessionTests {
    struct Browser {
        let http: TestHTTP
        var cookies: [String: String] = [:]

        var cookieHeader: HTTPFields {
            cookies.isEmpty ? [:] : [.cookie: cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")]
        }

        mutating func request(_ method: HTTPRequest.Method, _ uri: String, form: [String: String]? = nil,
                              headers: HTTPFields = [:], json: Any? = nil, raw: String? = nil) async throws -> TestHTTP.Reply {
            var all = cookieHeader
            for field in headers { all.append(field) }
            var raw = raw
            if let form {
                all[.contentType] = "application/x-www-form-urlencoded"
                raw = form.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
                    .joined(separator: "&")
            }
            let reply = try await http.call(method, uri, json: json, raw: raw, headers: all)
            for setCookie in reply.headers[values: .setCookie] {
                let pair = setCookie.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
                let value = pair.count > 1 ? String(pair[1]) : ""
                if value.isEmpty { cookies[String(pair[0])] = nil } else { cookies[String(pair[0])] = value }
            }
            return reply
        }

        /// Signs in through the /login form, as the fixture's owner unless told otherwise.
        mutating func signIn(_ email: String = "owner@acme.test", password: String = "correct horse battery") async throws {
            let login = try await request(.get, "/login")
            let csrf = try #require(Self.hidden("_csrf", in: login.text))
            let reply = try await request(.post, "/login", form: ["_csrf": csrf, "email": email, "password": password])
            #expect(reply.status == .seeOther)
        }

        static func hidden(_ name: String, in html: String) -> String? {
            guard let range = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
            return String(html[range.upperBound...].prefix { $0 != "\"" })
        }

        static func meta(_ html: String) -> String? {
            guard let range = html.range(of: "name=\"csrf-token\" content=\"") else { return nil }
            return String(html[range.upperBound...].prefix { $0 != "\"" })
        }
    }

    @Test func setupCreatesTheOwnerOnceThenSignsIn() async throws {
        try await TestApp.run { http, _ in
            var browser = Browser(http: http)
            let root = try await browser.request(.get, "/")
            #expect(root.status == .seeOther)
            #expect(root.headers[.location] == "/setup")
            let form = try await browser.request(.get, "/setup")
            #expect(form.status == .ok)
            let csrf = try #require(Browser.hidden("_csrf", in: form.text))
            let mismatch = try await browser.request(.post, "/setup", form: [
                "_csrf": csrf, "workspace": "Acme", "email": "owner@acme.test", "password": "correct horse battery",
                "password_confirm": "different password"])
            #expect(mismatch.status == .unprocessableContent)
            #expect(mismatch.text.contains("role=\"alert\""))
            let forged = try await browser.request(.post, "/setup", form: [
                "_csrf": "forged-token-value-000000", "workspace": "Acme", "email": "owner@acme.test",
                "password": "correct horse battery", "password_confirm": "correct horse battery"])
            #expect(forged.status == .forbidden)
            let done = try await browser.request(.post, "/setup", form: [
                "_csrf": csrf, "workspace": "Acme", "name": "Olive Owner", "email": "owner@acme.test",
                "password": "correct horse battery", "password_confirm": "correct horse battery"])
            #expect(done.status == .seeOther)
            #expect(done.headers[.location] == "/")
            let setCookie = try #require(done.headers[values: .setCookie].first { $0.hasPrefix("rapport_session=") })
            #expect(setCookie.contains("HttpOnly"))
            #expect(setCookie.contains("SameSite=Lax"))
            let dashboard = try await browser.request(.get, "/")
            #expect(dashboard.status == .ok)
            #expect(dashboard.text.contains("data-testid=\"workspace-name\">Acme<"))
            #expect(dashboard.text.contains("owner@acme.test"))
            let again = try await browser.request(.get, "/setup")
            #expect(again.status == .seeOther)
            #expect(again.headers[.location] == "/login")
        }
    }

    @Test func sessionCallsNeedTheCsrfTokenForWrites() async throws {
        try await TestApp.run { http, services in
            _ = try await Fixture.make(services)
            var browser = Browser(http: http)
            let login = try await browser.request(.get, "/login")
            let csrf = try #require(Browser.hidden("_csrf", in: login.text))
            let signedIn = try await browser.request(.post, "/login", form: [
                "_csrf": csrf, "email": "OWNER@acme.test", "password": "correct horse battery"])
            #expect(signedIn.status == .seeOther)
            let me = try await browser.request(.get, "/api/v1/me")
            #expect(me.status == .ok)
            #expect((me.json["caller"] as? [String: Any])?["type"] as? String == "user")
            #expect(me.string("role") == "owner")
            let withoutToken = try await browser.request(.post, "/api/v1/api-keys", json: ["name": "k", "scope": "read"])
            #expect(withoutToken.status == .forbidden)
            #expect(withoutToken.errorCode == "csrf_failed")
            let page = try await browser.request(.get, "/")
            let token = try #require(Browser.meta(page.text))
            let withToken = try await browser.request(.post, "/api/v1/api-keys", headers: [.init("X-CSRF-Token")!: token],
                                                      json: ["name": "k", "scope": "read"])
            #expect(withToken.status == .created)
            let created = try await browser.request(.post, "/api/v1/workspaces", headers: [.init("X-CSRF-Token")!: token],
                                                    json: ["name": "Second"])
            #expect(created.status == .created)
            let mine = try await browser.request(.get, "/api/v1/workspaces")
            #expect(Set(mine.data.compactMap { $0["name"] as? String }) == ["Acme", "Second"])

            let logout = try await browser.request(.post, "/logout", form: ["_csrf": token])
            #expect(logout.status == .seeOther)
            #expect(try await browser.request(.get, "/api/v1/me").status == .unauthorized)
            #expect(try await browser.request(.get, "/").headers[.location] == "/login")
        }
    }

    /// The Imports page's form: a multipart upload with the page's CSRF token imports the file and leads to its
    /// result; without the token nothing is imported.
    @Test func csvUploadedFromTheImportsPage() async throws {
        try await TestApp.run { http, services in
            let fixture = try await Fixture.make(services)
            var browser = Browser(http: http)
            try await browser.signIn()
            let page = try await browser.request(.get, "/imports")
            #expect(page.status == .ok)
            let csrf = try #require(Browser.hidden("_csrf", in: page.text))
            func multipart(_ fields: [(String, String)], file: String) -> String {
                var body = ""
                for (name, value) in fields {
                    body += "--XyZ\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n"
                }
                body += "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"people.csv\"\r\n"
                body += "Content-Type: text/csv\r\n\r\n\(file)\r\n--XyZ--\r\n"
                return body
            }
            let headers: HTTPFields = [.contentType: "multipart/form-data; boundary=XyZ"]
            let file = "email,name\r\numa@acme.test,Uma\r\nbad-address,Bo\r\nvic@acme.test,Vic\r\n"
            let forged = try await browser.request(.post, "/imports", headers: headers,
                                                   raw: multipart([("_csrf", "forged-token-value-000000"), ("type", "customers")], file: file))
            #expect(forged.status == .forbidden)
            let none = try await http.get("/api/v1/imports", key: fixture.adminKey)
            #expect(none.data.isEmpty)

            let uploaded = try await browser.request(.post, "/imports", headers: headers,
                                                     raw: multipart([("_csrf", csrf), ("type", "customers")], file: file))
            #expect(uploaded.status == .seeOther)
            let location = try #require(uploaded.headers[.location])
            #expect(location.hasPrefix("/imports/"))
            // The page follows the import while it is queued or running (a Refresh link without JavaScript).
            var result = try await browser.request(.get, location)
            for _ in 0..<600 where result.text.contains("data-live-refresh") {
                #expect(result.text.contains("<a href=\"\(location)\">Refresh</a>"))
                try await Task.sleep(for: .milliseconds(50))
                result = try await browser.request(.get, location)
            }
            #expect(result.text.contains("data-testid=\"import-status\">completed<"))
            #expect(result.text.contains("data-testid=\"rows-imported\">2<"))
            #expect(result.text.contains("data-testid=\"rows-rejected\">1<"))
            let jobs = try await http.get("/api/v1/imports", key: fixture.adminKey)
            #expect(jobs.data.map { $0["rows_imported"] as? Int } == [2])

            let wrongType = try await browser.request(.post, "/imports", headers: headers,
                                                      raw: multipart([("_csrf", csrf), ("type", "invoices")], file: file))
            #expect(wrongType.status == .unprocessableContent)
            #expect(wrongType.text.contains("role=\"alert\""))
        }
    }

    /// The profile page shows 50 interactions at a time with a link to older ones, and filters them by type.
    @Test func profileTimelinePagesAndFilters() async throws {
        try await TestApp.run { http, services in
            let fixture = try await Fixture.make(services)
            let track = try await fixture.key(services, scope: .track)
            var messages: [[String: Any]] = (0..<60).map { i in
                ["type": "track", "userId": "p-1", "event": "Viewed \(i)", "timestamp": "2026-11-0\(1 + i / 20)T10:\(10 + i % 20):00Z"]
            }
            messages.append(["type": "track", "userId": "p-1", "event": "Order Completed", "timestamp": "2026-11-05T10:00:00Z",
                             "properties": ["order_id": "o-1", "total": 10, "products": [["name": "Mug", "price": 10, "quantity": 1]]]])
            #expect(try await http.call(.post, "/v1/batch", json: ["batch": messages], headers: TrackingTests.basic(track)).status == .ok)
            let id = try #require(try await http.get("/api/v1/customers", key: fixture.adminKey).data.first?["id"] as? String)
            var browser = Browser(http: http)
            try await browser.signIn()
            let first = try await browser.request(.get, "/customers/\(id)")
            #expect(first.status == .ok)
            #expect(first.text.components(separatedBy: "<span class=\"kind").count - 1 == 50)
            #expect(first.text.contains("1 × Mug"))
            let older = try #require(first.text.range(of: "id=\"older-interactions\" href=\"").map {
                String(first.text[$0.upperBound...].prefix { $0 != "\"" }).replacingOccurrences(of: "&amp;", with: "&")
            })
            let second = try await browser.request(.get, older)
            #expect(second.text.components(separatedBy: "<span class=\"kind").count - 1 == 11)
            #expect(second.text.contains("Viewed 0<"))
            #expect(!second.text.contains("older-interactions"))
            let orders = try await browser.request(.get, "/customers/\(id)?type=order")
            #expect(orders.text.components(separatedBy: "<span class=\"kind").count - 1 == 1)
            #expect(orders.text.contains("1 × Mug"))
            #expect(try await browser.request(.get, "/customers/\(id)?type=nonsense").status == .badRequest)
        }
    }

    /// A support agent merges a duplicate, named by its email, from the profile page: one profile remains (the older),
    /// holding both people's events and identifiers, with the merge recorded.
    @Test func duplicateMergedFromTheProfilePage() async throws {
        try await TestApp.run { http, services in
            let fixture = try await Fixture.make(services)
            let track = try await fixture.key(services, scope: .track)
            let sent = try await http.call(.post, "/v1/batch", json: ["batch": [
                ["type": "identify", "userId": "m-old", "traits": ["email": "mara@acme.test", "name": "Mara"],
                 "timestamp": "2026-01-01T10:00:00Z"],
                ["type": "identify", "userId": "m-new", "traits": ["email": "mara.work@acme.test", "name": "Mara W."],
                 "timestamp": "2026-02-01T10:00:00Z"],
                ["type": "track", "userId": "m-new", "event": "Ticket Opened", "timestamp": "2026-02-02T10:00:00Z"],
            ]], headers: TrackingTests.basic(track))
            #expect(sent.status == .ok)
            let people = try await http.get("/api/v1/customers", key: fixture.adminKey).data
            let newer = try #require(people.first { $0["email"] as? String == "mara.work@acme.test" }?["id"] as? String)
            // The older profile survives: created first by Rapport, ties broken by id (both came in one batch here).
            let older = try #require(people.map { ($0["created_at"] as? String ?? "", $0["id"] as? String ?? "") }.min { $0 < $1 }?.1)
            var browser = Browser(http: http)
            try await browser.signIn()
            let page = try await browser.request(.get, "/customers/\(newer)")
            let csrf = try #require(Browser.hidden("_csrf", in: page.text))

            let unknown = try await browser.request(.post, "/customers/\(newer)/merge", form: ["_csrf": csrf, "duplicate": "nobody@acme.test"])
            #expect(unknown.status == .unprocessableContent)
            #expect(unknown.text.contains("No profile has the email nobody@acme.test."))
            let itself = try await browser.request(.post, "/customers/\(newer)/merge", form: ["_csrf": csrf, "duplicate": newer])
            #expect(itself.status == .unprocessableContent)
            #expect(try await http.get("/api/v1/customers", key: fixture.adminKey).data.count == 2)

            let merged = try await browser.request(.post, "/customers/\(newer)/merge", form: ["_csrf": csrf, "duplicate": "Mara@Acme.test"])
            #expect(merged.status == .seeOther)
            #expect(merged.headers[.location] == "/customers/\(older)?done=merged")
            let survivorPage = try await browser.request(.get, "/customers/\(older)?done=merged")
            #expect(survivorPage.text.contains("The two profiles are now one."))
            #expect(survivorPage.text.contains("data-testid=\"merges\""))
            let remaining = try await http.get("/api/v1/customers", key: fixture.adminKey).data
            #expect(remaining.compactMap { $0["id"] as? String } == [older])
            let profile = try await http.get("/api/v1/customers/\(older)", key: fixture.adminKey)
            let identifiers = (profile.json["identifiers"] as? [[String: Any]] ?? []).compactMap { $0["value"] as? String }
            #expect(Set(identifiers).isSuperset(of: ["mara@acme.test", "mara.work@acme.test", "m-old", "m-new"]))
            let timeline = try await http.get("/api/v1/customers/\(older)/timeline", key: fixture.adminKey).data
            #expect(timeline.contains { $0["name"] as? String == "Ticket Opened" })
        }
    }

    @Test func repeatedWrongPasswordsLockTheAccountForThatAddress() async throws {
        try await TestApp.run { http, services in
            _ = try await Fixture.make(services)
            var browser = Browser(http: http)
            let login = try await browser.request(.get, "/login")
            let csrf = try #require(Browser.hidden("_csrf", in: login.text))
            for _ in 1...5 {
                let wrong = try await browser.request(.post, "/login", form: [
                    "_csrf": csrf, "email": "owner@acme.test", "password": "wrong password!"])
                #expect(wrong.status == .unauthorized)
                #expect(wrong.text.contains("Wrong email or password"))
            }
            let locked = try await browser.request(.post, "/login", form: [
                "_csrf": csrf, "email": "owner@acme.test", "password": "correct horse battery"])
            #expect(locked.status == .tooManyRequests)
            #expect(locked.text.contains("Too many failed sign-in attempts"))
            #expect(browser.cookies["rapport_session"] == nil)
            let audit = try await services.core.store.read { repos in
                try await repos.auditLog.list(workspaceId: try #require(try await repos.workspaces.find(name: "Acme")).id,
                                              action: "user.login_failed", page: PageRequest())
            }
            #expect(audit.items.count == 5)
        }
    }

    @Test func expiredSessionsAreRejected() async throws {
        try await TestApp.run { http, services in
            _ = try await Fixture.make(services)
            let signedIn = try await services.access.signIn(email: "owner@acme.test", password: "correct horse battery", ip: nil)
            let cookie: HTTPFields = [.cookie: "rapport_session=\(signedIn.token)"]
            #expect(try await http.get("/api/v1/me", headers: cookie).status == .ok)
            try await services.core.store.write { repos in
                try await repos.sessions.delete(tokenHash: signedIn.session.tokenHash)
                var expired = signedIn.session
                expired.expiresAt = 1
                try await repos.sessions.insert(expired)
            }
            #expect(try await http.get("/api/v1/me", headers: cookie).status == .unauthorized)
        }
    }

    @Test func aSessionSignsInAsItsMembershipSaysAndEndsWithIt() async throws {
        try await TestApp.run { http, services in
            let acme = try await Fixture.make(services)
            let signedIn = try await services.access.signIn(email: "owner@acme.test", password: "correct horse battery", ip: nil)
            let cookie: HTTPFields = [.cookie: "rapport_session=\(signedIn.token)"]
            let me = try await http.get("/api/v1/me", headers: cookie)
            #expect(me.status == .ok, "\(me.text)")
            #expect(me.text.contains("owner@acme.test") && me.text.contains(acme.workspace.id) && me.text.contains("\"owner\""), "\(me.text)")
            // The membership is what signs the session in: without it the session is no longer valid.
            try await services.core.store.write { repos in
                try await repos.memberships.remove(workspaceId: acme.workspace.id, userId: signedIn.session.userId)
            }
            #expect(try await http.get("/api/v1/me", headers: cookie).status == .unauthorized)
            #expect(try await http.call(.get, "/", headers: cookie).status == .seeOther, "the page sends the browser to sign in")
        }
    }
}
