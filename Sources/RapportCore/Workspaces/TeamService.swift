import Foundation

/// Adds people to a workspace, changes their roles and removes them, keeping at least one owner.
public struct TeamService: Sendable {
    let deps: CoreDependencies
    let audit: AuditLog

    public init(_ deps: CoreDependencies) {
        self.deps = deps
        self.audit = AuditLog(deps)
    }

    public func list(_ principal: Principal, page: PageRequest) async throws -> Page<Member> {
        try principal.require(Permission.readData.leastRole)
        let workspaceId = principal.workspaceId
        return try await deps.store.read { try await $0.memberships.members(workspaceId: workspaceId, page: page) }
    }

    /// The workspace's head counts for the dashboard, read on one connection: its members, and for an admin its
    /// API keys that are not revoked (nil for anyone else).
    public func headcount(_ principal: Principal) async throws -> (members: Int, activeKeys: Int?) {
        try principal.require(Permission.readData.leastRole)
        let workspaceId = principal.workspaceId, admin = principal.role.satisfies(.admin)
        return try await deps.store.read { repos in
            (try await repos.memberships.memberCount(workspaceId: workspaceId),
             admin ? try await repos.apiKeys.activeCount(workspaceId: workspaceId) : nil)
        }
    }

    public func get(_ principal: Principal, userId: String) async throws -> Member {
        try principal.require(Permission.readData.leastRole)
        let workspaceId = principal.workspaceId
        let id = userId.lowercased()
        guard let member = try await deps.store.read({ try await $0.memberships.member(workspaceId: workspaceId, userId: id) })
        else { throw RapportError.notFound("user") }
        return member
    }

    /// Adds a person: a new user needs a password; an existing user just joins with `role`.
    public func add(_ principal: Principal?, workspaceId: String, email rawEmail: String, role: Role, name rawName: String?,
                    password rawPassword: String?, ip: String? = nil) async throws -> Member {
        if let principal {
            try principal.require(Permission.manageUsers.leastRole)
            if role == .owner { try principal.require(Permission.manageOwners.leastRole) }
        }
        let email = try Validation.email(rawEmail)
        let name = try rawName.map { raw throws(RapportError) in try Validation.name(raw, field: "name") }
        let existing = try await deps.store.read { try await $0.users.find(email: email) }
        let newHash: String? = existing == nil && rawPassword != nil
            ? try await deps.passwords.hash(try Validation.password(rawPassword)) : nil
        if existing == nil, newHash == nil {
            throw RapportError.invalid("password", "password is required to create a new user.")
        }
        let now = deps.clock.nowMillis
        let actor = principal?.actor ?? .system
        let newUserId = deps.ids.next()
        return try await deps.store.write { repos -> Member in
            var user: User
            if let found = try await repos.users.find(email: email) {
                user = found
                if try await repos.memberships.member(workspaceId: workspaceId, userId: user.id) != nil {
                    throw RapportError(.conflict, code: "already_member",
                                       message: "\(email) is already a member of this workspace.", details: ["field": "email"])
                }
            } else {
                guard let newHash else {
                    throw RapportError.invalid("password", "password is required to create a new user.")
                }
                user = User(id: newUserId, email: email, name: name, passwordHash: newHash, createdAt: now)
                try await repos.users.insert(user)
                try await audit.record(in: repos, workspaceId: workspaceId, actor: actor, action: .userCreated,
                                       targetType: "user", targetId: user.id, ip: ip, details: ["email": email])
            }
            try await repos.memberships.add(workspaceId: workspaceId, userId: user.id, role: role, at: now)
            try await audit.record(in: repos, workspaceId: workspaceId, actor: actor, action: .memberAdded,
                                   targetType: "user", targetId: user.id, ip: ip,
                                   details: ["email": email, "role": role.rawValue])
            return Member(user: user, workspaceId: workspaceId, role: role, joinedAt: now)
        }
    }

    /// Changes a member's role and/or name. Only owners touch owners; the last owner stays owner.
    public func update(_ principal: Principal, userId: String, role newRole: Role?, name rawName: String??,
                       ip: String? = nil) async throws -> Member {
        try principal.require(Permission.manageUsers.leastRole)
        let workspaceId = principal.workspaceId
        let id = userId.lowercased()
        let name: String?? = try rawName.map { inner throws(RapportError) -> String? in
            try inner.map { raw throws(RapportError) in try Validation.name(raw, field: "name") }
        }
        return try await deps.store.write { repos -> Member in
            guard var member = try await repos.memberships.member(workspaceId: workspaceId, userId: id) else {
                throw RapportError.notFound("user")
            }
            if let newRole, newRole != member.role {
                if member.role == .owner || newRole == .owner {
                    try principal.require(Permission.manageOwners.leastRole)
                }
                if member.role == .owner, try await repos.memberships.ownerCount(workspaceId: workspaceId) <= 1 {
                    throw Self.lastOwner
                }
                try await repos.memberships.setRole(workspaceId: workspaceId, userId: id, role: newRole)
                try await audit.record(in: repos, workspaceId: workspaceId, actor: principal.actor,
                                       action: .memberRoleChanged, targetType: "user", targetId: id, ip: ip,
                                       details: ["from": member.role.rawValue, "to": newRole.rawValue])
                member.role = newRole
            }
            if let name {
                try await repos.users.rename(userId: id, to: name)
                member.user.name = name
            }
            return member
        }
    }

    /// Removes a person from the workspace (the user account remains for other workspaces).
    public func remove(_ principal: Principal, userId: String, ip: String? = nil) async throws {
        try principal.require(Permission.manageUsers.leastRole)
        let workspaceId = principal.workspaceId
        let id = userId.lowercased()
        try await deps.store.write { repos in
            guard let member = try await repos.memberships.member(workspaceId: workspaceId, userId: id) else {
                throw RapportError.notFound("user")
            }
            if member.role == .owner {
                try principal.require(Permission.manageOwners.leastRole)
                if try await repos.memberships.ownerCount(workspaceId: workspaceId) <= 1 { throw Self.lastOwner }
            }
            try await repos.memberships.remove(workspaceId: workspaceId, userId: id)
            try await audit.record(in: repos, workspaceId: workspaceId, actor: principal.actor, action: .memberRemoved,
                                   targetType: "user", targetId: id, ip: ip,
                                   details: ["email": member.user.email, "role": member.role.rawValue])
        }
    }

    static let lastOwner = RapportError(.conflict, code: "last_owner",
                                        message: "A workspace needs at least one owner; make someone else owner first.")
}
