import Foundation

/// What follows a webhook delivery attempt besides its row in the log, in the same transaction:
/// - the endpoint's health: the first failure after a success starts its `failingSince`; a success clears it; an
///   endpoint whose deliveries have all failed for `disableAfterMillis` (5 days by default) is disabled, the reason
///   recorded, the audit log told, and the user who made it (else the workspace's owners) emailed;
/// - the customer's timeline, for a webhook an automation rule sent about them, once it is delivered or has failed
///   for good (subscription events such as `customer.updated` mirror changes that are on the timeline already).
public struct WebhookHealth: Sendable {
    let deps: CoreDependencies
    let disableAfterMillis: Int64
    let outbox: EmailOutbox?

    public static let defaultDisableAfterHours = 120

    public init(_ deps: CoreDependencies, disableAfterMillis: Int64, outbox: EmailOutbox?) {
        self.deps = deps
        self.disableAfterMillis = disableAfterMillis
        self.outbox = outbox
    }

    /// An attempt's consequences: `attempt` is the delivery as recorded after it (`failed` when it will not be
    /// tried again), `failure` why it failed, nil when it succeeded.
    public func record(in repos: any Repositories, endpoint: WebhookEndpoint, attempt: WebhookDelivery,
                       failure: String?) async throws {
        if failure == nil {
            if endpoint.failingSince != nil {
                try await repos.webhooks.markHealthy(workspaceId: endpoint.workspaceId, id: endpoint.id)
            }
        } else if endpoint.enabled {
            let now = deps.clock.nowMillis
            let since = try await repos.webhooks.markFailing(workspaceId: endpoint.workspaceId, id: endpoint.id, at: now) ?? now
            if now - since >= disableAfterMillis {
                try await disable(in: repos, endpoint: endpoint, since: since, lastFailure: failure ?? "")
            }
        }
        if attempt.status != .pending { try await appendTimeline(in: repos, endpoint: endpoint, delivery: attempt) }
    }

    private func disable(in repos: any Repositories, endpoint: WebhookEndpoint, since: Int64, lastFailure: String) async throws {
        let now = deps.clock.nowMillis
        let days = Double(now - since) / 86_400_000
        let reason = "Every delivery failed for \(Self.duration(now - since)) (since \(Timestamp.iso8601(since))); "
            + "the last: \(lastFailure). Rapport disabled the endpoint; enable it again once it answers."
        guard try await repos.webhooks.disable(workspaceId: endpoint.workspaceId, id: endpoint.id, reason: reason, at: now) else {
            return // another worker disabled it first, and told the owner
        }
        try await AuditLog(deps).record(in: repos, workspaceId: endpoint.workspaceId, actor: .system, action: .webhookDisabled,
                                        targetType: "webhook", targetId: endpoint.id,
                                        details: ["url": endpoint.url, "failing_days": String(format: "%.1f", days)])
        try await notify(in: repos, endpoint: endpoint, reason: reason)
    }

    /// Emails the user who made the endpoint, if still an admin or owner of the workspace, else every owner. Without
    /// an SMTP server the audit log and the endpoint's page are the only trace.
    private func notify(in repos: any Repositories, endpoint: WebhookEndpoint, reason: String) async throws {
        guard let outbox, try await outbox.canSend(in: repos, workspaceId: endpoint.workspaceId) else { return }
        var recipients: [String] = []
        if let userId = endpoint.createdBy,
           let member = try await repos.memberships.member(workspaceId: endpoint.workspaceId, userId: userId),
           member.role.satisfies(Permission.manageWorkspace.leastRole) {
            recipients = [member.user.email]
        } else {
            let members = try await repos.memberships.members(workspaceId: endpoint.workspaceId,
                                                              page: PageRequest(limit: PageRequest.maxLimit))
            recipients = members.items.filter { $0.role == .owner }.map(\.user.email)
        }
        let page = outbox.settings.publicURL + "/settings/webhooks/" + endpoint.id
        for address in recipients {
            _ = try await outbox.queue(in: repos, EmailOutbox.Request(
                workspaceId: endpoint.workspaceId, customerId: nil, to: address, purpose: nil,
                content: Self.notice, data: ["url": .string(endpoint.url), "reason": .string(reason), "page": .string(page)],
                source: "webhook_disabled"))
        }
    }

    /// The notice's template (Mustache; `data.url`, `data.reason`, `data.page`; `workspace.name`).
    static let notice = EmailContent(
        subject: "Rapport disabled a webhook endpoint of {{workspace.name}}",
        text: """
            Rapport stopped sending events to {{data.url}}, a webhook endpoint of {{workspace.name}}.

            {{data.reason}}

            Its deliveries are kept in its log. When the receiver answers again, enable the endpoint on its page and
            replay the deliveries it missed:
            {{data.page}}
            """,
        html: """
            <p>Rapport stopped sending events to <strong>{{data.url}}</strong>, a webhook endpoint of {{workspace.name}}.</p>
            <p>{{data.reason}}</p>
            <p>Its deliveries are kept in its log. When the receiver answers again, enable the endpoint on
            <a href="{{data.page}}">its page</a> and replay the deliveries it missed.</p>
            """)

    /// "5 days", "3 hours", "12 minutes": how long, in words.
    static func duration(_ millis: Int64) -> String {
        let minutes = millis / 60_000
        if minutes >= 2 * 24 * 60 { return "\(minutes / (24 * 60)) days" }
        if minutes >= 2 * 60 { return "\(minutes / 60) hours" }
        return minutes == 1 ? "1 minute" : "\(minutes) minutes"
    }

    private func appendTimeline(in repos: any Repositories, endpoint: WebhookEndpoint, delivery: WebhookDelivery) async throws {
        guard delivery.eventType == .automationRuleFired, let customerId = delivery.customerId else { return }
        let data = JSONValue.parse(delivery.payload)?["data"]
        var properties: [String: JSONValue] = [
            "delivery_id": .string(delivery.id), "endpoint_id": .string(endpoint.id), "url": .string(endpoint.url),
            "status": .string(delivery.status.rawValue), "response_status": JSONValue(delivery.responseStatus),
            "attempts": JSONValue(delivery.attempts),
        ]
        if let rule = data?["rule_id"] { properties["rule_id"] = rule }
        if let name = data?["rule_name"] { properties["rule_name"] = name }
        let now = deps.clock.nowMillis
        try await repos.activities.insert([
            Activity(id: deps.ids.next(), workspaceId: delivery.workspaceId, customerId: customerId, kind: .webhook,
                     name: delivery.eventType.rawValue, occurredAt: delivery.lastAttemptAt ?? now, receivedAt: now,
                     properties: .object(properties)),
        ])
    }
}
