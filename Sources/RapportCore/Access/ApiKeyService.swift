/// Issues, lists and revokes API keys. A secret is returned once; only its hash is stored.
public struct ApiKeyService: Sendable {
    let deps: CoreDependencies
    let audit: AuditLog

    public init(_ deps: CoreDependencies) {
        self.deps = deps
        self.audit = AuditLog(deps)
    }

    /// Creates a key in `workspaceId`; `principal` is nil when the CLI creates it.
    public func create(_ principal: Principal?, workspaceId: String, name rawName: String, scope: ApiKeyScope,
                       ip: String? = nil) async throws -> (ApiKey, secret: String) {
        try principal?.require(Permission.manageApiKeys.leastRole)
        let name = try Validation.name(rawName)
        let secret = SecretToken.apiKey()
        let key = ApiKey(id: deps.ids.next(), workspaceId: workspaceId, name: name, scope: scope,
                         prefix: String(secret.prefix(10)), secretHash: deps.digest.digest(secret),
                         createdBy: principal?.user?.id, createdAt: deps.clock.nowMillis)
        try await deps.store.write { repos in
            try await repos.apiKeys.insert(key)
            try await audit.record(in: repos, workspaceId: workspaceId, actor: principal?.actor ?? .system,
                                   action: .apiKeyCreated, targetType: "api_key", targetId: key.id, ip: ip,
                                   details: ["name": name, "scope": scope.rawValue])
        }
        return (key, secret)
    }

    public func list(_ principal: Principal, page: PageRequest) async throws -> Page<ApiKey> {
        try principal.require(Permission.manageApiKeys.leastRole)
        let workspaceId = principal.workspaceId
        return try await deps.store.read { try await $0.apiKeys.list(workspaceId: workspaceId, page: page) }
    }

    public func get(_ principal: Principal, id: String) async throws -> ApiKey {
        try principal.require(Permission.manageApiKeys.leastRole)
        let workspaceId = principal.workspaceId
        let keyId = id.lowercased()
        guard let key = try await deps.store.read({ try await $0.apiKeys.find(workspaceId: workspaceId, id: keyId) })
        else { throw RapportError.notFound("API key") }
        return key
    }

    /// Revokes a key; revoking a revoked key changes nothing.
    public func revoke(_ principal: Principal, id: String, ip: String? = nil) async throws {
        try principal.require(Permission.manageApiKeys.leastRole)
        let workspaceId = principal.workspaceId
        let keyId = id.lowercased()
        let now = deps.clock.nowMillis
        let secretHash = try await deps.store.write { repos -> String? in
            guard let key = try await repos.apiKeys.find(workspaceId: workspaceId, id: keyId) else {
                throw RapportError.notFound("API key")
            }
            guard !key.isRevoked else { return nil }
            try await repos.apiKeys.revoke(workspaceId: workspaceId, id: keyId, at: now)
            try await audit.record(in: repos, workspaceId: workspaceId, actor: principal.actor, action: .apiKeyRevoked,
                                   targetType: "api_key", targetId: keyId, ip: ip, details: ["name": key.name])
            return key.secretHash
        }
        // Not accepted again by this process from now on (others stop within the cache's lifetime).
        if let secretHash { deps.apiKeys.forget(secretHash: secretHash) }
    }
}
