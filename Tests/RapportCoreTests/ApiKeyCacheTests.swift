@testable import RapportCore
import Testing

/// The short-lived cache of authenticated API keys: what it keeps, for how long, and what makes it forget.
@Suite("API key cache")
struct ApiKeyCacheTests {
    static func key(_ hash: String, workspace: String = "w1", revoked: Bool = false) -> ApiKey {
        ApiKey(id: "k-\(hash)", workspaceId: workspace, name: "k", scope: .track, prefix: "rk_", secretHash: hash,
               createdBy: nil, createdAt: 0, revokedAt: revoked ? 1 : nil)
    }

    static func workspace(_ id: String) -> Workspace { Workspace(id: id, name: id, createdAt: 0) }

    @Test func aKeyIsTrustedOnlyForItsLifetime() async throws {
        let cache = ApiKeyCache(lifetime: .milliseconds(100))
        cache.remember(Self.key("h1"), Self.workspace("w1"))
        #expect(cache.find(secretHash: "h1")?.1.id == "w1")
        #expect(cache.find(secretHash: "h2") == nil)
        try await Task.sleep(for: .milliseconds(150))
        #expect(cache.find(secretHash: "h1") == nil, "a key revoked by another process is refused once the entry expires")
    }

    @Test func revokedKeysAreNeverKeptAndForgettingIsImmediate() {
        let cache = ApiKeyCache()
        cache.remember(Self.key("h1", revoked: true), Self.workspace("w1"))
        #expect(cache.find(secretHash: "h1") == nil)
        cache.remember(Self.key("h2"), Self.workspace("w1"))
        cache.remember(Self.key("h3", workspace: "w2"), Self.workspace("w2"))
        cache.forget(secretHash: "h2")
        #expect(cache.find(secretHash: "h2") == nil)
        #expect(cache.find(secretHash: "h3") != nil)
        cache.forget(workspaceId: "w2")
        #expect(cache.find(secretHash: "h3") == nil)
    }

    @Test func usageIsRecordedOnTheCachedCopyAndCapacityBoundsMemory() {
        let cache = ApiKeyCache(capacity: 2)
        cache.remember(Self.key("h1"), Self.workspace("w1"))
        cache.markUsed(secretHash: "h1", at: 42)
        #expect(cache.find(secretHash: "h1")?.0.lastUsedAt == 42)
        cache.remember(Self.key("h2"), Self.workspace("w1"))
        cache.remember(Self.key("h3"), Self.workspace("w1"))
        #expect(cache.find(secretHash: "h3") != nil)
        #expect(cache.find(secretHash: "h1") == nil, "a full cache starts again rather than grow")
    }
}
