import RapportCore

/// Everything the demo adds to the Demo workspace, made in memory by `DemoGenerator` and stored by `DemoWriter`.
struct DemoDataSet: Sendable {
    struct Agent: Sendable {
        var id: String
        var name: String
        var email: String
        var team: Int
    }

    var workspaceId: String
    var timeZone: String
    /// When the new returns policy started: the before/after change the demo's charts show.
    var changeAt: Int64
    var agents: [Agent] = []
    var teams: [AgentTeam] = []
    var surveys: [Survey] = []
    var customers: [Customer] = []
    var identifiers: [(customerId: String, identifier: Identifier)] = []
    var accounts: [Account] = []
    var accountMembers: [(accountId: String, customerId: String, at: Int64)] = []
    var consents: [ConsentRecord] = []
    var suppressions: [EmailSuppression] = []
    var activities: [Activity] = []
    var orders: [Order] = []
    var invitations: [SurveyInvitation] = []
    var responses: [SurveyResponse] = []
    var followUps: [FollowUpCase] = []
    var notes: [FollowUpNote] = []

    /// How many of each, for the log line, the tests and the script that times the demo.
    var counts: [String: Int] {
        [
            "customers": customers.count, "accounts": accounts.count, "activities": activities.count,
            "orders": orders.count, "agents": agents.count, "teams": teams.count, "surveys": surveys.count,
            "invitations": invitations.count, "responses": responses.count, "follow_ups": followUps.count,
            "consents": consents.count, "suppressions": suppressions.count,
        ]
    }
}

/// One demo customer while the data set is made: what later steps (orders, tickets, surveys) need to know.
struct DemoPerson {
    var id: String
    var index: Int
    var email: String
    var firstName: String
    var joinedDaysAgo: Int
    var joinedAt: Int64
    var accountIndex: Int?
    var locale: String
    /// How often this person buys and contacts support (0…1, a few are very active).
    var activity: Double
    /// When the address bounced for good, if it did.
    var bouncedAt: Int64?
    /// When the person withdrew the `surveys` consent, if they did.
    var surveysWithdrawnAt: Int64?
    var lastNPS: (score: Int, at: Int64)?
}

/// Something that asks a survey of a customer: a resolved ticket, a delivered order, a checkout shown the widget.
struct DemoSurveyAsk {
    enum Kind { case ticket, delivery, checkout }
    var kind: Kind
    var person: Int
    var at: Int64
    var attributes: [String: String]
    /// Agent and channel effect on the promoter chance (tickets only).
    var effect: Double
    var topic: String?
    var agentIndex: Int?
}
