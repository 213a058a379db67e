import Foundation

/// Emits events to webhook endpoints from inside the transaction of the change they report: for each enabled endpoint
/// of the workspace that receives the type, a delivery row and a `webhook.deliver` job, committed with the change or
/// not at all.
public struct WebhookEvents: Sendable {
    let deps: CoreDependencies

    public init(_ deps: CoreDependencies) { self.deps = deps }

    /// The job kind that sends one delivery.
    public static let jobKind = "webhook.deliver"

    /// Queues `type` with `data` to every subscribed endpoint.
    public func emit(in repos: any Repositories, workspaceId: String, type: WebhookEventType, customerId: String? = nil,
                     data: JSONValue) async throws {
        try await emit(in: repos, workspaceId: workspaceId, [(type, customerId, data)])
    }

    /// Queues several events, reading the workspace's endpoints once (the ingest path calls this for every batch).
    public func emit(in repos: any Repositories, workspaceId: String,
                     _ events: [(type: WebhookEventType, customerId: String?, data: JSONValue)]) async throws {
        guard !events.isEmpty else { return }
        let endpoints = try await repos.webhooks.enabled(workspaceId: workspaceId)
        guard !endpoints.isEmpty else { return }
        for event in events {
            for endpoint in endpoints where endpoint.receives(event.type) {
                _ = try await deliver(in: repos, to: endpoint, type: event.type, customerId: event.customerId, data: event.data)
            }
        }
    }

    func deliver(in repos: any Repositories, to endpoint: WebhookEndpoint, type: WebhookEventType, customerId: String? = nil,
                 data: JSONValue) async throws -> WebhookDelivery {
        let body: JSONValue = ["type": .string(type.rawValue), "timestamp": .string(Timestamp.iso8601(deps.clock.nowMillis)),
                               "data": data]
        return try await enqueue(in: repos, to: endpoint, type: type, messageId: "msg_" + deps.ids.next(),
                                 customerId: customerId, payload: body.jsonText)
    }

    func enqueue(in repos: any Repositories, to endpoint: WebhookEndpoint, type: WebhookEventType, messageId: String,
                 customerId: String?, payload: String) async throws -> WebhookDelivery {
        let now = deps.clock.nowMillis
        let delivery = WebhookDelivery(id: deps.ids.next(), workspaceId: endpoint.workspaceId, endpointId: endpoint.id,
                                       messageId: messageId, eventType: type, customerId: customerId, payload: payload,
                                       createdAt: now)
        try await repos.webhooks.insert(delivery)
        let job = Job(id: deps.ids.next(), kind: Self.jobKind, payload: (["delivery_id": .string(delivery.id)] as JSONValue).jsonText,
                      workspaceId: endpoint.workspaceId, now: now, maxAttempts: WebhookRetrySchedule.delays.count + 1,
                      idempotencyKey: delivery.id)
        _ = try await repos.jobs.enqueue(job)
        return delivery
    }
}

/// When a failed delivery is tried again: after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (the schedule Svix
/// documents for Standard Webhooks), about 27.6 hours in all, 8 attempts. Then the delivery is failed.
public enum WebhookRetrySchedule {
    public static let delays: [Int64] = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000].map { $0 * 1_000 }

    /// The delay before attempt `attempts + 1`, after `attempts` failed ones; nil when none is left.
    public static func delay(afterAttempts attempts: Int) -> Int64? {
        attempts >= 1 && attempts <= delays.count ? delays[attempts - 1] : nil
    }
}
