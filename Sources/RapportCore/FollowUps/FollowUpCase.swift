/// Where a follow-up case is: `open` (nobody has reached the customer yet) → `contacted` → `resolved` or `wont_fix`.
/// The last two close it, with an outcome; a closed case stays closed.
public enum FollowUpStatus: String, Sendable, CaseIterable, Codable {
    case open, contacted, resolved
    case wontFix = "wont_fix"

    /// The states a case may move to from this one.
    public var next: [FollowUpStatus] {
        switch self {
        case .open: [.contacted, .resolved, .wontFix]
        case .contacted: [.resolved, .wontFix]
        case .resolved, .wontFix: []
        }
    }

    public var isClosed: Bool { self == .resolved || self == .wontFix }

    /// The states still in someone's queue.
    public static let active: [FollowUpStatus] = [.open, .contacted]
}

/// A task opened by an unhappy survey response: someone (the owner) gets back to the customer by `dueAt` and
/// records what came of it.
public struct FollowUpCase: Sendable, Equatable {
    public var id: String
    public var workspaceId: String
    public var surveyId: String
    public var responseId: String
    public var customerId: String?
    /// A member's user id; nil while unassigned.
    public var ownerId: String?
    public var status: FollowUpStatus
    /// What came of it ("issue fixed", "refund", "no reply", …); required to close.
    public var outcome: String?
    /// The response's headline score and band, copied so that the queue shows them without reading the response.
    public var score: Int?
    public var band: ScoreBand?
    public var dueAt: Int64
    public var createdAt: Int64
    public var updatedAt: Int64
    /// When it was resolved or given up: with `createdAt` and `dueAt`, the time to close and whether it was in time.
    public var closedAt: Int64?
    /// The survey invitation sent after the case was resolved (`FollowUpRule.resurveyAfterHours`), if any.
    public var resurveyInvitationId: String?

    public init(id: String, workspaceId: String, surveyId: String, responseId: String, customerId: String?, ownerId: String?,
                status: FollowUpStatus = .open, outcome: String? = nil, score: Int?, band: ScoreBand?, dueAt: Int64,
                createdAt: Int64, updatedAt: Int64, closedAt: Int64? = nil, resurveyInvitationId: String? = nil) {
        self.id = id
        self.workspaceId = workspaceId
        self.surveyId = surveyId
        self.responseId = responseId
        self.customerId = customerId
        self.ownerId = ownerId
        self.status = status
        self.outcome = outcome
        self.score = score
        self.band = band
        self.dueAt = dueAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.closedAt = closedAt
        self.resurveyInvitationId = resurveyInvitationId
    }

    /// Open or contacted and past its due time at `now`.
    public func isOverdue(at now: Int64) -> Bool { !status.isClosed && dueAt < now }

    /// What the queue suggests as outcomes; any text of 1–200 characters is taken.
    public static let suggestedOutcomes = ["issue fixed", "refund", "replacement sent", "explained", "no reply",
                                           "customer declined contact", "not actionable"]
    public static let maxOutcomeLength = 200
    public static let maxNoteLength = 4_000
}

/// A note on a case: who wrote it and when.
public struct FollowUpNote: Sendable, Equatable {
    public var id: String
    public var workspaceId: String
    public var caseId: String
    /// The case's customer, so that an erasure or a merge reaches the notes about them.
    public var customerId: String?
    /// The user (or API key) who wrote it, and how they are shown.
    public var authorId: String
    public var authorLabel: String
    public var text: String
    public var createdAt: Int64

    public init(id: String, workspaceId: String, caseId: String, customerId: String?, authorId: String, authorLabel: String,
                text: String, createdAt: Int64) {
        self.id = id
        self.workspaceId = workspaceId
        self.caseId = caseId
        self.customerId = customerId
        self.authorId = authorId
        self.authorLabel = authorLabel
        self.text = text
        self.createdAt = createdAt
    }
}

/// Which cases to list: overdue first, then the soonest due; closed cases after the open ones.
public struct FollowUpQuery: Sendable, Equatable {
    public var status: FollowUpStatus?
    /// Only this owner's cases.
    public var ownerId: String?
    /// Only the cases of this team's members (`team=<id>`), or of everyone who shares a team with this user
    /// (`owner=my_team`); the service turns either into `ownerIds`.
    public var teamId: String?
    public var teammatesOf: String?
    /// Only cases owned by one of these users (an empty list matches nothing).
    public var ownerIds: [String]?
    public var surveyId: String?
    /// Only open or contacted cases due before this time.
    public var dueBefore: Int64?
    public var customerId: String?

    public init(status: FollowUpStatus? = nil, ownerId: String? = nil, teamId: String? = nil, teammatesOf: String? = nil,
                surveyId: String? = nil, dueBefore: Int64? = nil, customerId: String? = nil) {
        self.status = status
        self.ownerId = ownerId
        self.teamId = teamId
        self.teammatesOf = teammatesOf
        self.surveyId = surveyId
        self.dueBefore = dueBefore
        self.customerId = customerId
    }
}

/// How fast one survey's cases are closed, for the metrics: the median time from opening to closing of its closed
/// cases, and the share of them closed by their due time.
public struct FollowUpCloseStats: Sendable, Equatable {
    public var surveyId: String
    public var opened: Int
    public var closed: Int
    /// Median of `closed_at − created_at` over the closed cases (the mean of the middle two for an even count); nil
    /// when none is closed.
    public var medianMillisToClose: Int64?
    /// Closed cases with `closed_at ≤ due_at`, over the closed cases; nil when none is closed.
    public var shareClosedBeforeDue: Double?

    public init(surveyId: String, opened: Int, closed: Int, medianMillisToClose: Int64?, shareClosedBeforeDue: Double?) {
        self.surveyId = surveyId
        self.opened = opened
        self.closed = closed
        self.medianMillisToClose = medianMillisToClose
        self.shareClosedBeforeDue = shareClosedBeforeDue
    }

    /// The two numbers from the closed cases' (created, due, closed) times.
    public static func compute(surveyId: String, opened: Int, closedCases: [(createdAt: Int64, dueAt: Int64, closedAt: Int64)]) -> FollowUpCloseStats {
        guard !closedCases.isEmpty else {
            return FollowUpCloseStats(surveyId: surveyId, opened: opened, closed: 0, medianMillisToClose: nil, shareClosedBeforeDue: nil)
        }
        // One median for Rapport: the metrics' (`MeanAndMedian.median`), to the nearest millisecond.
        let median = MeanAndMedian.median(closedCases.map { Double($0.closedAt - $0.createdAt) }).map { Int64($0.value.rounded()) }
        let inTime = closedCases.filter { $0.closedAt <= $0.dueAt }.count
        return FollowUpCloseStats(surveyId: surveyId, opened: opened, closed: closedCases.count, medianMillisToClose: median,
                                  shareClosedBeforeDue: Double(inTime) / Double(closedCases.count))
    }
}

/// Follow-up cases and their notes. Every call is scoped to one workspace.
public protocol FollowUpRepository: Sendable {
    func insert(_ followUp: FollowUpCase) async throws
    /// Saves owner, status, outcome, due and closed times.
    func update(_ followUp: FollowUpCase) async throws
    func find(workspaceId: String, id: String) async throws -> FollowUpCase?
    /// The case a response opened, if any.
    func find(workspaceId: String, responseId: String) async throws -> FollowUpCase?
    /// Open and contacted cases first, each group by due time then id; the cursor is the last case's id.
    func list(workspaceId: String, _ query: FollowUpQuery, page: PageRequest) async throws -> Page<FollowUpCase>
    func insertNote(_ note: FollowUpNote) async throws
    /// Oldest first.
    func notes(workspaceId: String, caseId: String) async throws -> [FollowUpNote]
    /// Every case of one customer, oldest first (an export).
    func forCustomer(workspaceId: String, customerId: String) async throws -> [FollowUpCase]
    /// Time to close and the share closed before due, over the survey's cases.
    func closeStats(workspaceId: String, surveyId: String) async throws -> FollowUpCloseStats
    /// The cases of these surveys opened in [from, to), open or closed, with their response's channel and attributes.
    func metricRows(workspaceId: String, surveyIds: [String], from: Int64, to: Int64) async throws -> [FollowUpMetricRow]
}
