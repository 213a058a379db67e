/// One ask of one person to answer one survey: scheduled (at `sendAt`, e.g. two hours after a ticket was resolved),
/// then sent or suppressed by the contact rules with the reason, and `responded` once the person finishes a response.
/// The interaction's `attributes` (agent, team, channel, touchpoint, ticket or order id) go onto the response.
public struct SurveyInvitation: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable, Codable {
        /// Waiting for `sendAt` (or for the end of the person's quiet hours).
        case scheduled
        case sent
        /// Not sent: the contact rules said no (`reason`); counted in the survey's stats, shown on the timeline.
        case suppressed
        /// The person finished a response to it.
        case responded
        /// Withdrawn before it was sent (the survey was closed).
        case cancelled
        /// Shown by the web widget and closed by the person without finishing: holds the survey back from them for
        /// its `widget.dismiss_days`.
        case dismissed
    }

    public var id: String
    public var workspaceId: String
    public var surveyId: String
    public var customerId: String
    /// How it is delivered: `email`, or `widget` (shown on the customer's own site; `sent` then means shown).
    public var channel: String
    public var status: Status
    /// Why it was suppressed or cancelled: a code (`SurveySuppression`) and a sentence for people.
    public var reason: String?
    public var reasonText: String?
    public var attributes: [String: String]
    /// What asked for it: `api`, `automation`, `segment`, `follow_up` (the survey after a resolved follow-up case).
    public var source: String
    public var sendAt: Int64
    public var sentAt: Int64?
    /// The invitation email in the outbox.
    public var emailId: String?
    public var remindersSent: Int
    public var respondedAt: Int64?
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(id: String, workspaceId: String, surveyId: String, customerId: String, channel: String = "email",
                status: Status = .scheduled, reason: String? = nil, reasonText: String? = nil, attributes: [String: String] = [:],
                source: String, sendAt: Int64, sentAt: Int64? = nil, emailId: String? = nil, remindersSent: Int = 0,
                respondedAt: Int64? = nil, createdAt: Int64, updatedAt: Int64) {
        self.id = id
        self.workspaceId = workspaceId
        self.surveyId = surveyId
        self.customerId = customerId
        self.channel = channel
        self.status = status
        self.reason = reason
        self.reasonText = reasonText
        self.attributes = attributes
        self.source = source
        self.sendAt = sendAt
        self.sentAt = sentAt
        self.emailId = emailId
        self.remindersSent = remindersSent
        self.respondedAt = respondedAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public static let channels = ["email", "widget"]
}

/// Why an invitation was not sent: one code per contact rule, so the survey's stats can count each.
public enum SurveySuppression: String, Sendable, CaseIterable {
    /// The person withdrew (or never gave, where it is needed) the `surveys` consent.
    case noConsent = "no_consent"
    /// Another invitation reached the person within the workspace's recontact period.
    case recontactPeriod = "recontact_period"
    /// The survey asks each person once, and this person was asked.
    case oncePerPerson = "once_per_person"
    /// The survey's own minimum of days between two invitations to one person.
    case surveyFrequency = "survey_frequency"
    /// The address is on the workspace's suppression list (bounced, complained, unsubscribed by hand).
    case emailSuppressed = "email_suppressed"
    /// The person has no usable email address.
    case noAddress = "no_address"
    /// The survey is not active (paused or closed) when the invitation was due.
    case surveyInactive = "survey_inactive"
    /// No SMTP server is set up for the workspace.
    case emailNotConfigured = "email_not_configured"
    /// The person dismissed this survey's widget within its `widget.dismiss_days`.
    case recentlyDismissed = "recently_dismissed"
}

/// The workspace's contact rules for surveys, on top of consent and each survey's own limits.
public struct SurveyContactRules: Sendable, Equatable {
    /// Days between two invitations to one person, whatever the survey or channel (0: no limit).
    public var recontactDays: Int
    /// Quiet hours in the person's time zone (the hour they start and the hour they end, 0–23; equal: none). An
    /// invitation due inside them waits until they end.
    public var quietStartHour: Int
    public var quietEndHour: Int

    public init(recontactDays: Int = 30, quietStartHour: Int = 21, quietEndHour: Int = 8) {
        self.recontactDays = recontactDays
        self.quietStartHour = quietStartHour
        self.quietEndHour = quietEndHour
    }

    public static let keys: Set<String> = ["recontact_days", "quiet_start_hour", "quiet_end_hour"]

    /// Applies the given fields; errors name the field.
    public mutating func apply(_ fields: [String: JSONValue]) throws(RapportError) {
        if let unknown = fields.keys.sorted().first(where: { !Self.keys.contains($0) }) {
            throw RapportError.invalid(unknown, "\(unknown) is not a contact rule; allowed: \(Self.keys.sorted().joined(separator: ", ")).")
        }
        if let value = fields["recontact_days"] { recontactDays = try Validation.integer(value, "recontact_days", 0...3_650) }
        if let value = fields["quiet_start_hour"] { quietStartHour = try Validation.integer(value, "quiet_start_hour", 0...23) }
        if let value = fields["quiet_end_hour"] { quietEndHour = try Validation.integer(value, "quiet_end_hour", 0...23) }
    }

    public var json: JSONValue {
        ["recontact_days": JSONValue(recontactDays), "quiet_start_hour": JSONValue(quietStartHour),
         "quiet_end_hour": JSONValue(quietEndHour)]
    }
}

/// Survey invitations and the tokens of their links. Every call but `find(tokenHash:)` is scoped to one workspace.
public protocol SurveyInvitationRepository: Sendable {
    func insert(_ invitation: SurveyInvitation) async throws
    func find(workspaceId: String, id: String) async throws -> SurveyInvitation?
    /// Saves a change of state only if the invitation is still in `from` (false: another worker changed it first).
    func transition(_ invitation: SurveyInvitation, from: SurveyInvitation.Status) async throws -> Bool
    /// Serialises the sends to one person (PostgreSQL: an advisory lock until the transaction ends; SQLite's single
    /// writer already does), so two workers cannot both pass the recontact rule for them.
    func lockContact(workspaceId: String, customerId: String) async throws
    /// When the person was last sent an invitation (of `surveyId`, or of any survey), other than `excluding`. A
    /// widget showing counts as sent, dismissed or not.
    func lastSent(workspaceId: String, customerId: String, surveyId: String?, excluding: String) async throws -> Int64?
    /// When the person last dismissed the survey's widget (the time it was closed).
    func lastDismissed(workspaceId: String, customerId: String, surveyId: String) async throws -> Int64?
    /// When the person's latest invitation of the survey on `channel` suppressed for `reason` was made, if any.
    func lastSuppressed(workspaceId: String, customerId: String, surveyId: String, channel: String, reason: String) async throws -> Int64?
    /// Newest first.
    func list(workspaceId: String, surveyId: String?, customerId: String?, status: SurveyInvitation.Status?,
              page: PageRequest) async throws -> Page<SurveyInvitation>
    /// The survey's invitations by status, and the suppressed ones by reason.
    func counts(workspaceId: String, surveyId: String) async throws -> (byStatus: [String: Int], byReason: [String: Int])
    /// The invitations of these surveys delivered in [from, to) by their sent time, for the response rate: status
    /// sent, responded or dismissed, and not an email the outbox failed or blocked (docs/methods.md).
    func metricRows(workspaceId: String, surveyIds: [String], from: Int64, to: Int64) async throws -> [InvitationMetricRow]
    /// Delivered invitations counted by local day, group and whether they got a response (score 1 or 0), in the database.
    func metricCounts(workspaceId: String, _ request: MetricCountRequest) async throws -> [MetricCountRow]
    func addToken(hash: String, invitation: SurveyInvitation, at: Int64) async throws
    /// The invitation a link's token names (any workspace: the token is the authority).
    func find(tokenHash: String) async throws -> SurveyInvitation?
    func contactRules(workspaceId: String) async throws -> SurveyContactRules
    func saveContactRules(workspaceId: String, _ rules: SurveyContactRules, at: Int64) async throws
    /// The workspace's widget identity settings (none until an admin sets them).
    func widgetIdentity(workspaceId: String) async throws -> SurveyWidgetIdentity
    func saveWidgetIdentity(workspaceId: String, _ identity: SurveyWidgetIdentity, at: Int64) async throws
}

extension SurveyInvitation {
    /// The invitation in a customer's data export.
    public var exportJSON: JSONValue {
        [
            "id": .string(id), "survey_id": .string(surveyId), "channel": .string(channel), "status": .string(status.rawValue),
            "reason": JSONValue(reason), "attributes": .object(attributes.mapValues { .string($0) }), "source": .string(source),
            "send_at": .string(Timestamp.iso8601(sendAt)), "sent_at": JSONValue(sentAt.map(Timestamp.iso8601)),
            "reminders_sent": JSONValue(remindersSent), "responded_at": JSONValue(respondedAt.map(Timestamp.iso8601)),
        ]
    }
}
