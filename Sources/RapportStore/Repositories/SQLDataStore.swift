import RapportCore
import SQLKit

/// The SQL implementation of the domain's `DataStore`: one set of repositories per connection.
public struct SQLDataStore: DataStore {
    public let database: DatabaseClient
    /// Seals the signing secrets the repositories store (`StoredSecret`); nil stores them as they are.
    let secretBox: (any SecretBox)?

    public init(database: DatabaseClient, secretBox: (any SecretBox)? = nil) {
        self.database = database
        self.secretBox = secretBox
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any Repositories) async throws -> T) async throws -> T {
        let box = secretBox
        return try await database.read { try await body(SQLRepositories(db: $0, secrets: StoredSecret(box: box))) }
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any Repositories) async throws -> T) async throws -> T {
        let box = secretBox
        return try await database.write { try await body(SQLRepositories(db: $0, secrets: StoredSecret(box: box))) }
    }

    /// The tables an import fills.
    static let bulkTables = ["customers", "customer_identifiers", "activities", "orders", "order_lines", "consents",
                             "trait_history", "customer_search"]

    public func refreshStatistics() async throws {
        try await database.refreshStatistics(tables: Self.bulkTables)
    }
}

struct SQLRepositories: Repositories {
    let db: any SQLDatabase
    let secrets: StoredSecret

    var workspaces: any WorkspaceRepository { SQLWorkspaceRepository(db: db) }
    var users: any UserRepository { SQLUserRepository(db: db) }
    var memberships: any MembershipRepository { SQLMembershipRepository(db: db) }
    var apiKeys: any ApiKeyRepository { SQLApiKeyRepository(db: db) }
    var sessions: any SessionRepository { SQLSessionRepository(db: db) }
    var loginThrottle: any LoginThrottleRepository { SQLLoginThrottleRepository(db: db) }
    var auditLog: any AuditLogRepository { SQLAuditLogRepository(db: db) }
    var customers: any CustomerRepository { SQLCustomerRepository(db: db) }
    var activities: any ActivityRepository { SQLActivityRepository(db: db) }
    var orders: any OrderRepository { SQLOrderRepository(db: db) }
    var accounts: any AccountRepository { SQLAccountRepository(db: db) }
    var consents: any ConsentRepository { SQLConsentRepository(db: db) }
    var imports: any ImportRepository { SQLImportRepository(db: db) }
    var segments: any SegmentRepository { SQLSegmentRepository(db: db) }
    var jobs: any JobRepository { SQLJobRepository(db: db) }
    var webhooks: any WebhookRepository { SQLWebhookRepository(db: db, secrets: secrets) }
    var schedules: any ScheduleRepository { SQLScheduleRepository(db: db) }
    var emails: any EmailRepository { SQLEmailRepository(db: db) }
    var automation: any AutomationRepository { SQLAutomationRepository(db: db) }
    var surveys: any SurveyRepository { SQLSurveyRepository(db: db) }
    var surveyResponses: any SurveyResponseRepository { SQLSurveyResponseRepository(db: db) }
    var surveyInvitations: any SurveyInvitationRepository { SQLSurveyInvitationRepository(db: db, secrets: secrets) }
    var followUps: any FollowUpRepository { SQLFollowUpRepository(db: db) }
    var agentTeams: any AgentTeamRepository { SQLAgentTeamRepository(db: db) }
    var goals: any CXGoalRepository { SQLGoalRepository(db: db) }
    var surveyLinks: any SurveyLinkRepository { SQLSurveyLinkRepository(db: db) }
}
