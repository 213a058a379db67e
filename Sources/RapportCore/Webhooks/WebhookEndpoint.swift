/// The events Rapport sends to webhook endpoints. Each payload is `{"type", "timestamp", "data"}` (the Standard
/// Webhooks shape); `data` is documented per type in docs/webhooks.md.
public enum WebhookEventType: String, Sendable, CaseIterable, Codable {
    case customerCreated = "customer.created"
    case customerUpdated = "customer.updated"
    case customerMerged = "customer.merged"
    case customerErased = "customer.erased"
    case orderCompleted = "order.completed"
    case orderRefunded = "order.refunded"
    case consentChanged = "consent.changed"
    case segmentEntered = "segment.entered"
    case segmentExited = "segment.exited"
    case importCompleted = "import.completed"
    case surveyResponseCompleted = "survey.response.completed"
    case followUpOpened = "follow_up.opened"
    case followUpClosed = "follow_up.closed"
    /// Sent only by automation rules' webhook actions, to the endpoint the action names.
    case automationRuleFired = "automation.rule_fired"
    /// Sent only by the "send test event" action.
    case ping = "webhook.test"

    /// What an endpoint can subscribe to: all but the test event and the automation event, which are sent to one
    /// endpoint named by an action.
    public static var subscribable: [WebhookEventType] { allCases.filter { $0 != .ping && $0 != .automationRuleFired } }
}

/// A URL of another system that receives a workspace's events, signed with its own secret.
public struct WebhookEndpoint: Sendable, Equatable {
    public var id: String
    public var workspaceId: String
    public var url: String
    public var description: String?
    /// The event types it receives; never empty.
    public var eventTypes: [WebhookEventType]
    public var enabled: Bool
    /// `whsec_` + base64 of 24 random bytes (Standard Webhooks); shown to admins, used to sign. Nil when it is stored
    /// sealed under another `SECRET_KEY` than this server's: the endpoint can still be listed, disabled and deleted,
    /// and events still queued to it, but nothing can be signed or shown (`signingSecret()`).
    public var secret: String?
    /// The secret before the last rotation, still signing deliveries beside `secret` until `previousSecretExpiresAt`
    /// (nil: none, or unreadable like `secret`).
    public var previousSecret: String?
    public var previousSecretExpiresAt: Int64?
    /// Why it was disabled, when Rapport disabled it after failing for days.
    public var disabledReason: String?
    /// The user who made it: told by email when Rapport disables it.
    public var createdBy: String?
    /// When the first of its deliveries failed since the last one that succeeded; nil while it answers. An endpoint
    /// failing for `WebhookHealth.disableAfter` is disabled.
    public var failingSince: Int64?
    public var createdAt: Int64
    public var updatedAt: Int64

    /// The secret, or `secret_unreadable` when it cannot be read.
    public func signingSecret() throws(RapportError) -> String {
        guard let secret else { throw RapportError.secretUnreadable }
        return secret
    }

    public init(id: String, workspaceId: String, url: String, description: String?, eventTypes: [WebhookEventType],
                enabled: Bool, secret: String?, disabledReason: String? = nil, createdBy: String? = nil,
                failingSince: Int64? = nil, createdAt: Int64, updatedAt: Int64, previousSecret: String? = nil,
                previousSecretExpiresAt: Int64? = nil) {
        self.id = id
        self.workspaceId = workspaceId
        self.url = url
        self.description = description
        self.eventTypes = eventTypes
        self.enabled = enabled
        self.secret = secret
        self.disabledReason = disabledReason
        self.createdBy = createdBy
        self.failingSince = failingSince
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.previousSecret = previousSecret
        self.previousSecretExpiresAt = previousSecretExpiresAt
    }

    /// The secrets a delivery made `at` is signed with: the current one, and the previous one while it overlaps.
    public func signingSecrets(at now: Int64) throws(RapportError) -> [String] {
        var secrets = [try signingSecret()]
        if let previousSecret, let until = previousSecretExpiresAt, now < until { secrets.append(previousSecret) }
        return secrets
    }

    public func receives(_ type: WebhookEventType) -> Bool { type == .ping || eventTypes.contains(type) }
}

/// One attempt-tracked sending of one event to one endpoint: the delivery log.
public struct WebhookDelivery: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable {
        /// Waiting for its first or next attempt.
        case pending
        case succeeded
        /// Out of attempts, or the endpoint was deleted or disabled.
        case failed
    }

    public var id: String
    public var workspaceId: String
    public var endpointId: String
    /// `webhook-id`: the same on every attempt and replay of this delivery, so receivers can drop duplicates.
    public var messageId: String
    public var eventType: WebhookEventType
    /// The customer the event is about, so that erasing them deletes its copies here.
    public var customerId: String?
    /// The exact body sent (and signed).
    public var payload: String
    public var status: Status
    public var attempts: Int
    public var responseStatus: Int?
    /// The first 1,000 characters of the last answer, or the connection error.
    public var responseExcerpt: String?
    public var durationMillis: Int?
    public var createdAt: Int64
    public var lastAttemptAt: Int64?

    public init(id: String, workspaceId: String, endpointId: String, messageId: String, eventType: WebhookEventType,
                customerId: String? = nil, payload: String, status: Status = .pending, attempts: Int = 0, responseStatus: Int? = nil,
                responseExcerpt: String? = nil, durationMillis: Int? = nil, createdAt: Int64, lastAttemptAt: Int64? = nil) {
        self.id = id
        self.workspaceId = workspaceId
        self.endpointId = endpointId
        self.messageId = messageId
        self.eventType = eventType
        self.customerId = customerId
        self.payload = payload
        self.status = status
        self.attempts = attempts
        self.responseStatus = responseStatus
        self.responseExcerpt = responseExcerpt
        self.durationMillis = durationMillis
        self.createdAt = createdAt
        self.lastAttemptAt = lastAttemptAt
    }
}

/// Endpoints and their delivery log. Every call is scoped to one workspace.
public protocol WebhookRepository: Sendable {
    func insert(_ endpoint: WebhookEndpoint) async throws
    func update(_ endpoint: WebhookEndpoint) async throws
    /// Stores a rotated secret and the previous one with its end (nil: none kept).
    func rotateSecret(workspaceId: String, id: String, secret: String, previous: String?, previousExpiresAt: Int64?,
                      at: Int64) async throws
    func delete(workspaceId: String, id: String) async throws
    func find(workspaceId: String, id: String) async throws -> WebhookEndpoint?
    func list(workspaceId: String, page: PageRequest) async throws -> Page<WebhookEndpoint>
    /// The workspace's enabled endpoints.
    func enabled(workspaceId: String) async throws -> [WebhookEndpoint]
    /// Records a failed attempt: sets `failing_since` to `at` unless it is set; returns its value after.
    func markFailing(workspaceId: String, id: String, at: Int64) async throws -> Int64?
    /// Records a successful attempt: clears `failing_since`.
    func markHealthy(workspaceId: String, id: String) async throws
    /// Disables an enabled endpoint with the reason; false when it was already disabled (or is gone), so that of two
    /// workers only one tells the owner.
    func disable(workspaceId: String, id: String, reason: String, at: Int64) async throws -> Bool
    func insert(_ delivery: WebhookDelivery) async throws
    func update(_ delivery: WebhookDelivery) async throws
    func delivery(workspaceId: String, id: String) async throws -> WebhookDelivery?
    /// An endpoint's deliveries, newest first.
    func deliveries(workspaceId: String, endpointId: String, page: PageRequest) async throws -> Page<WebhookDelivery>
    /// Deletes up to `limit` deliveries, of any workspace, queued before `before` and no longer pending; returns how many.
    func purgeDeliveries(before: Int64, limit: Int) async throws -> Int
}

/// Signs webhook bodies by the Standard Webhooks specification (implemented with HMAC-SHA256 outside the domain).
public protocol WebhookSigner: Sendable {
    /// `v1,<base64 HMAC-SHA256 of "id.timestamp.body" keyed with the secret's decoded bytes>`.
    func signature(messageId: String, timestamp: Int64, body: String, secret: String) -> String
}
