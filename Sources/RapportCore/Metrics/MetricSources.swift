/// One delivered survey invitation as the response rate reads it (docs/methods.md, "Response rate"): sent in the
/// range, not suppressed, cancelled or still scheduled, and not an email the outbox failed or blocked.
public struct InvitationMetricRow: Sendable, Equatable {
    public var surveyId: String
    public var customerId: String
    public var sentAt: Int64
    /// `email` or `widget`.
    public var channel: String
    public var attributes: [String: String]
    /// The invitation got a completed response.
    public var responded: Bool

    public init(surveyId: String, customerId: String, sentAt: Int64, channel: String, attributes: [String: String], responded: Bool) {
        self.surveyId = surveyId
        self.customerId = customerId
        self.sentAt = sentAt
        self.channel = channel
        self.attributes = attributes
        self.responded = responded
    }
}

/// One follow-up case as the time-to-close metric reads it: opened in the range, closed or not, with the response
/// that opened it (its channel and trigger attributes).
public struct FollowUpMetricRow: Sendable, Equatable {
    public var surveyId: String
    public var customerId: String?
    public var ownerId: String?
    public var openedAt: Int64
    /// Nil while the case is open or contacted.
    public var closedAt: Int64?
    public var channel: String?
    public var attributes: [String: String]

    public init(surveyId: String, customerId: String?, ownerId: String?, openedAt: Int64, closedAt: Int64?, channel: String?,
                attributes: [String: String]) {
        self.surveyId = surveyId
        self.customerId = customerId
        self.ownerId = ownerId
        self.openedAt = openedAt
        self.closedAt = closedAt
        self.channel = channel
        self.attributes = attributes
    }
}

/// An account a customer belongs to, for `group_by=account`.
public struct CustomerAccountLink: Sendable, Equatable {
    public var customerId: String
    public var accountId: String
    public var accountName: String?

    public init(customerId: String, accountId: String, accountName: String?) {
        self.customerId = customerId
        self.accountId = accountId
        self.accountName = accountName
    }
}

/// What every metric reads, whatever its source: when it happened, what it is attached to, and its measure.
struct MetricObservation: Sendable {
    var surveyId: String
    var customerId: String?
    /// Submitted (responses), sent (invitations), opened (follow-up cases).
    var at: Int64
    var channel: String?
    var attributes: [String: String]
    /// The score (NPS, CSAT, CES); 1 for an answered invitation and 0 otherwise (response rate).
    var score: Int = 0
    var band: ScoreBand?
    /// Follow-up cases: milliseconds from opening to close; nil while open.
    var duration: Double?
    /// The teams of the agent (a member named by the `agent` attribute, or a case's owner), by name.
    var agentTeams: [String] = []
    /// `group_by=trait.<name>`, `account` or `segment`: the keys the customer falls under (several accounts, or none).
    var customerKeys: [String?] = [nil]

    /// The groups of `grouping` this observation is in: one for most groupings, each of the customer's accounts, and
    /// for `team` the response's own `team` attribute, else every team of its agent.
    func keys(_ grouping: MetricGrouping) -> [String?] {
        switch grouping {
        case .attribute("team"):
            if let team = attributes["team"] { return [team] }
            return agentTeams.isEmpty ? [nil] : agentTeams
        case .attribute(let name): return [attributes[name]]
        case .responseChannel: return [channel]
        case .survey: return [surveyId]
        case .trait, .account, .segment: return customerKeys
        }
    }

    /// Whether the observation holds every filter value (`team` matches the attribute or the agent's teams).
    /// Whether the observation passes the query's attribute filters and its channel filter.
    func matches(_ query: MetricQuery) -> Bool {
        query.attributes.allSatisfy { name, value in
            name == "team" ? keys(.attribute("team")).contains(value) : attributes[name] == value
        } && query.channel.map { channel == $0 } ?? true
    }
}
