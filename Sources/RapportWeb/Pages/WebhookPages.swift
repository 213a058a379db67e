import Foundation
import RapportCore

/// The workspace's webhook endpoints and the form to add one.
public struct WebhooksPage: PageModel {
    public static let template = "webhooks"
    public struct Row: Sendable {
        public let url: String
        public let pageURL: String
        public let description: String?
        public let eventTypes: String
        public let enabled: Bool
        public let disabledReason: String?
    }

    public struct EventOption: Sendable {
        public let value: String
        public let checked: Bool
    }

    public let endpoints: [Row]
    public let eventTypes: [EventOption]
    public let values: [String: String]
    public let error: String?
    public let flash: String?

    public init(endpoints: [WebhookEndpoint], checked: Set<String> = [], url: String = "", description: String = "",
                error: String?, flash: String?) {
        self.endpoints = endpoints.map {
            Row(url: $0.url, pageURL: WebURL.webhook($0.id), description: $0.description,
                eventTypes: $0.eventTypes.map(\.rawValue).joined(separator: ", "), enabled: $0.enabled,
                disabledReason: $0.disabledReason)
        }
        eventTypes = WebhookEventType.subscribable.map { EventOption(value: $0.rawValue, checked: checked.contains($0.rawValue)) }
        values = ["url": url, "description": description]
        self.error = error
        self.flash = flash
    }
}

/// One endpoint: its secret, its delivery log with replays, and the test, enable/disable and delete actions.
public struct WebhookPage: PageModel {
    public static let template = "webhook"
    public struct Delivery: Sendable {
        public let eventType: String
        public let status: String
        public let attempts: Int
        public let answer: String
        public let createdAt: DisplayDate
        public let lastAttemptAt: DisplayDate?
        public let replayURL: String
    }

    public let url: String
    public let description: String?
    public let eventTypes: String
    public let enabled: Bool
    public let disabledReason: String?
    /// Set while its deliveries keep failing: Rapport disables it after `WEBHOOK_DISABLE_AFTER_HOURS`.
    public let failingSince: DisplayDate?
    public let secret: String
    /// Until when the secret before the last rotation still signs beside it (only while it does).
    public let previousSecretUntil: DisplayDate?
    /// The secret card opens by itself right after a rotation.
    public let showSecret: Bool
    public let rotateURL: String
    public let testURL: String
    public let toggleURL: String
    public let deleteURL: String
    public let deliveries: [Delivery]
    public let olderURL: String?
    public let error: String?
    public let flash: String?

    public init(endpoint: WebhookEndpoint, deliveries: Page<WebhookDelivery>, error: String?, flash: String?,
                timeZone: TimeZone = DisplayDate.utc, now: Int64 = 0, showSecret: Bool = false) {
        url = endpoint.url
        description = endpoint.description
        eventTypes = endpoint.eventTypes.map(\.rawValue).joined(separator: ", ")
        enabled = endpoint.enabled
        disabledReason = endpoint.disabledReason
        failingSince = endpoint.failingSince.map { DisplayDate(millis: $0, timeZone: timeZone) }
        secret = endpoint.secret ?? "(cannot be read: it is sealed under another SECRET_KEY than this server's; rotate it to make a new one)"
        previousSecretUntil = endpoint.previousSecret == nil ? nil : endpoint.previousSecretExpiresAt
            .flatMap { $0 > now ? DisplayDate(millis: $0, timeZone: timeZone) : nil }
        self.showSecret = showSecret
        rotateURL = WebURL.webhookAction(endpoint.id, "rotate-secret")
        testURL = WebURL.webhookAction(endpoint.id, "test")
        toggleURL = WebURL.webhookAction(endpoint.id, "toggle")
        deleteURL = WebURL.webhookAction(endpoint.id, "delete")
        self.deliveries = deliveries.items.map { delivery in
            let answer = delivery.responseStatus.map { "\($0)" + (delivery.durationMillis.map { " in \($0) ms" } ?? "") }
                ?? delivery.responseExcerpt.map { String($0.prefix(120)) } ?? "not sent yet"
            return Delivery(eventType: delivery.eventType.rawValue, status: delivery.status.rawValue, attempts: delivery.attempts,
                            answer: answer, createdAt: DisplayDate(millis: delivery.createdAt, timeZone: timeZone),
                            lastAttemptAt: delivery.lastAttemptAt.map { DisplayDate(millis: $0, timeZone: timeZone) },
                            replayURL: WebURL.webhookReplay(endpoint.id, delivery: delivery.id))
        }
        olderURL = deliveries.nextCursor.map { WebURL.webhook(endpoint.id, cursor: $0) }
        self.error = error
        self.flash = flash
    }
}
