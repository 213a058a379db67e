import Foundation

/// Decides whether Rapport may send to a URL: refuses loopback, private, link-local and other non-public addresses
/// (SSRF), unless configuration allows them. Implemented in the runtime, which resolves names.
public protocol OutboundURLGuard: Sendable {
    /// Throws `422 url_not_allowed` (field `url`) for a URL whose host is, or resolves to, a refused address.
    func check(_ url: URL) async throws
}

/// Workspace admins' webhook endpoints and their delivery log; `events` emits to them.
public struct WebhookService: Sendable {
    let deps: CoreDependencies
    let guardURL: any OutboundURLGuard

    public init(_ deps: CoreDependencies, urlGuard: any OutboundURLGuard) {
        self.deps = deps
        self.guardURL = urlGuard
    }

    public static let maxURLLength = 2_000

    public func create(_ principal: Principal, url: String, description: String?, eventTypes: [String], ip: String?) async throws
        -> WebhookEndpoint {
        try principal.require(Permission.manageWorkspace.leastRole)
        let now = deps.clock.nowMillis
        let endpoint = WebhookEndpoint(
            id: deps.ids.next(), workspaceId: principal.workspaceId, url: try await checkedURL(url),
            description: try Self.description(description), eventTypes: try Self.types(eventTypes), enabled: true,
            secret: Self.newSecret(), createdBy: principal.user?.id, createdAt: now, updatedAt: now)
        let audit = AuditLog(deps)
        let actor = principal.actor
        try await deps.store.write { repos in
            try await repos.webhooks.insert(endpoint)
            try await audit.record(in: repos, workspaceId: endpoint.workspaceId, actor: actor, action: .webhookCreated,
                                   targetType: "webhook", targetId: endpoint.id, ip: ip, details: ["url": endpoint.url])
        }
        return endpoint
    }

    /// Changes the fields given (nil: unchanged). Enabling an endpoint Rapport disabled clears the reason.
    public func update(_ principal: Principal, id: String, url: String?, description: String??, eventTypes: [String]?,
                       enabled: Bool?, ip: String?) async throws -> WebhookEndpoint {
        var endpoint = try await get(principal, id: id)
        if let url { endpoint.url = try await checkedURL(url) }
        if let description { endpoint.description = try Self.description(description) }
        if let eventTypes { endpoint.eventTypes = try Self.types(eventTypes) }
        if let enabled {
            // Enabled again by an admin: its failures so far no longer count towards disabling it.
            if enabled, !endpoint.enabled || endpoint.disabledReason != nil {
                endpoint.disabledReason = nil
                endpoint.failingSince = nil
            }
            endpoint.enabled = enabled
        }
        endpoint.updatedAt = deps.clock.nowMillis
        let changed = endpoint
        let audit = AuditLog(deps)
        let actor = principal.actor
        try await deps.store.write { repos in
            try await repos.webhooks.update(changed)
            try await audit.record(in: repos, workspaceId: changed.workspaceId, actor: actor, action: .webhookUpdated,
                                   targetType: "webhook", targetId: changed.id, ip: ip,
                                   details: ["url": changed.url, "enabled": String(changed.enabled)])
        }
        return changed
    }

    public func delete(_ principal: Principal, id: String, ip: String?) async throws {
        let endpoint = try await get(principal, id: id)
        let audit = AuditLog(deps)
        let actor = principal.actor
        try await deps.store.write { repos in
            try await repos.webhooks.delete(workspaceId: endpoint.workspaceId, id: endpoint.id)
            try await audit.record(in: repos, workspaceId: endpoint.workspaceId, actor: actor, action: .webhookDeleted,
                                   targetType: "webhook", targetId: endpoint.id, ip: ip, details: ["url": endpoint.url])
        }
    }

    /// How long a rotated-out secret keeps signing beside the new one by default (a day, as Stripe and Svix do) and at
    /// most (a week).
    public static let defaultOverlapSeconds = 86_400, maxOverlapSeconds = 7 * 86_400

    /// Gives the endpoint a new secret. The current one keeps signing deliveries beside it for `overlapSeconds`
    /// (0: it stops at once), so the receiver can move to the new secret without refusing events meanwhile. An
    /// endpoint whose secret cannot be read (sealed under another `SECRET_KEY`) gets a new one with no overlap: that
    /// is how it is recovered without being added again.
    public func rotateSecret(_ principal: Principal, id: String, overlapSeconds: Int?, ip: String?) async throws -> WebhookEndpoint {
        let overlap = overlapSeconds ?? Self.defaultOverlapSeconds
        guard (0...Self.maxOverlapSeconds).contains(overlap) else {
            throw RapportError.invalid("overlap_seconds",
                                       "overlap_seconds must be a whole number of seconds from 0 to \(Self.maxOverlapSeconds) (a week).")
        }
        var endpoint = try await get(principal, id: id)
        let now = deps.clock.nowMillis
        let previous = overlap > 0 ? endpoint.secret : nil
        endpoint.previousSecret = previous
        endpoint.previousSecretExpiresAt = previous == nil ? nil : now + Int64(overlap) * 1_000
        endpoint.secret = Self.newSecret()
        endpoint.updatedAt = now
        let rotated = endpoint
        let audit = AuditLog(deps)
        let actor = principal.actor
        try await deps.store.write { repos in
            guard try await repos.webhooks.find(workspaceId: rotated.workspaceId, id: rotated.id) != nil else {
                throw RapportError.notFound("webhook")
            }
            try await repos.webhooks.rotateSecret(workspaceId: rotated.workspaceId, id: rotated.id, secret: try rotated.signingSecret(),
                                                  previous: rotated.previousSecret, previousExpiresAt: rotated.previousSecretExpiresAt,
                                                  at: now)
            try await audit.record(in: repos, workspaceId: rotated.workspaceId, actor: actor, action: .webhookSecretRotated,
                                   targetType: "webhook", targetId: rotated.id, ip: ip,
                                   details: ["url": rotated.url, "overlap_seconds": String(previous == nil ? 0 : overlap)])
        }
        return rotated
    }

    public func get(_ principal: Principal, id: String) async throws -> WebhookEndpoint {
        try principal.require(Permission.manageWorkspace.leastRole)
        let workspaceId = principal.workspaceId
        guard let endpoint = try await deps.store.read({ try await $0.webhooks.find(workspaceId: workspaceId, id: id) }) else {
            throw RapportError.notFound("webhook")
        }
        return endpoint
    }

    public func list(_ principal: Principal, page: PageRequest) async throws -> Page<WebhookEndpoint> {
        try principal.require(Permission.manageWorkspace.leastRole)
        let workspaceId = principal.workspaceId
        return try await deps.store.read { try await $0.webhooks.list(workspaceId: workspaceId, page: page) }
    }

    public func deliveries(_ principal: Principal, endpointId: String, page: PageRequest) async throws -> Page<WebhookDelivery> {
        let endpoint = try await get(principal, id: endpointId)
        return try await deps.store.read {
            try await $0.webhooks.deliveries(workspaceId: endpoint.workspaceId, endpointId: endpoint.id, page: page)
        }
    }

    /// Queues a `webhook.test` event to the endpoint, even a disabled one (to check it before enabling it).
    public func sendTest(_ principal: Principal, id: String) async throws -> WebhookDelivery {
        let endpoint = try await get(principal, id: id)
        let events = WebhookEvents(deps)
        return try await deps.store.write { repos in
            try await events.deliver(in: repos, to: endpoint, type: .ping,
                                     data: ["message": "A test event from Rapport.", "endpoint_id": .string(endpoint.id)])
        }
    }

    /// Sends a delivery again, as a new delivery with the same `webhook-id` and body, so a receiver that already
    /// processed it can tell.
    public func replay(_ principal: Principal, endpointId: String, deliveryId: String) async throws -> WebhookDelivery {
        let endpoint = try await get(principal, id: endpointId)
        let events = WebhookEvents(deps)
        return try await deps.store.write { repos in
            guard let original = try await repos.webhooks.delivery(workspaceId: endpoint.workspaceId, id: deliveryId),
                  original.endpointId == endpoint.id else { throw RapportError.notFound("delivery") }
            return try await events.enqueue(in: repos, to: endpoint, type: original.eventType, messageId: original.messageId,
                                            customerId: original.customerId, payload: original.payload)
        }
    }

    // MARK: Validation

    func checkedURL(_ raw: String) async throws -> String {
        let text = raw.trimmed
        guard !text.isEmpty, text.count <= Self.maxURLLength else {
            throw RapportError.invalid("url", "url must be 1–\(Self.maxURLLength) characters.")
        }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = url.host, !host.isEmpty else {
            throw RapportError.invalid("url", "url must be an absolute http or https URL.")
        }
        guard url.user == nil, url.password == nil else {
            throw RapportError.invalid("url", "url must not carry a user name or password; put a token in its path or query.")
        }
        guard url.fragment == nil else { throw RapportError.invalid("url", "url must not have a #fragment.") }
        try await guardURL.check(url)
        return text
    }

    static func description(_ raw: String?) throws(RapportError) -> String? {
        guard let text = raw?.trimmed, !text.isEmpty else { return nil }
        guard text.count <= 200 else { throw RapportError.invalid("description", "description must be at most 200 characters.") }
        return text
    }

    static func types(_ raw: [String]) throws(RapportError) -> [WebhookEventType] {
        let subscribable = WebhookEventType.subscribable
        guard !raw.isEmpty else {
            throw RapportError.invalid("event_types", "Name at least one event type: \(subscribable.map(\.rawValue).joined(separator: ", ")).")
        }
        var types: [WebhookEventType] = []
        for (index, name) in raw.enumerated() {
            guard let type = WebhookEventType(rawValue: name), subscribable.contains(type) else {
                throw RapportError.invalid("event_types[\(index)]",
                                           "Unknown event type \(name); known: \(subscribable.map(\.rawValue).joined(separator: ", ")).")
            }
            if !types.contains(type) { types.append(type) }
        }
        return types
    }

    /// `whsec_` and the base64 of 24 random bytes, the Standard Webhooks secret format.
    static func newSecret() -> String { "whsec_" + Data(SecretToken.randomBytes(24)).base64EncodedString() }
}
