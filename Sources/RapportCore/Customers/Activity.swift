/// One entry of a customer's timeline. Every feature appends here: tracked events, orders, merges, consent
/// changes, and later survey invitations and answers, conversations and emails.
public struct Activity: Sendable, Equatable {
    public var id: String
    public var workspaceId: String
    public var customerId: String
    public var kind: ActivityKind
    /// The event name (`track`), page name, order id…
    public var name: String?
    public var occurredAt: Int64
    public var receivedAt: Int64
    /// Segment's `messageId`: the same message twice is stored once.
    public var messageId: String?
    public var properties: JSONValue { didSet { encoded = nil } }
    public var context: JSONValue { didSet { encoded = nil } }
    /// `properties` and `context` as JSON text, when they were encoded before the write: the tracking API encodes
    /// them while it reads the request, so that SQLite's single writer does not (nil: the store encodes them).
    /// Changing either forgets it.
    public var encoded: ActivityJSONText?

    public init(id: String, workspaceId: String, customerId: String, kind: ActivityKind, name: String?, occurredAt: Int64,
                receivedAt: Int64, messageId: String? = nil, properties: JSONValue = [:], context: JSONValue = [:]) {
        self.id = id
        self.workspaceId = workspaceId
        self.customerId = customerId
        self.kind = kind
        self.name = name
        self.occurredAt = occurredAt
        self.receivedAt = receivedAt
        self.messageId = messageId
        self.properties = properties
        self.context = context
    }
}

/// The JSON text of a timeline entry's `properties` and `context`, encoded ahead of the write. A cache of them, not
/// a part of the entry's value: it is not compared.
public struct ActivityJSONText: Sendable, Equatable {
    public let properties: String
    public let context: String

    public init(properties: JSONValue, context: JSONValue) {
        self.properties = properties.jsonText
        self.context = context.jsonText
    }

    public static func == (_: ActivityJSONText, _: ActivityJSONText) -> Bool { true }
}

/// What a timeline entry is. Raw values are stored; add cases, never rename them.
public enum ActivityKind: String, Sendable, Codable, CaseIterable {
    case track, page, screen, identify, group, alias
    case order
    case orderRefunded = "order_refunded"
    case merge
    case consent
    case traitsUpdated = "traits_updated"
    case note
    /// An email Rapport sent, could not send, or was not allowed to send (properties: `email_id`, `state`, `reason`).
    case email
    /// A webhook an automation rule sent about the customer, delivered or failed for good (properties:
    /// `delivery_id`, `endpoint_id`, `url`, `status`, `response_status`, `rule_id`, `rule_name`).
    case webhook
    /// A completed survey response (properties: `response_id`, `survey_id`, `score`, `band`, `answers`, `attributes`).
    case surveyResponse = "survey_response"
    /// A survey invitation the contact rules held back (properties: `invitation_id`, `survey_id`, `reason`, `message`);
    /// a sent one shows as its email.
    case surveyInvitation = "survey_invitation"
    /// A follow-up case opened or closed (properties: `follow_up_id`, `survey_id`, `response_id`, `status`, `outcome`,
    /// `owner_id`, `due_at`, `closed_at`).
    case followUp = "follow_up"
}
