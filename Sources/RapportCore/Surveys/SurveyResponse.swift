/// One person's answers to one version of a survey, tied to the customer, the channel it came by and what the
/// interaction was (agent, team, touchpoint, ticket or order: `attributes`), so that every score can be sliced by them.
public struct SurveyResponse: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable, Codable {
        /// Some answers given (saved as they are given on the hosted page); not counted in scores.
        case partial
        case completed
    }

    public var id: String
    public var workspaceId: String
    public var surveyId: String
    /// The survey version answered: the questions as they were asked.
    public var version: Int
    /// Nil for an anonymous answer (a shared link).
    public var customerId: String?
    /// The invitation it answers, if any: one response per invitation.
    public var invitationId: String?
    /// How it came: `email`, `web` (the hosted page), `widget`, `api`, `import`.
    public var channel: String
    public var language: String
    /// Question id → answer, in the stored form `SurveyQuestion.validate` gives.
    public var answers: [String: JSONValue]
    /// The headline score (the first question's answer, when it is scored and answered) and its band.
    public var score: Int?
    public var band: ScoreBand?
    /// What the interaction was: `agent`, `team`, `channel`, `touchpoint`, `ticket_id`, `order_id`, … (texts).
    public var attributes: [String: String]
    public var status: Status
    /// When the answers were given (for an imported response, its own date).
    public var submittedAt: Int64?
    public var createdAt: Int64
    public var updatedAt: Int64
    /// The response's id in the system it was imported from (a CSV's `response_id`): one response per survey and
    /// external id, so importing a file again adds nothing.
    public var externalId: String?

    public init(id: String, workspaceId: String, surveyId: String, version: Int, customerId: String?, invitationId: String? = nil,
                channel: String, language: String, answers: [String: JSONValue], score: Int? = nil, band: ScoreBand? = nil,
                attributes: [String: String] = [:], status: Status, submittedAt: Int64?, createdAt: Int64, updatedAt: Int64,
                externalId: String? = nil) {
        self.id = id
        self.workspaceId = workspaceId
        self.surveyId = surveyId
        self.version = version
        self.customerId = customerId
        self.invitationId = invitationId
        self.channel = channel
        self.language = language
        self.answers = answers
        self.score = score
        self.band = band
        self.attributes = attributes
        self.status = status
        self.submittedAt = submittedAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.externalId = externalId
    }

    public static let channels = ["email", "web", "widget", "api", "import", "link"]
    public static let maxAttributes = 20
}

/// Which responses to list or export.
public struct SurveyResponseQuery: Sendable, Equatable {
    public var surveyId: String
    public var customerId: String?
    public var band: ScoreBand?
    public var status: SurveyResponse.Status?
    /// `submitted_at` from (inclusive) and before (exclusive), in milliseconds.
    public var submittedFrom: Int64?
    public var submittedBefore: Int64?
    /// The `agent` attribute, exactly.
    public var agent: String?
    public var channel: String?
    /// Customers in this segment now.
    public var segmentId: String?
    /// Text contained (case-insensitively) in a text answer.
    public var text: String?
    /// The text questions' ids across the survey's versions, which `text` searches; set by the service.
    public var textQuestionIds: [String] = []
    /// Other trigger attributes (`team`, `touchpoint`…), each exactly; names are identifiers.
    public var attributes: [String: String] = [:]
    /// Only responses with a headline score: the ones a metric counts.
    public var scoredOnly = false

    public init(surveyId: String, customerId: String? = nil, band: ScoreBand? = nil, status: SurveyResponse.Status? = nil,
                submittedFrom: Int64? = nil, submittedBefore: Int64? = nil, agent: String? = nil, channel: String? = nil,
                segmentId: String? = nil, text: String? = nil) {
        self.surveyId = surveyId
        self.customerId = customerId
        self.band = band
        self.status = status
        self.submittedFrom = submittedFrom
        self.submittedBefore = submittedBefore
        self.agent = agent
        self.channel = channel
        self.segmentId = segmentId
        self.text = text
    }
}

/// Survey responses. Every call is scoped to one workspace.
public protocol SurveyResponseRepository: Sendable {
    func insert(_ response: SurveyResponse) async throws
    func update(_ response: SurveyResponse) async throws
    func find(workspaceId: String, id: String) async throws -> SurveyResponse?
    /// The response to an invitation (at most one).
    func find(workspaceId: String, invitationId: String) async throws -> SurveyResponse?
    /// Every response of one customer, oldest first (an export).
    func forCustomer(workspaceId: String, customerId: String) async throws -> [SurveyResponse]
    /// Newest first.
    func list(workspaceId: String, _ query: SurveyResponseQuery, page: PageRequest) async throws -> Page<SurveyResponse>
    /// How many responses `list` would return over all its pages.
    func count(workspaceId: String, _ query: SurveyResponseQuery) async throws -> Int
    /// The id of the survey's response with this external id, if any.
    func id(workspaceId: String, surveyId: String, externalId: String) async throws -> String?
    /// The id of a response to the survey by this customer submitted at exactly this time, if any.
    func id(workspaceId: String, surveyId: String, customerId: String, submittedAt: Int64) async throws -> String?
    /// Each customer's email for an export: the profile's `email` trait, else its first email identifier.
    func emails(workspaceId: String, customerIds: [String]) async throws -> [String: String]
    /// The completed, scored responses to these surveys submitted in [from, to), for the metrics; `withAnswers`: every
    /// completed response, scored or not, with its answers (a metric of another question than the first).
    func metricRows(workspaceId: String, surveyIds: [String], from: Int64, to: Int64, withAnswers: Bool) async throws -> [SurveyMetricRow]
    /// Completed, scored responses counted by local day, group and score (`MetricCountRequest`), in the database.
    func metricCounts(workspaceId: String, _ request: MetricCountRequest) async throws -> [MetricCountRow]
}
