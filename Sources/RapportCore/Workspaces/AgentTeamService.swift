/// Teams of members (docs/surveys.md, "Teams"): read by every member, created, renamed, staffed and deleted by admins.
public struct AgentTeamService: Sendable {
    let deps: CoreDependencies
    let audit: AuditLog

    public init(_ deps: CoreDependencies) {
        self.deps = deps
        self.audit = AuditLog(deps)
    }

    public static let fields: Set<String> = ["name", "member_ids"]

    public func list(_ principal: Principal) async throws -> [AgentTeam] {
        try principal.require(Permission.readData.leastRole)
        let workspaceId = principal.workspaceId
        return try await deps.store.read { try await $0.agentTeams.list(workspaceId: workspaceId) }
    }

    public func get(_ principal: Principal, id: String) async throws -> AgentTeam {
        try principal.require(Permission.readData.leastRole)
        let workspaceId = principal.workspaceId
        return try await deps.store.read { try await Self.find($0, workspaceId: workspaceId, id: id) }
    }

    /// Creates a team: `name` required (unique in the workspace, ignoring case), `member_ids` optional.
    public func create(_ principal: Principal, fields: [String: JSONValue], ip: String? = nil) async throws -> AgentTeam {
        try principal.require(Permission.manageUsers.leastRole)
        try Validation.knownFields(fields, allowed: Self.fields, of: "a team")
        if let raw = fields["name"], raw.stringValue == nil { throw RapportError.invalid("name", "name must be a text.") }
        let name = try Validation.name(fields["name"]?.stringValue, field: "name")
        let memberIds = try fields["member_ids"].map(Self.memberIds) ?? []
        let workspaceId = principal.workspaceId, deps = self.deps, audit = self.audit, actor = principal.actor
        return try await deps.store.write { repos in
            let now = deps.clock.nowMillis
            guard try await repos.agentTeams.list(workspaceId: workspaceId).count < AgentTeam.maxTeams else {
                throw RapportError(.conflict, code: "too_many_teams", message: "A workspace holds at most \(AgentTeam.maxTeams) teams.")
            }
            try await Self.requireFreeName(repos, workspaceId: workspaceId, name: name, except: nil)
            try await Self.requireMembers(repos, workspaceId: workspaceId, memberIds)
            let team = AgentTeam(id: deps.ids.next(), workspaceId: workspaceId, name: name, memberIds: memberIds,
                                 createdAt: now, updatedAt: now)
            try await repos.agentTeams.insert(team)
            try await audit.record(in: repos, workspaceId: workspaceId, actor: actor, action: .teamCreated, targetType: "team",
                                   targetId: team.id, ip: ip, details: ["name": name, "members": "\(memberIds.count)"])
            return team
        }
    }

    /// Renames a team and/or replaces its members (`member_ids` is the whole new list).
    public func update(_ principal: Principal, id: String, fields: [String: JSONValue], ip: String? = nil) async throws -> AgentTeam {
        try principal.require(Permission.manageUsers.leastRole)
        try Validation.knownFields(fields, allowed: Self.fields, of: "a team")
        var newName: String?
        if let raw = fields["name"] {
            guard let text = raw.stringValue else { throw RapportError.invalid("name", "name must be a text.") }
            newName = try Validation.name(text, field: "name")
        }
        let newMembers = try fields["member_ids"].map(Self.memberIds)
        let workspaceId = principal.workspaceId, deps = self.deps, audit = self.audit, actor = principal.actor
        let name = newName
        return try await deps.store.write { repos in
            var team = try await Self.find(repos, workspaceId: workspaceId, id: id)
            let before = team
            if let name {
                try await Self.requireFreeName(repos, workspaceId: workspaceId, name: name, except: team.id)
                team.name = name
            }
            if let newMembers {
                try await Self.requireMembers(repos, workspaceId: workspaceId, newMembers)
                team.memberIds = newMembers
            }
            guard team != before else { return team }
            team.updatedAt = deps.clock.nowMillis
            try await repos.agentTeams.update(team)
            try await audit.record(in: repos, workspaceId: workspaceId, actor: actor, action: .teamUpdated, targetType: "team",
                                   targetId: team.id, ip: ip, details: ["name": team.name, "members": "\(team.memberIds.count)"])
            return team
        }
    }

    public func delete(_ principal: Principal, id: String, ip: String? = nil) async throws {
        try principal.require(Permission.manageUsers.leastRole)
        let workspaceId = principal.workspaceId, audit = self.audit, actor = principal.actor
        try await deps.store.write { repos in
            let team = try await Self.find(repos, workspaceId: workspaceId, id: id)
            try await repos.agentTeams.delete(workspaceId: workspaceId, id: team.id)
            try await audit.record(in: repos, workspaceId: workspaceId, actor: actor, action: .teamDeleted, targetType: "team",
                                   targetId: team.id, ip: ip, details: ["name": team.name])
        }
    }

    static func find(_ repos: any Repositories, workspaceId: String, id: String) async throws -> AgentTeam {
        guard let team = try await repos.agentTeams.find(workspaceId: workspaceId, id: id.lowercased()) else {
            throw RapportError.notFound("team")
        }
        return team
    }

    /// A list of distinct user ids, sorted; at most `AgentTeam.maxMembers`.
    static func memberIds(_ raw: JSONValue) throws(RapportError) -> [String] {
        guard let list = raw.arrayValue, list.count <= AgentTeam.maxMembers else {
            throw RapportError.invalid("member_ids", "member_ids must be a list of at most \(AgentTeam.maxMembers) user ids.")
        }
        var ids = Set<String>()
        for item in list {
            guard let id = item.stringValue, IDGenerator.isUUID(id) else {
                throw RapportError.invalid("member_ids", "member_ids must list user ids of members of this workspace.")
            }
            ids.insert(id.lowercased())
        }
        return ids.sorted()
    }

    static func requireMembers(_ repos: any Repositories, workspaceId: String, _ ids: [String]) async throws {
        for id in ids where try await repos.memberships.member(workspaceId: workspaceId, userId: id) == nil {
            throw RapportError(.validation, code: "validation_failed", message: "member_ids: \(id) is not a member of this workspace.",
                               details: ["field": "member_ids", "user_id": id])
        }
    }

    static func requireFreeName(_ repos: any Repositories, workspaceId: String, name: String, except: String?) async throws {
        if let other = try await repos.agentTeams.find(workspaceId: workspaceId, name: name), other.id != except {
            throw RapportError(.conflict, code: "name_taken", message: "A team named \"\(other.name)\" already exists.",
                               details: ["field": "name"])
        }
    }
}
