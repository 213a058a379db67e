/// A credential for the REST or tracking API. Only the SHA-256 of its secret is stored.
public struct ApiKey: Sendable, Equatable {
    public var id: String
    public var workspaceId: String
    public var name: String
    public var scope: ApiKeyScope
    /// The first characters of the secret, shown so people can tell keys apart.
    public var prefix: String
    public var secretHash: String
    public var createdBy: String?
    public var createdAt: Int64
    public var lastUsedAt: Int64?
    public var revokedAt: Int64?

    public init(id: String, workspaceId: String, name: String, scope: ApiKeyScope, prefix: String,
                secretHash: String, createdBy: String?, createdAt: Int64, lastUsedAt: Int64? = nil,
                revokedAt: Int64? = nil) {
        self.id = id
        self.workspaceId = workspaceId
        self.name = name
        self.scope = scope
        self.prefix = prefix
        self.secretHash = secretHash
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }

    public var isRevoked: Bool { revokedAt != nil }
}

/// A browser session. The cookie holds a random token; the database holds its hash.
public struct Session: Sendable, Equatable {
    public var tokenHash: String
    public var userId: String
    public var workspaceId: String
    public var csrfToken: String
    public var createdAt: Int64
    public var expiresAt: Int64

    public init(tokenHash: String, userId: String, workspaceId: String, csrfToken: String, createdAt: Int64,
                expiresAt: Int64) {
        self.tokenHash = tokenHash
        self.userId = userId
        self.workspaceId = workspaceId
        self.csrfToken = csrfToken
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}
