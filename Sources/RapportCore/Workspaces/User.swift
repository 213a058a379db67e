/// A person who signs in to Rapport. Users are global; their access comes from memberships.
public struct User: Sendable, Equatable {
    public var id: String
    public var email: String
    public var name: String?
    public var passwordHash: String
    public var createdAt: Int64
    public var lastLoginAt: Int64?

    public init(id: String, email: String, name: String?, passwordHash: String, createdAt: Int64,
                lastLoginAt: Int64? = nil) {
        self.id = id
        self.email = email
        self.name = name
        self.passwordHash = passwordHash
        self.createdAt = createdAt
        self.lastLoginAt = lastLoginAt
    }
}

/// A user's place in one workspace.
public struct Member: Sendable, Equatable {
    public var user: User
    public var workspaceId: String
    public var role: Role
    public var joinedAt: Int64

    public init(user: User, workspaceId: String, role: Role, joinedAt: Int64) {
        self.user = user
        self.workspaceId = workspaceId
        self.role = role
        self.joinedAt = joinedAt
    }
}

/// A workspace seen through one user's membership.
public struct Membership: Sendable, Equatable {
    public var workspace: Workspace
    public var role: Role

    public init(workspace: Workspace, role: Role) {
        self.workspace = workspace
        self.role = role
    }
}
