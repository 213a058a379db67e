/// Reads and writes workspaces. Implemented over SQL in RapportStore.
public protocol WorkspaceRepository: Sendable {
    func insert(_ workspace: Workspace) async throws
    func find(id: String) async throws -> Workspace?
    func find(name: String) async throws -> Workspace?
    func rename(id: String, to name: String) async throws
    func setTimeZone(id: String, to timeZone: String) async throws
    /// Sets (nil: clears) the brand colour.
    func setBrandColor(id: String, to color: BrandColor?) async throws
}

/// Reads and writes users (global, not per workspace).
public protocol UserRepository: Sendable {
    func insert(_ user: User) async throws
    func find(id: String) async throws -> User?
    func find(email: String) async throws -> User?
    func count() async throws -> Int
    func recordLogin(userId: String, at: Int64) async throws
    func rename(userId: String, to name: String?) async throws
}

/// Who belongs to which workspace with which role.
public protocol MembershipRepository: Sendable {
    func add(workspaceId: String, userId: String, role: Role, at: Int64) async throws
    func member(workspaceId: String, userId: String) async throws -> Member?
    func members(workspaceId: String, page: PageRequest) async throws -> Page<Member>
    func memberships(userId: String) async throws -> [Membership]
    func setRole(workspaceId: String, userId: String, role: Role) async throws
    func remove(workspaceId: String, userId: String) async throws
    func ownerCount(workspaceId: String) async throws -> Int
    func memberCount(workspaceId: String) async throws -> Int
}

/// API keys; looked up by secret hash before the workspace is known.
public protocol ApiKeyRepository: Sendable {
    func insert(_ key: ApiKey) async throws
    func find(workspaceId: String, id: String) async throws -> ApiKey?
    func find(secretHash: String) async throws -> ApiKey?
    func list(workspaceId: String, page: PageRequest) async throws -> Page<ApiKey>
    /// How many of the workspace's keys are not revoked.
    func activeCount(workspaceId: String) async throws -> Int
    func revoke(workspaceId: String, id: String, at: Int64) async throws
    func markUsed(workspaceId: String, id: String, at: Int64) async throws
}

/// Browser sessions.
public protocol SessionRepository: Sendable {
    func insert(_ session: Session) async throws
    /// The session of `tokenHash` with its user's membership of the session's workspace and that workspace, read
    /// together (every signed-in request asks); nil when the session is unknown or the membership is gone.
    func access(tokenHash: String) async throws -> SessionAccess?
    func delete(tokenHash: String) async throws
    func switchWorkspace(tokenHash: String, to workspaceId: String) async throws
    func deleteExpired(before: Int64) async throws
}

/// A session with what signing a request in with it needs.
public struct SessionAccess: Sendable {
    public var session: Session
    public var member: Member
    public var workspace: Workspace

    public init(session: Session, member: Member, workspace: Workspace) {
        self.session = session
        self.member = member
        self.workspace = workspace
    }
}

/// Failed sign-in attempts per throttle key (IP + email), for the brute-force lockout.
public protocol LoginThrottleRepository: Sendable {
    func failures(key: String, since: Int64) async throws -> [Int64]
    func recordFailure(key: String, at: Int64) async throws
    func clear(key: String) async throws
}

/// The append-only audit log.
public protocol AuditLogRepository: Sendable {
    func append(_ entry: AuditEntry) async throws
    func list(workspaceId: String, action: String?, page: PageRequest) async throws -> Page<AuditEntry>
}

/// Every repository, bound to one connection (and, for writes, one transaction).
public protocol Repositories: Sendable {
    var workspaces: any WorkspaceRepository { get }
    var users: any UserRepository { get }
    var memberships: any MembershipRepository { get }
    var apiKeys: any ApiKeyRepository { get }
    var sessions: any SessionRepository { get }
    var loginThrottle: any LoginThrottleRepository { get }
    var auditLog: any AuditLogRepository { get }
    var customers: any CustomerRepository { get }
    var activities: any ActivityRepository { get }
    var orders: any OrderRepository { get }
    var accounts: any AccountRepository { get }
    var consents: any ConsentRepository { get }
    var imports: any ImportRepository { get }
    var segments: any SegmentRepository { get }
    var jobs: any JobRepository { get }
    var webhooks: any WebhookRepository { get }
    var schedules: any ScheduleRepository { get }
    var emails: any EmailRepository { get }
    var automation: any AutomationRepository { get }
    var surveys: any SurveyRepository { get }
    var surveyResponses: any SurveyResponseRepository { get }
    var surveyInvitations: any SurveyInvitationRepository { get }
    var followUps: any FollowUpRepository { get }
    var agentTeams: any AgentTeamRepository { get }
    var surveyLinks: any SurveyLinkRepository { get }
    var goals: any CXGoalRepository { get }
}

/// The persistence boundary the domain sees: reads on any connection, writes in one transaction.
public protocol DataStore: Sendable {
    func read<T: Sendable>(_ body: @escaping @Sendable (any Repositories) async throws -> T) async throws -> T
    func write<T: Sendable>(_ body: @escaping @Sendable (any Repositories) async throws -> T) async throws -> T
    /// Brings the query planner's statistics up to date after a bulk write (an import).
    func refreshStatistics() async throws
}

extension DataStore {
    public func refreshStatistics() async throws {}
}
