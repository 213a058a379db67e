/// Identity resolution: which profile holds an identifier, creating one or merging several as needed.
extension ProfileWriter {
    /// Finds who holds `identifiers` and loads those profiles, in one query.
    mutating func lookUp(_ identifiers: [Identifier]) async throws {
        let found = try await repos.customers.ownersWithProfiles(workspaceId: workspaceId, of: identifiers)
        owners = found.owners
        userIdsByProfile = [:]
        for (identifier, owner) in owners where identifier.kind == .userId {
            userIdsByProfile[root(owner), default: []].insert(identifier.value)
        }
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

    /// The profile `identifiers` name (looked up first with `lookUp`): found, created as first seen `at`, or the
    /// survivor of a merge when they name several. Identifiers it did not hold yet are added to it.
    mutating func resolveOrCreate(identifiers: [Identifier], at: Int64) async throws -> String {
        try await resolve(named: identifiers, finding: identifiers, alias: false,
                          userId: identifiers.last { $0.kind == .userId }?.value, at: at)
    }

    /// Finds the profile holding any of `identifiers` (merging several: an alias always, otherwise unless they
    /// belong to different known users), or creates one; then gives it those of `named` nobody holds.
    mutating func resolve(named: [Identifier], finding identifiers: [Identifier], alias: Bool, userId: String?,
                          at timestamp: Int64) async throws -> String {
        let candidates = Array(Set(identifiers.compactMap { owners[$0].map(root) })).sorted()
        var customerId: String
        if candidates.isEmpty {
            let now = deps.clock.nowMillis
            let created = Customer(id: deps.ids.next(), workspaceId: workspaceId, createdAt: now, updatedAt: now,
                                   firstSeenAt: timestamp, lastSeenAt: timestamp)
            // Written with the batch's other profiles at flush (one upsert).
            customers[created.id] = created
            dirty.insert(created.id)
            customerId = created.id
        } else if candidates.count == 1 {
            customerId = candidates[0]
        } else {
            let shared = identifiers.filter { owners[$0] != nil }.map(\.description).sorted()
            if alias {
                customerId = try await merge(candidates, reason: "alias", identifiers: shared)
            } else if let owner = try await conflictingOwner(candidates, userId: userId) {
                // Two profiles of different known users share an anonymous id (a shared device): do not merge them.
                customerId = owner
            } else {
                customerId = try await merge(candidates, reason: "shared identifier", identifiers: shared)
            }
        }
        var added: [Identifier] = []
        for identifier in named where owners[identifier] == nil {
            owners[identifier] = customerId
            if identifier.kind == .userId { userIdsByProfile[customerId, default: []].insert(identifier.value) }
            added.append(identifier)
        }
        if !added.isEmpty {
            newIdentifiers += added.map { (customerId, $0) }
            searchDirty.insert(customerId)
        }
        return customerId
    }

    /// The ids `customerId`'s stored rows are under until this transaction flushes: its own and those of the profiles
    /// it absorbed meanwhile.
    func storedIds(of customerId: String) -> [String] {
        [customerId] + (absorbed[customerId] ?? [])
    }

    /// Reads, in one statement, the stored user ids of every profile that one of `identifierSets` (a message's
    /// identifiers each) finds together with another, so that `conflictingOwner` does not read them merge by merge:
    /// on PostgreSQL that read, a round trip per merge, was the largest item of a batch of logins.
    /// Profiles that only come together during the batch (an identifier given to a profile by an earlier message)
    /// are still read when they meet.
    mutating func prefetchUserIds(of identifierSets: [[Identifier]]) async throws {
        var wanted: [String] = []
        for identifiers in identifierSets {
            let holders = identifiers.compactMap { owners[$0].map(root) }
            if let first = holders.first, holders.contains(where: { $0 != first }) { wanted += holders.flatMap(storedIds) }
        }
        try await loadStoredUserIds(wanted)
    }

    /// Reads the user ids stored under those of `ids` not read yet into `storedUserIds` (an empty set for an id that
    /// holds none).
    private mutating func loadStoredUserIds(_ ids: [String]) async throws {
        let missing = Set(ids.filter { storedUserIds[$0] == nil })
        guard !missing.isEmpty else { return }
        let found = try await repos.customers.userIds(workspaceId: workspaceId, of: missing.sorted())
        for id in missing { storedUserIds[id] = found[id] ?? [] }
    }

    /// When the candidates carry different user ids, the one of `userId` (else nil: merge).
    mutating func conflictingOwner(_ candidates: [String], userId: String?) async throws -> String? {
        // The user ids the candidates hold: those stored (with the profiles they absorbed in this transaction, whose
        // rows move at flush; read by `prefetchUserIds`, or here for profiles it did not foresee) and those of this
        // transaction.
        let stored = candidates.flatMap(storedIds)
        try await loadStoredUserIds(stored)
        var distinct = Set(stored.flatMap { storedUserIds[$0] ?? [] })
        for candidate in candidates { distinct.formUnion(userIdsByProfile[candidate] ?? []) }
        guard distinct.count > 1 else { return nil }
        if let userId, let owner = owners[Identifier(.userId, userId)] { return root(owner) }
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
            // Timeline entries already appended for `other` move to the survivor at flush (`root`).
            if let moved = userIdsByProfile.removeValue(forKey: other.id) {
                userIdsByProfile[survivor.id, default: []].formUnion(moved)
            }
            if let pending = traitChanges.removeValue(forKey: other.id) { traitChanges[survivor.id, default: []] += pending }
            absorbed[survivor.id, default: []] += [other.id] + (absorbed.removeValue(forKey: other.id) ?? [])
            other.mergedInto = survivor.id
            other.updatedAt = now
            customers[other.id] = other
            dirty.insert(other.id)
            redirects[other.id] = survivor.id
            let record = CustomerMerge(id: deps.ids.next(), workspaceId: workspaceId, survivorId: survivor.id,
                                       mergedId: other.id, reason: reason, identifiers: identifiers, mergedAt: now)
            merges.append(record)
            events.append(PendingEvent(type: .customerMerged, customerId: survivor.id, data: [
                "merged_id": .string(other.id), "reason": .string(reason),
                "identifiers": .array(identifiers.map(JSONValue.string)),
            ]))
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
}
