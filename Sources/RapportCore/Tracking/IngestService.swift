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
            var batch = IdentityBatch(workspaceId: workspaceId, repos: repos, deps: deps)
            return try await batch.run(messages)
        }
    }

    /// Stores `messages` (already validated); committed before it returns.
    public func ingest(workspaceId: String, messages: [(index: Int, message: TrackingMessage)]) async throws -> [IngestOutcome] {
        guard !messages.isEmpty else { return [] }
        return try await groupCommit.submit(workspaceId: workspaceId, messages: messages)
    }
}

/// The state of one batch inside its transaction: identifiers and profiles seen so far, and what to write at the end.
struct IdentityBatch {
    let workspaceId: String
    let repos: any Repositories
    let deps: CoreDependencies
    var owners: [Identifier: String] = [:]
    var customers: [String: Customer] = [:]
    /// Profiles as they were read, to write only what changed.
    var loaded: [String: Customer] = [:]
    var redirects: [String: String] = [:]
    var dirty: Set<String> = []
    var searchDirty: Set<String> = []
    var activities: [Activity] = []
    var traitChanges: [String: [TraitChange]] = [:]
    /// Identifiers first seen in this batch, written at flush (to the survivor, should their profile be merged).
    var newIdentifiers: [(customerId: String, identifier: Identifier)] = []
    /// Where orders recorded by this batch come from (`track`, `api`, `import`).
    var orderSource = "track"

    init(workspaceId: String, repos: any Repositories, deps: CoreDependencies) {
        self.workspaceId = workspaceId
        self.repos = repos
        self.deps = deps
    }

    /// Resolves and records `messages`; those whose message id is stored already (or repeated in `messages`) are
    /// reported as duplicates and change nothing.
    mutating func run(_ messages: [(index: Int, message: TrackingMessage)]) async throws -> [IngestOutcome] {
        try await repos.customers.lockIdentities(workspaceId: workspaceId)
        let existing = try await repos.activities.existingMessageIds(
            workspaceId: workspaceId, messages.map(\.message.messageId).filter { !$0.isEmpty })
        var seenInBatch: Set<String> = []
        // Each message's identifiers, worked out once (normalising them is not free).
        let named = messages.map { $0.message.identifiers }
        var allIdentifiers = Set<Identifier>()
        for (offset, (_, message)) in messages.enumerated() { allIdentifiers.formUnion(resolutionIdentifiers(message, named[offset])) }
        try await lookUp(Array(allIdentifiers))
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

    // MARK: Resolution

    /// The identifiers that find a message's profile: its own, plus `previousId` (alias) as either kind of id.
    func resolutionIdentifiers(_ message: TrackingMessage, _ named: [Identifier]) -> [Identifier] {
        var identifiers = named
        if let previousId = message.previousId {
            identifiers.append(Identifier(.userId, previousId))
            identifiers.append(Identifier(.anonymousId, previousId))
        }
        return identifiers
    }

    /// Finds who holds `identifiers` and loads those profiles, in one query.
    mutating func lookUp(_ identifiers: [Identifier]) async throws {
        let found = try await repos.customers.ownersWithProfiles(workspaceId: workspaceId, of: identifiers)
        owners = found.owners
        for profile in found.profiles { remember(profile) }
    }

    mutating func remember(_ customer: Customer) {
        customers[customer.id] = customer
        loaded[customer.id] = customer
    }

    func root(_ id: String) -> String {
        var current = id
        while let next = redirects[current] { current = next }
        return current
    }

    mutating func customer(_ id: String) async throws -> Customer {
        if let cached = customers[id] { return cached }
        guard let found = try await repos.customers.find(workspaceId: workspaceId, id: id) else {
            throw RapportError(.internalError, code: "internal_error", message: "identifier points to a missing profile \(id)")
        }
        remember(found)
        return found
    }

    /// The profile a message belongs to: found by its identifiers, created, or the survivor of a merge.
    mutating func resolve(_ message: TrackingMessage, named given: [Identifier]? = nil) async throws -> String {
        let named = given ?? message.identifiers
        let identifiers = resolutionIdentifiers(message, named)
        let candidates = Array(Set(identifiers.compactMap { owners[$0].map(root) })).sorted()
        var customerId: String
        if candidates.isEmpty {
            let now = deps.clock.nowMillis
            let created = Customer(id: deps.ids.next(), workspaceId: workspaceId, createdAt: now, updatedAt: now,
                                   firstSeenAt: message.timestamp, lastSeenAt: message.timestamp)
            // Written with the batch's other profiles at flush (one upsert).
            customers[created.id] = created
            dirty.insert(created.id)
            customerId = created.id
        } else if candidates.count == 1 {
            customerId = candidates[0]
        } else {
            let shared = identifiers.filter { owners[$0] != nil }.map(\.description).sorted()
            if message.type == .alias {
                customerId = try await merge(candidates, reason: "alias", identifiers: shared)
            } else if let owner = try await conflictingOwner(candidates, message: message) {
                // Two profiles of different known users share an anonymous id (a shared device): do not merge them.
                customerId = owner
            } else {
                customerId = try await merge(candidates, reason: "shared identifier", identifiers: shared)
            }
        }
        var added: [Identifier] = []
        for identifier in named where owners[identifier] == nil {
            owners[identifier] = customerId
            added.append(identifier)
        }
        if !added.isEmpty {
            newIdentifiers += added.map { (customerId, $0) }
            searchDirty.insert(customerId)
        }
        return customerId
    }

    /// When the candidates carry different user ids, the one of the message's user (else nil: merge).
    mutating func conflictingOwner(_ candidates: [String], message: TrackingMessage) async throws -> String? {
        var userIds: [String: Set<String>] = [:]
        for id in candidates {
            let known = owners.filter { root($0.value) == id && $0.key.kind == .userId }.map(\.key.value)
            let stored = try await repos.customers.identifiers(workspaceId: workspaceId, customerId: id)
                .filter { $0.kind == .userId }.map(\.value)
            userIds[id] = Set(known + stored)
        }
        let distinct = Set(userIds.values.flatMap { $0 })
        guard distinct.count > 1 else { return nil }
        if let userId = message.userId, let owner = owners[Identifier(.userId, userId)] { return root(owner) }
        return candidates.min()
    }

    /// Folds `ids` into the oldest profile; returns the survivor's id.
    mutating func merge(_ ids: [String], reason: String, identifiers: [String]) async throws -> String {
        var profiles: [Customer] = []
        for id in ids { profiles.append(try await customer(id)) }
        profiles.sort { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        var survivor = profiles[0]
        let now = deps.clock.nowMillis
        for var other in profiles.dropFirst() {
            for (key, value) in other.traits where (other.traitTimes[key] ?? 0) > (survivor.traitTimes[key] ?? Int64.min) {
                survivor.traits[key] = value
                survivor.traitTimes[key] = other.traitTimes[key]
            }
            survivor.seen(at: other.firstSeenAt)
            survivor.seen(at: other.lastSeenAt)
            for i in activities.indices where activities[i].customerId == other.id { activities[i].customerId = survivor.id }
            if let pending = traitChanges.removeValue(forKey: other.id) { traitChanges[survivor.id, default: []] += pending }
            try await repos.customers.reassign(workspaceId: workspaceId, from: other.id, to: survivor.id)
            other.mergedInto = survivor.id
            other.updatedAt = now
            customers[other.id] = other
            dirty.insert(other.id)
            redirects[other.id] = survivor.id
            let record = CustomerMerge(id: deps.ids.next(), workspaceId: workspaceId, survivorId: survivor.id,
                                       mergedId: other.id, reason: reason, identifiers: identifiers, mergedAt: now)
            try await repos.customers.recordMerge(record)
            activities.append(Activity(
                id: deps.ids.next(), workspaceId: workspaceId, customerId: survivor.id, kind: .merge, name: reason,
                occurredAt: now, receivedAt: now,
                properties: ["merged_id": .string(other.id), "reason": .string(reason),
                             "identifiers": .array(identifiers.map(JSONValue.string))]))
        }
        survivor.updatedAt = now
        customers[survivor.id] = survivor
        dirty.insert(survivor.id)
        searchDirty.insert(survivor.id)
        return survivor.id
    }

    // MARK: Messages

    mutating func handle(_ message: TrackingMessage, identifiers: [Identifier]? = nil) async throws -> String {
        // Read what can fail before touching profiles, so a rejected message changes nothing.
        let parts = try Self.parts(of: message)
        let customerId = try await resolve(message, named: identifiers)
        try await record(message, parts, for: customerId)
        return customerId
    }

    /// The order and consent decisions a message carries, read (and validated) once.
    struct MessageParts {
        var order: (orderId: String, currency: String, totalMinorUnits: Int64, lines: [OrderLine])?
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
        let order = parts.order
        let consent = parts.consent
        var profile = try await customer(customerId)
        profile.seen(at: message.timestamp)
        var userTraits = message.type == .group ? [:] : message.traits
        userTraits["consent"] = nil
        let changed = profile.apply(traits: userTraits, at: message.timestamp)
        if !changed.isEmpty {
            profile.updatedAt = deps.clock.nowMillis
            traitChanges[customerId, default: []] += changed.sorted { $0.key < $1.key }.map {
                TraitChange(trait: $0.key, value: $0.value, source: message.type.rawValue, recordedAt: message.timestamp)
            }
            searchDirty.insert(customerId)
        }
        customers[customerId] = profile
        dirty.insert(customerId)
        for (purpose, channel, status) in consent {
            try await recordConsent(customerId: customerId, purpose: purpose, channel: channel, status: status,
                                    source: "identify", at: message.timestamp)
        }
        var kind = ActivityKind(rawValue: message.type.rawValue) ?? .track
        var name = message.name
        var properties = JSONValue.object(message.type == .identify || message.type == .group ? message.traits : message.properties)
        if let order {
            if try await repos.orders.find(workspaceId: workspaceId, orderId: order.orderId) == nil {
                let stored = Order(id: deps.ids.next(), workspaceId: workspaceId, orderId: order.orderId, customerId: customerId,
                                   currency: order.currency, totalMinorUnits: order.totalMinorUnits, occurredAt: message.timestamp,
                                   source: orderSource, lines: order.lines)
                try await repos.orders.insert(stored)
                kind = .order
                name = order.orderId
                properties = stored.timelineProperties
            }
        } else if message.type == .track, message.name == "Order Refunded",
                  let orderId = message.properties["order_id"]?.stringValue,
                  let stored = try await repos.orders.find(workspaceId: workspaceId, orderId: orderId) {
            try await repos.orders.markRefunded(workspaceId: workspaceId, id: stored.id, at: message.timestamp)
            kind = .orderRefunded
            name = orderId
        } else if message.type == .group, let groupId = message.groupId {
            let account = try await upsertAccount(groupId: groupId, traits: message.traits, customerId: customerId)
            name = account.name ?? groupId
            properties = ["group_id": .string(groupId), "traits": .object(message.traits)]
        } else if message.type == .alias {
            name = message.previousId
            properties = ["previous_id": JSONValue(message.previousId), "user_id": JSONValue(message.userId)]
        }
        activities.append(Activity(
            id: deps.ids.next(), workspaceId: workspaceId, customerId: customerId, kind: kind, name: name,
            occurredAt: message.timestamp, receivedAt: message.receivedAt,
            messageId: message.messageId.isEmpty ? nil : message.messageId,
            properties: properties, context: message.context))
    }

    mutating func recordConsent(customerId: String, purpose: String, channel: String, status: ConsentRecord.Status,
                                source: String, at: Int64) async throws {
        let record = ConsentRecord(id: deps.ids.next(), workspaceId: workspaceId, customerId: customerId, purpose: purpose,
                                   channel: channel, status: status, source: source, recordedAt: at)
        try await repos.consents.append(record)
        activities.append(Activity(id: deps.ids.next(), workspaceId: workspaceId, customerId: customerId, kind: .consent,
                                   name: purpose, occurredAt: at, receivedAt: deps.clock.nowMillis,
                                   properties: record.timelineProperties))
    }

    mutating func upsertAccount(groupId: String, traits: [String: JSONValue], customerId: String) async throws -> Account {
        let now = deps.clock.nowMillis
        var account = try await repos.accounts.find(workspaceId: workspaceId, groupId: groupId)
            ?? Account(id: deps.ids.next(), workspaceId: workspaceId, groupId: groupId, traits: [:], createdAt: now, updatedAt: now)
        account.traits.merge(traits) { $1 }
        account.updatedAt = now
        try await repos.accounts.upsert(account)
        try await repos.accounts.addMember(workspaceId: workspaceId, accountId: account.id, customerId: customerId, at: now)
        return account
    }

    mutating func flush() async throws {
        // Profiles that only moved their first/last-seen times (most events of known people) get a narrow update.
        var changed: [Customer] = []
        var seen: [(id: String, first: Int64, last: Int64)] = []
        for id in dirty.sorted() {
            guard let profile = customers[id] else { continue }
            guard let before = loaded[id] else { changed.append(profile); continue }
            var unchanged = profile
            unchanged.firstSeenAt = before.firstSeenAt
            unchanged.lastSeenAt = before.lastSeenAt
            if unchanged != before {
                changed.append(profile)
            } else if profile.firstSeenAt != before.firstSeenAt || profile.lastSeenAt != before.lastSeenAt {
                seen.append((id, profile.firstSeenAt, profile.lastSeenAt))
            }
        }
        try await repos.customers.upsert(changed)
        try await repos.customers.updateSeen(workspaceId: workspaceId, seen)
        try await repos.customers.addIdentifiers(workspaceId: workspaceId,
                                                 newIdentifiers.map { (root($0.customerId), $0.identifier) },
                                                 at: deps.clock.nowMillis)
        for (customerId, changes) in traitChanges where !changes.isEmpty {
            try await repos.customers.appendTraitHistory(workspaceId: workspaceId, customerId: root(customerId), changes)
        }
        try await repos.activities.insert(activities)
        let live = Set(searchDirty.map(root)).filter { customers[$0]?.mergedInto == nil }
        // A profile created by this batch has all its identifiers here: its search entry is written from memory.
        // Profiles read from the database may hold identifiers this batch never saw: their entry is rebuilt there.
        let created = live.filter { loaded[$0] == nil }.sorted()
        var identifierValues: [String: [String]] = [:]
        if !created.isEmpty {
            for (identifier, owner) in owners {
                let survivor = root(owner)
                if loaded[survivor] == nil { identifierValues[survivor, default: []].append(identifier.value) }
            }
        }
        try await repos.customers.writeSearch(workspaceId: workspaceId, created.compactMap { id in
            customers[id].map { (id, [$0.name, $0.email, $0.phone] + (identifierValues[id] ?? []).sorted().map(Optional.some)) }
        })
        try await repos.customers.refreshSearch(workspaceId: workspaceId, customerIds: live.filter { loaded[$0] != nil }.sorted())
    }
}

/// The `consent` trait convention of `identify`:
/// `{"consent": {"marketing_email": true, "sms": {"sms": false}, "surveys": "withdrawn"}}`.
/// A boolean or `"granted"`/`"withdrawn"` applies to every channel (`any`); an object gives it per channel.
public enum ConsentTraits {
    public static func parse(_ value: JSONValue?) throws(RapportError) -> [(String, String, ConsentRecord.Status)] {
        guard let value, !value.isNull else { return [] }
        guard let purposes = value.objectValue else {
            throw RapportError.invalid("traits.consent", "traits.consent must be an object of purpose → true/false.")
        }
        var result: [(String, String, ConsentRecord.Status)] = []
        for (rawPurpose, setting) in purposes.sorted(by: { $0.key < $1.key }) {
            let purpose = try ContactPolicy.validName(rawPurpose, field: "traits.consent")
            if let channels = setting.objectValue {
                for (rawChannel, channelSetting) in channels.sorted(by: { $0.key < $1.key }) {
                    let channel = try ContactPolicy.validName(rawChannel, field: "traits.consent.\(purpose)")
                    result.append((purpose, channel, try status(channelSetting, field: "traits.consent.\(purpose).\(channel)")))
                }
            } else {
                result.append((purpose, "any", try status(setting, field: "traits.consent.\(purpose)")))
            }
        }
        return result
    }

    static func status(_ value: JSONValue, field: String) throws(RapportError) -> ConsentRecord.Status {
        switch value {
        case .bool(let granted): return granted ? .granted : .withdrawn
        case .string(let text):
            if let status = ConsentRecord.Status(rawValue: text.lowercased()) { return status }
        default: break
        }
        throw RapportError.invalid(field, "\(field) must be true, false, \"granted\" or \"withdrawn\".")
    }
}

extension Order {
    /// How an order appears on the timeline: with its lines, amounts as decimal numbers with the currency's decimals.
    public var timelineProperties: JSONValue {
        [
            "order_id": .string(orderId), "total": Money.json(minorUnits: totalMinorUnits, currency: currency),
            "currency": .string(currency),
            "status": .string(status.rawValue),
            "products": .array(lines.map { line in
                [
                    "product_id": JSONValue(line.productId), "sku": JSONValue(line.sku), "name": JSONValue(line.name),
                    "category": JSONValue(line.category), "price": Money.json(minorUnits: line.priceMinorUnits, currency: currency),
                    "quantity": JSONValue(line.quantity),
                ]
            }),
        ]
    }
}

extension ConsentRecord {
    public var timelineProperties: JSONValue {
        ["purpose": .string(purpose), "channel": .string(channel), "status": .string(status.rawValue), "source": .string(source)]
    }
}
