/// A named group of workspace members who serve customers together ("Support EU", "Billing"): the unit of the
/// follow-up queue's "My team" view and of per-team numbers. A member may belong to several teams; leaving the
/// workspace removes them from every team.
public struct AgentTeam: Sendable, Equatable {
    public var id: String
    public var workspaceId: String
    public var name: String
    /// The members' user ids, sorted.
    public var memberIds: [String]
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(id: String, workspaceId: String, name: String, memberIds: [String] = [], createdAt: Int64, updatedAt: Int64) {
        self.id = id
        self.workspaceId = workspaceId
        self.name = name
        self.memberIds = memberIds
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public static let maxNameLength = 100
    public static let maxTeams = 200
    public static let maxMembers = 500
}

/// Teams and their members. Every call is scoped to one workspace.
public protocol AgentTeamRepository: Sendable {
    /// Stores a new team with its members; a second team of the same name (ignoring case) is a conflict.
    func insert(_ team: AgentTeam) async throws
    /// Saves the name and replaces the member list.
    func update(_ team: AgentTeam) async throws
    func delete(workspaceId: String, id: String) async throws
    func find(workspaceId: String, id: String) async throws -> AgentTeam?
    func find(workspaceId: String, name: String) async throws -> AgentTeam?
    /// Every team, by name.
    func list(workspaceId: String) async throws -> [AgentTeam]
    /// The user ids of everyone who shares a team with `userId` (themselves included when they are in one).
    func teammates(workspaceId: String, userId: String) async throws -> [String]
}
