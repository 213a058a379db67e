/// An order as its writers read it (`Order.fromSegment`), before it is stored for a profile.
typealias ParsedOrder = (orderId: String, currency: String, totalMinorUnits: Int64, lines: [OrderLine])

/// The profile writes of one transaction: identifiers and profiles seen so far, and what to write at the end.
/// Every writer of profiles calls it with its own shapes, naming where the data came from: tracking
/// (`IngestService`), REST orders, imports, manual merges and consent. In a transaction that holds the workspace's
/// identity lock (`lockIdentities`): `lookUp` the identifiers once, `resolveOrCreate` each person, apply traits,
/// orders, consent and timeline entries, then `flush` once.
struct ProfileWriter {
    let workspaceId: String
    let repos: any Repositories
    let deps: CoreDependencies
    var owners: [Identifier: String] = [:]
    /// The user ids of `owners` by the profile holding them now (a merge moves them to its survivor), so that a
    /// merge's check for different known users reads its candidates' only, not every identifier of the transaction.
    var userIdsByProfile: [String: Set<String>] = [:]
    var customers: [String: Customer] = [:]
    /// Profiles as they were read, to write only what changed.
    var loaded: [String: Customer] = [:]
    var redirects: [String: String] = [:]
    var dirty: Set<String> = []
    var searchDirty: Set<String> = []
    var activities: [Activity] = []
    var traitChanges: [String: [TraitChange]] = [:]
    /// Merges of this transaction and the profiles they folded away, recorded (and their search entries removed) at
    /// flush, a fixed number of statements for any number of merges.
    var merges: [CustomerMerge] = []
    /// The rows of profiles merged by this transaction move to their survivors at flush, together (a probe and a
    /// statement a table for all of them, instead of for each merge). Until then they stay under the merged ids:
    /// `absorbed` names those of each survivor; a read of a profile's stored rows meanwhile goes through
    /// `storedIds(of:)` (`conflictingOwner`, the survey-response import's duplicate check).
    var absorbed: [String: [String]] = [:]
    /// The user ids stored under a profile id as the transaction found them (`prefetchUserIds`, `conflictingOwner`);
    /// valid until flush, which moves and adds identifier rows.
    var storedUserIds: [String: Set<String>] = [:]
    /// Identifiers first seen in this batch, written at flush (to the survivor, should their profile be merged).
    var newIdentifiers: [(customerId: String, identifier: Identifier)] = []
    /// Webhook events of this transaction, emitted at `flush` (with the survivor's id, should a profile be merged).
    var events: [PendingEvent] = []
    /// What may start automation rules (orders and consent; tracked events are read from `activities`), queued at
    /// `flush` with the survivor's id.
    var occurrences: [TriggerOccurrence] = []

    struct PendingEvent {
        let type: WebhookEventType
        let customerId: String
        let data: [String: JSONValue]
    }

    init(workspaceId: String, repos: any Repositories, deps: CoreDependencies) {
        self.workspaceId = workspaceId
        self.repos = repos
        self.deps = deps
    }

    /// Marks the profile seen `at` and gives it the `traits` newer than what it holds; what changed goes to its trait
    /// history with `source` (a message type for tracking; `api`, `import`).
    mutating func applyTraits(_ traits: [String: JSONValue], to customerId: String, at: Int64, source: String) async throws {
        var profile = try await customer(customerId)
        profile.seen(at: at)
        let changed = profile.apply(traits: traits, at: at)
        if !changed.isEmpty {
            profile.updatedAt = deps.clock.nowMillis
            traitChanges[customerId, default: []] += changed.sorted { $0.key < $1.key }.map {
                TraitChange(trait: $0.key, value: $0.value, source: source, recordedAt: at)
            }
            searchDirty.insert(customerId)
        }
        customers[customerId] = profile
        dirty.insert(customerId)
    }

    /// Stores `order` as the profile's, placed `at` and coming from `source` (`track`, `api`, `import`); nil when an
    /// order with its id is stored already. Its timeline entry is the caller's (`append`).
    mutating func recordOrder(_ order: ParsedOrder, for customerId: String, at: Int64, source: String) async throws -> Order? {
        guard try await repos.orders.find(workspaceId: workspaceId, orderId: order.orderId) == nil else { return nil }
        let stored = Order(id: deps.ids.next(), workspaceId: workspaceId, orderId: order.orderId, customerId: customerId,
                           currency: order.currency, totalMinorUnits: order.totalMinorUnits, occurredAt: at,
                           source: source, lines: order.lines)
        try await repos.orders.insert(stored)
        events.append(PendingEvent(type: .orderCompleted, customerId: customerId, data: [
            "order_id": .string(stored.orderId), "currency": .string(stored.currency),
            "total": Money.json(minorUnits: stored.totalMinorUnits, currency: stored.currency),
            "occurred_at": .string(Timestamp.iso8601(at)), "source": .string(source),
        ]))
        occurrences.append(TriggerOccurrence(kind: .orderCompleted, customerId: customerId, key: nil, properties: [
            "order_id": .string(stored.orderId), "currency": .string(stored.currency),
            "total": .number(Money.units(minorUnits: stored.totalMinorUnits, currency: stored.currency)),
        ], occurredAt: at))
        return stored
    }

    /// Adds a timeline entry, written at `flush` (to the survivor, should its profile be merged meanwhile).
    mutating func append(_ activity: Activity) {
        activities.append(activity)
    }

    /// Adds a timeline entry that happened `at` and was received now.
    mutating func append(_ kind: ActivityKind, name: String?, for customerId: String, at: Int64, properties: JSONValue) {
        append(Activity(id: deps.ids.next(), workspaceId: workspaceId, customerId: customerId, kind: kind, name: name,
                        occurredAt: at, receivedAt: deps.clock.nowMillis, properties: properties))
    }

    mutating func recordConsent(customerId: String, purpose: String, channel: String, status: ConsentRecord.Status,
                                source: String, at: Int64) async throws {
        let record = ConsentRecord(id: deps.ids.next(), workspaceId: workspaceId, customerId: customerId, purpose: purpose,
                                   channel: channel, status: status, source: source, recordedAt: at)
        try await repos.consents.append(record)
        events.append(PendingEvent(type: .consentChanged, customerId: customerId, data: [
            "purpose": .string(purpose), "channel": .string(channel), "status": .string(status.rawValue),
            "source": .string(source), "recorded_at": .string(Timestamp.iso8601(at)),
        ]))
        occurrences.append(TriggerOccurrence(kind: .consentChanged, customerId: customerId, key: purpose, properties: [
            "status": .string(status.rawValue), "channel": .string(channel), "source": .string(source),
        ], occurredAt: at))
        append(.consent, name: purpose, for: customerId, at: at, properties: record.timelineProperties)
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
        try await repos.customers.reassign(workspaceId: workspaceId, merges.map { ($0.mergedId, $0.survivorId) })
        absorbed = [:]
        storedUserIds = [:]
        try await repos.customers.upsert(changed)
        try await repos.customers.updateSeen(workspaceId: workspaceId, seen)
        try await repos.customers.addIdentifiers(workspaceId: workspaceId,
                                                 newIdentifiers.map { (root($0.customerId), $0.identifier) },
                                                 at: deps.clock.nowMillis)
        try await repos.customers.appendTraitHistory(workspaceId: workspaceId, traitChanges.keys.sorted().flatMap { customerId in
            (traitChanges[customerId] ?? []).map { (root(customerId), $0) }
        })
        try await repos.customers.recordMerges(merges)
        try await repos.customers.removeSearch(workspaceId: workspaceId, customerIds: merges.map(\.mergedId))
        merges = []
        // Entries appended before their profile was merged away belong to the survivor.
        for i in activities.indices { activities[i].customerId = root(activities[i].customerId) }
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
        try await emitEvents(created: created)
        try await queueTriggers()
    }

    /// The transaction's occurrences for automation rules: tracked events and what the writers recorded, each naming
    /// the profile that holds the data now; one `automation.evaluate` job, only when a rule listens.
    private mutating func queueTriggers() async throws {
        var all = activities.filter { $0.kind == .track && $0.name != nil }.map { activity in
            TriggerOccurrence(kind: .event, customerId: activity.customerId, key: activity.name,
                              properties: activity.properties.objectValue ?? [:], occurredAt: activity.occurredAt)
        }
        all += occurrences
        occurrences = []
        guard !all.isEmpty else { return }
        try await AutomationTriggers(deps).enqueue(in: repos, workspaceId: workspaceId, all.map { occurrence in
            var moved = occurrence
            moved.customerId = root(occurrence.customerId)
            return moved
        })
    }

    /// The transaction's webhook events: profiles created, profiles whose traits changed, and what the writers
    /// recorded (merges, orders, consent), each naming the profile that holds the data now.
    private mutating func emitEvents(created: [String]) async throws {
        var all: [PendingEvent] = created.compactMap { id in
            customers[id].map { PendingEvent(type: .customerCreated, customerId: id, data: ["traits": .object($0.traits)]) }
        }
        for (id, changes) in traitChanges.sorted(by: { $0.key < $1.key }) where loaded[root(id)] != nil && !changes.isEmpty {
            all.append(PendingEvent(type: .customerUpdated, customerId: id, data: [
                "changed": .array(Array(Set(changes.map(\.trait))).sorted().map(JSONValue.string)),
                "source": .string(changes.last?.source ?? ""),
            ]))
        }
        all += events
        events = []
        guard !all.isEmpty else { return }
        try await WebhookEvents(deps).emit(in: repos, workspaceId: workspaceId, all.map { event in
            let id = root(event.customerId)
            var data = event.data
            data["customer_id"] = .string(id)
            return (event.type, id, .object(data))
        })
    }
}
