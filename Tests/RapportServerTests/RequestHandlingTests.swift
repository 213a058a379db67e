import RapportServer
import Hummingbird
import RapportCore
import RapportRuntime
import Testing

@Suite("API conventions: errors, validation, pagination")
struct RequestHandlingTests {
    @Test(arguments: [
        ("{\"name\": \"x\", \"scope\": \"superuser\"}", "application/json", 422, "validation_failed", "scope"),
        ("{\"name\": \"\", \"scope\": \"read\"}", "application/json", 422, "validation_failed", "name"),
        ("{\"scope\": \"read\"}", "application/json", 422, "validation_failed", "name"),
        ("{\"name\": 12, \"scope\": \"read\"}", "application/json", 422, "validation_failed", "name"),
        ("{\"name\": \"x\", \"scope\": \"read\", \"admin\": true}", "application/json", 422, "validation_failed", "admin"),
        ("{\"name\": ", "application/json", 400, "invalid_json", nil),
        ("[1, 2]", "application/json", 400, "invalid_json", nil),
        ("name=x&scope=read", "application/x-www-form-urlencoded", 415, "unsupported_media_type", nil),
    ] as [(String, String, Int, String, String?)])
    func badBodiesGetTheEnvelopeNamingTheProblem(body: String, contentType: String, status: Int, code: String,
                                                 field: String?) async throws {
        try await TestApp.run { http, services in
            let fixture = try await Fixture.make(services)
            let reply = try await http.call(.post, "/api/v1/api-keys", key: fixture.adminKey, raw: body,
                                            headers: [.contentType: contentType])
            #expect(reply.status.code == status)
            #expect(reply.errorCode == code)
            let error = reply.json["error"] as? [String: Any]
            #expect((error?["message"] as? String)?.isEmpty == false)
            #expect((error?["details"] as? [String: Any])?["field"] as? String == field)
            let keys = try await http.get("/api/v1/api-keys", key: fixture.adminKey)
            #expect(keys.data.count == 1, "nothing was stored")
        }
    }

    @Test func oversizedBodyIs413() async throws {
        try await TestApp.run(configure: { $0.maxBodyBytes = 2048 }) { http, services in
            let fixture = try await Fixture.make(services)
            let big = "{\"name\": \"\(String(repeating: "a", count: 5000))\", \"scope\": \"read\"}"
            let reply = try await http.call(.post, "/api/v1/api-keys", key: fixture.adminKey, raw: big,
                                            headers: [.contentType: "application/json"])
            #expect(reply.status == .contentTooLarge)
            #expect(reply.errorCode == "payload_too_large")
        }
    }

    @Test func listsPageWithCursorsNewestFirst() async throws {
        try await TestApp.run { http, services in
            let fixture = try await Fixture.make(services)
            for i in 1...4 { _ = try await fixture.key(services, scope: i % 2 == 0 ? .read : .write) }
            var seen: [String] = []
            var cursor: String?
            repeat {
                let uri = "/api/v1/api-keys?limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await http.get(uri, key: fixture.adminKey)
                #expect(page.status == .ok)
                #expect(page.data.count <= 2)
                seen += page.data.compactMap { $0["id"] as? String }
                cursor = page.json["next_cursor"] as? String
            } while cursor != nil
            #expect(seen.count == 5)
            #expect(Set(seen).count == 5)
            #expect(seen == seen.sorted(by: >), "newest first")
            #expect(try await http.get("/api/v1/api-keys?limit=0", key: fixture.adminKey).errorCode == "invalid_parameter")
            #expect(try await http.get("/api/v1/api-keys?limit=abc", key: fixture.adminKey).status == .badRequest)
            #expect(try await http.get("/api/v1/api-keys?cursor=garbage", key: fixture.adminKey).errorCode == "invalid_cursor")
            #expect(try await http.get("/api/v1/api-keys?cursor=", key: fixture.adminKey).errorCode == "invalid_cursor")
            // Any UUID is a position: a cursor older than everything gives an empty last page.
            let past = try await http.get("/api/v1/api-keys?cursor=00000000-0000-7000-8000-000000000000", key: fixture.adminKey)
            #expect(past.status == .ok)
            #expect(past.data.isEmpty)
        }
    }

    @Test func unknownRoutesAndMethodsAnswerWithEnvelope() async throws {
        try await TestApp.run { http, services in
            let fixture = try await Fixture.make(services)
            let missing = try await http.get("/api/v1/nothing-here", key: fixture.adminKey)
            #expect(missing.status == .notFound)
            #expect(missing.errorCode == "not_found")
            let wrongMethod = try await http.call(.put, "/api/v1/users/\(fixture.ownerId)", key: fixture.adminKey)
            #expect(wrongMethod.status == .methodNotAllowed)
            #expect(wrongMethod.headers[.allow] == "DELETE, GET, PATCH")
            let literal = try await http.call(.get, "/api/v1/segments/preview", key: fixture.adminKey)
            #expect(literal.headers[.allow] == "POST", "a literal path segment wins over {segment_id}")
            let notAnId = try await http.get("/api/v1/users/not-a-uuid", key: fixture.adminKey)
            #expect(notAnId.status == .notFound)
        }
    }

    @Test func requestIdIsEchoedOrMade() async throws {
        try await TestApp.run { http, _ in
            let echoed = try await http.get("/healthz", headers: [.init("X-Request-Id")!: "abc-123"])
            #expect(echoed.headers[.init("X-Request-Id")!] == "abc-123")
            let unsafe = try await http.get("/healthz", headers: [.init("X-Request-Id")!: "<script>"])
            let made = try #require(unsafe.headers[.init("X-Request-Id")!])
            #expect(made != "<script>" && !made.isEmpty)
        }
    }
}
