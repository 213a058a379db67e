/// What happened to one message of a batch.
public struct IngestOutcome: Sendable, Equatable {
    public enum Status: String, Sendable { case stored, duplicate, rejected }
    public var index: Int
    public var messageId: String?
    public var status: Status
    public var customerId: String?
    public var error: RapportError?

    public init(index: Int, messageId: String?, status: Status, customerId: String? = nil, error: RapportError? = nil) {
        self.index = index
        self.messageId = messageId
        self.status = status
        self.customerId = customerId
        self.error = error
    }
}

/// Turns tracked messages into profiles and timeline entries: identity resolution (merging profiles that share an
/// identifier), traits with history, consent from traits, orders, accounts. Batches of one workspace that arrive
/// while a write is running are committed together (see `IngestGroupCommit`).
public struct IngestService: Sendable {
    let deps: CoreDependencies
    private let groupCommit: IngestGroupCommit

    public init(_ deps: CoreDependencies) {
        self.deps = deps
        self.groupCommit = IngestGroupCommit { workspaceId, messages in
            // The group's message ids are looked up first (one indexed read, inside the transaction and after the
            // workspace's identity lock, so nothing can store one of them meanwhile): a duplicate is known before
            // any of its effects are written, and never costs the group a rollback and a second write. Client
            // retries after a timeout make duplicates common, so a retry storm must not multiply the writer's work.
            do {
                return try await Self.write(deps, workspaceId, messages)
            } catch let error as RapportError where error.kind == .conflict {
                // Only a writer that does not take the identity lock could have stored one of them meanwhile.
                return try await Self.write(deps, workspaceId, messages)
            }
        }
    }

    static func write(_ deps: CoreDependencies, _ workspaceId: String, _ messages: [(index: Int, message: TrackingMessage)])
        async throws -> [IngestOutcome] {
        try await deps.store.write { repos in
            var batch = ProfileWriter(workspaceId: workspaceId, repos: repos, deps: deps)
            return try await batch.run(messages)
        }
    }

    /// Stores `messages` (already validated); committed before it returns.
    public func ingest(workspaceId: String, messages: [(index: Int, message: TrackingMessage)]) async throws -> [IngestOutcome] {
        guard !messages.isEmpty else { return [] }
        return try await groupCommit.submit(workspaceId: workspaceId, messages: messages)
    }
}

/// The tracking path: Segment messages resolved and recorded through the profile writer, in one batch.
extension ProfileWriter {
    /// Resolves and records `messages`; those whose message id is stored already (or repeated in `messages`) are
    /// reported as duplicates and change nothing.
    mutating func run(_ messages: [(index: Int, message: TrackingMessage)]) async throws -> [IngestOutcome] {
        try await repos.customers.lockIdentities(workspaceId: workspaceId)
        let existing = try await repos.activities.existingMessageIds(
            workspaceId: workspaceId, messages.map(\.message.messageId).filter { !$0.isEmpty })
        var seenInBatch: Set<String> = []
        // Each message's identifiers, worked out once (normalising them is not free).
        let named = messages.map { $0.message.identifiers }
        let finding = messages.indices.map { resolutionIdentifiers(messages[$0].message, named[$0]) }
        try await lookUp(Array(Set(finding.joined())))
        try await prefetchUserIds(of: finding)
        var outcomes: [IngestOutcome] = []
        for (offset, (index, message)) in messages.enumerated() {
            if existing.contains(message.messageId) || !seenInBatch.insert(message.messageId).inserted {
                outcomes.append(IngestOutcome(index: index, messageId: message.messageId, status: .duplicate))
                continue
            }
            do {
                let customerId = try await handle(message, identifiers: named[offset])
                outcomes.append(IngestOutcome(index: index, messageId: message.messageId, status: .stored, customerId: customerId))
            } catch let error as RapportError {
                outcomes.append(IngestOutcome(index: index, messageId: message.messageId, status: .rejected, error: error))
            }
        }
        try await flush()
        return outcomes
    }

    mutating func handle(_ message: TrackingMessage, identifiers: [Identifier]? = nil) async throws -> String {
        // Read what can fail before touching profiles, so a rejected message changes nothing.
        let parts = try Self.parts(of: message)
        let customerId = try await resolve(message, named: identifiers)
        try await record(message, parts, for: customerId)
        return customerId
    }

    /// The order and consent decisions a message carries, read (and validated) once.
    struct MessageParts {
        var order: ParsedOrder?
        var consent: [(String, String, ConsentRecord.Status)]
    }

    static func parts(of message: TrackingMessage) throws(RapportError) -> MessageParts {
        MessageParts(
            order: message.type == .track && message.name == "Order Completed"
                ? try Order.fromSegment(properties: message.properties) : nil,
            consent: try ConsentTraits.parse(message.traits["consent"]))
    }

    /// Applies a message to a resolved profile: traits, consent, order, account, and its timeline entry.
    mutating func record(_ message: TrackingMessage, _ parts: MessageParts, for customerId: String) async throws {
        var userTraits = message.type == .group ? [:] : message.traits
        userTraits["consent"] = nil
        try await applyTraits(userTraits, to: customerId, at: message.timestamp, source: message.type.rawValue)
        for (purpose, channel, status) in parts.consent {
            try await recordConsent(customerId: customerId, purpose: purpose, channel: channel, status: status,
                                    source: "identify", at: message.timestamp)
        }
        var kind = ActivityKind(rawValue: message.type.rawValue) ?? .track
        var name = message.name
        // What the entry records instead of the message's own properties (an order, a group, an alias).
        var recorded: JSONValue?
        if let order = parts.order {
            if let stored = try await recordOrder(order, for: customerId, at: message.timestamp, source: "track") {
                kind = .order
                name = order.orderId
                recorded = stored.timelineProperties
            }
        } else if message.type == .track, message.name == "Order Refunded",
                  let orderId = message.properties["order_id"]?.stringValue,
                  let stored = try await repos.orders.find(workspaceId: workspaceId, orderId: orderId) {
            try await repos.orders.markRefunded(workspaceId: workspaceId, id: stored.id, at: message.timestamp)
            events.append(PendingEvent(type: .orderRefunded, customerId: stored.customerId ?? customerId, data: [
                "order_id": .string(orderId), "currency": .string(stored.currency),
                "total": Money.json(minorUnits: stored.totalMinorUnits, currency: stored.currency),
                "refunded_at": .string(Timestamp.iso8601(message.timestamp)),
            ]))
            kind = .orderRefunded
            name = orderId
        } else if message.type == .group, let groupId = message.groupId {
            let account = try await upsertAccount(groupId: groupId, traits: message.traits, customerId: customerId)
            name = account.name ?? groupId
            recorded = ["group_id": .string(groupId), "traits": .object(message.traits)]
        } else if message.type == .alias {
            name = message.previousId
            recorded = ["previous_id": JSONValue(message.previousId), "user_id": JSONValue(message.userId)]
        }
        var activity = Activity(
            id: deps.ids.next(), workspaceId: workspaceId, customerId: customerId, kind: kind, name: name,
            occurredAt: message.timestamp, receivedAt: message.receivedAt,
            messageId: message.messageId.isEmpty ? nil : message.messageId,
            properties: recorded ?? .object(message.timelineProperties), context: message.context)
        // The message's own properties and context were encoded in the request handler.
        if recorded == nil { activity.encoded = message.timelineJSON }
        append(activity)
    }

    /// The identifiers that find a message's profile: its own, plus `previousId` (alias) as either kind of id.
    func resolutionIdentifiers(_ message: TrackingMessage, _ named: [Identifier]) -> [Identifier] {
        var identifiers = named
        if let previousId = message.previousId {
            identifiers.append(Identifier(.userId, previousId))
            identifiers.append(Identifier(.anonymousId, previousId))
        }
        return identifiers
    }

    /// The profile a message belongs to: found by its identifiers, created, or the survivor of a merge.
    mutating func resolve(_ message: TrackingMessage, named given: [Identifier]? = nil) async throws -> String {
        let named = given ?? message.identifiers
        return try await resolve(named: named, finding: resolutionIdentifiers(message, named), alias: message.type == .alias,
                                 userId: message.userId, at: message.timestamp)
    }
}
