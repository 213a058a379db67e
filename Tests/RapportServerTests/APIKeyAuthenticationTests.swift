import RapportServer
import Hummingbird
import RapportCore
import RapportRuntime
import Testing

@Suite("API key authentication")
struct APIKeyAuthenticationTests {
    @Test func meAnswersWithTheKeysWorkspaceAndRole() async throws {
        try await TestApp.run { http, services in
            let fixture = try await Fixture.make(services)
            let readKey = try await fixture.key(services, scope: .read)
            let me = try await http.get("/api/v1/me", key: readKey)
            #expect(me.status == .ok)
            #expect((me.json["workspace"] as? [String: Any])?["name"] as? String == "Acme")
            #expect(me.string("role") == "analyst")
            #expect((me.json["caller"] as? [String: Any])?["type"] as? String == "api_key")
            let admin = try await http.get("/api/v1/me", key: fixture.adminKey)
            #expect(admin.string("role") == "admin")
            #expect((admin.json["permissions"] as? [String])?.contains("manage_api_keys") == true)
        }
    }

    @Test func missingOrUnknownKeyIsRejectedWith401Envelope() async throws {
        try await TestApp.run { http, services in
            _ = try await Fixture.make(services)
            let none = try await http.get("/api/v1/me")
            #expect(none.status == .unauthorized)
            #expect(none.errorCode == "unauthenticated")
            let unknown = try await http.get("/api/v1/me", key: "rk_not-a-real-key")
            #expect(unknown.status == .unauthorized)
            #expect(unknown.errorCode == "unauthenticated")
            let basic = try await http.get("/api/v1/me", headers: [.authorization: "Basic Zm9vOmJhcg=="])
            #expect(basic.status == .unauthorized)
        }
    }

    @Test func revokedKeyIsRejectedAndStaysListed() async throws {
        try await TestApp.run { http, services in
            let fixture = try await Fixture.make(services)
            let created = try await http.call(.post, "/api/v1/api-keys", key: fixture.adminKey,
                                              json: ["name": "integration", "scope": "write"])
            #expect(created.status == .created)
            let secret = try #require(created.string("secret"))
            let id = try #require(created.string("id"))
            #expect(secret.hasPrefix("rk_"))
            #expect(try await http.get("/api/v1/me", key: secret).status == .ok)
            let revoked = try await http.call(.delete, "/api/v1/api-keys/\(id)", key: fixture.adminKey)
            #expect(revoked.status == .noContent)
            let after = try await http.get("/api/v1/me", key: secret)
            #expect(after.status == .unauthorized)
            #expect(after.errorCode == "unauthenticated")
            let listed = try await http.get("/api/v1/api-keys/\(id)", key: fixture.adminKey)
            #expect(listed.json["revoked_at"] is String)
            #expect(listed.json["secret"] == nil)
        }
    }

    /// Keys are cached for a few seconds after they authenticate (ApiKeyCache); a revoke must still take effect at
    /// once for the very next request, on the tracking API as on the REST API.
    @Test func aRevokedTrackKeyIsRefusedByTheNextEvent() async throws {
        try await TestApp.run { http, services in
            let fixture = try await Fixture.make(services)
            let (key, secret) = try await services.apiKeys.create(nil, workspaceId: fixture.workspace.id, name: "site",
                                                                  scope: .track)
            let headers = TrackingTests.basic(secret)
            let event: [String: Any] = ["anonymousId": "a-1", "event": "Viewed"]
            #expect(try await http.call(.post, "/v1/track", json: event, headers: headers).status == .ok)
            #expect(try await http.call(.post, "/v1/track", json: event, headers: headers).status == .ok)
            let revoked = try await http.call(.delete, "/api/v1/api-keys/\(key.id)", key: fixture.adminKey)
            #expect(revoked.status == .noContent)
            let after = try await http.call(.post, "/v1/track", json: event, headers: headers)
            #expect(after.status == .unauthorized)
            #expect(after.errorCode == "unauthenticated")
        }
    }

    @Test func keysAreStoredOnlyAsHashesAndUsageIsRecorded() async throws {
        try await TestApp.run { http, services in
            let fixture = try await Fixture.make(services)
            let keys = try await services.core.store.read { try await $0.apiKeys.list(workspaceId: fixture.workspace.id, page: PageRequest()) }
            let admin = try #require(keys.items.first { $0.name == "admin" })
            #expect(admin.secretHash != fixture.adminKey)
            #expect(admin.secretHash == services.core.digest.digest(fixture.adminKey))
            // FIPS 180-2's test vector: the stored hash is the standard lower-case hex SHA-256.
            #expect(services.core.digest.digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
            #expect(admin.lastUsedAt == nil)
            _ = try await http.get("/api/v1/me", key: fixture.adminKey)
            let used = try await services.apiKeys.get(
                Principal(caller: .apiKey(admin), workspace: fixture.workspace, role: .admin), id: admin.id)
            #expect(used.lastUsedAt != nil)
        }
    }

    @Test func trackKeyCannotUseTheRestAPI() async throws {
        try await TestApp.run { http, services in
            let fixture = try await Fixture.make(services)
            let track = try await fixture.key(services, scope: .track)
            let reply = try await http.get("/api/v1/me", key: track)
            #expect(reply.status == .forbidden)
            #expect(reply.errorCode == "insufficient_scope")
        }
    }
}
