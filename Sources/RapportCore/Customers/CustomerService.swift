import Foundation

/// A profile with what the profile page shows next to it.
public struct CustomerProfile: Sendable {
    public var customer: Customer
    public var identifiers: [Identifier]
    public var purchases: PurchaseStats
    public var accounts: [Account]
    public var merges: [CustomerMerge]
    public var consents: [ConsentRecord]
    /// The latest trait changes, newest first.
    public var traitHistory: [TraitChange]

    public init(customer: Customer, identifiers: [Identifier], purchases: PurchaseStats, accounts: [Account],
                merges: [CustomerMerge], consents: [ConsentRecord], traitHistory: [TraitChange]) {
        self.customer = customer
        self.identifiers = identifiers
        self.purchases = purchases
        self.accounts = accounts
        self.merges = merges
        self.consents = consents
        self.traitHistory = traitHistory
    }

    /// Where the person stands: `visitor` (only anonymous ids), `lead` (identified, no order), `customer` (one
    /// completed order) or `repeat_customer` (two or more).
    public var lifecycleStage: String {
        if purchases.orderCount >= 2 { return "repeat_customer" }
        if purchases.orderCount == 1 { return "customer" }
        return identifiers.contains { $0.kind != .anonymousId } ? "lead" : "visitor"
    }
}

/// Reads and edits profiles for the REST API and the UI; erasure and export for GDPR.
public struct CustomerService: Sendable {
    let deps: CoreDependencies
    let audit: AuditLog

    public init(_ deps: CoreDependencies) {
        self.deps = deps
        self.audit = AuditLog(deps)
    }

    public func list(_ principal: Principal, query: CustomerQuery, page: PageRequest) async throws -> Page<Customer> {
        try principal.require(Permission.readData.leastRole)
        let workspaceId = principal.workspaceId
        return try await deps.store.read { try await $0.customers.list(workspaceId: workspaceId, query: query, page: page) }
    }

    /// How many profiles the workspace holds (merged ones not counted).
    public func count(_ principal: Principal) async throws -> Int {
        try principal.require(Permission.readData.leastRole)
        let workspaceId = principal.workspaceId
        return try await deps.store.read { try await $0.customers.count(workspaceId: workspaceId) }
    }

    /// The live profile for `id`; a merged id leads to the profile it was merged into.
    public func find(_ principal: Principal, id: String) async throws -> Customer {
        try principal.require(Permission.readData.leastRole)
        let workspaceId = principal.workspaceId
        return try await deps.store.read { repos in try await Self.live(repos, workspaceId: workspaceId, id: id) }
    }

    static func live(_ repos: any Repositories, workspaceId: String, id: String) async throws -> Customer {
        var current = id.lowercased()
        for _ in 0..<16 {
            guard let customer = try await repos.customers.find(workspaceId: workspaceId, id: current) else { break }
            guard let next = customer.mergedInto else { return customer }
            current = next
        }
        throw RapportError.notFound("customer")
    }

    public func profile(_ principal: Principal, id: String) async throws -> CustomerProfile {
        try principal.require(Permission.readData.leastRole)
        let workspaceId = principal.workspaceId
        return try await deps.store.read { repos in
            try await repos.customers.profile(of: try await Self.live(repos, workspaceId: workspaceId, id: id), traitHistoryLimit: 50)
        }
    }

    /// Creates a profile from traits and identifiers; an identifier already in use is a conflict naming its owner.
    public func create(_ principal: Principal, traits: [String: JSONValue], identifiers: [Identifier]) async throws -> Customer {
        try principal.require(Permission.writeData.leastRole)
        var wanted = identifiers
        if let email = traits["email"]?.stringValue { wanted.append(Identifier(.email, try Validation.email(email))) }
        let unique = Array(Set(wanted)).sorted()
        guard !unique.isEmpty || !traits.isEmpty else {
            throw RapportError.invalid("traits", "Give at least one trait or identifier.")
        }
        let workspaceId = principal.workspaceId
        let now = deps.clock.nowMillis
        let id = deps.ids.next()
        let deps = self.deps
        return try await deps.store.write { repos in
            try await repos.customers.lockIdentities(workspaceId: workspaceId)
            if let (identifier, owner) = try await repos.customers.owners(workspaceId: workspaceId, of: unique).first {
                throw RapportError(.conflict, code: "identifier_taken",
                                   message: "\(identifier) already belongs to customer \(owner).",
                                   details: ["customer_id": owner, "identifier": identifier.description])
            }
            var customer = Customer(id: id, workspaceId: workspaceId, createdAt: now, updatedAt: now, firstSeenAt: now,
                                    lastSeenAt: now)
            let changed = customer.apply(traits: traits, at: now)
            try await repos.customers.insert(customer)
            try await repos.customers.addIdentifiers(workspaceId: workspaceId, customerId: id, unique, at: now)
            try await repos.customers.appendTraitHistory(workspaceId: workspaceId, customerId: id, changed.sorted { $0.key < $1.key }
                .map { TraitChange(trait: $0.key, value: $0.value, source: "api", recordedAt: now) })
            try await repos.customers.refreshSearch(workspaceId: workspaceId, customerIds: [id])
            try await WebhookEvents(deps).emit(in: repos, workspaceId: workspaceId, type: .customerCreated, customerId: id,
                                               data: ["customer_id": .string(id), "traits": .object(customer.traits)])
            return customer
        }
    }

    /// Sets traits (a `null` value removes the trait), keeping history.
    public func updateTraits(_ principal: Principal, id: String, traits: [String: JSONValue]) async throws -> Customer {
        try principal.require(Permission.writeData.leastRole)
        let workspaceId = principal.workspaceId
        let now = deps.clock.nowMillis
        return try await deps.store.write { repos in
            try await repos.customers.lockIdentities(workspaceId: workspaceId)
            var customer = try await Self.live(repos, workspaceId: workspaceId, id: id)
            var changes: [TraitChange] = []
            for (key, value) in traits.sorted(by: { $0.key < $1.key }) {
                guard !key.isEmpty, key.unicodeScalars.count <= 100 else { throw RapportError.invalid("traits", "Trait names are 1–100 characters.") }
                if value.isNull {
                    if customer.traits.removeValue(forKey: key) != nil {
                        customer.traitTimes[key] = now
                        changes.append(TraitChange(trait: key, value: .null, source: "api", recordedAt: now))
                    }
                } else if customer.traits[key] != value {
                    customer.traits[key] = value
                    customer.traitTimes[key] = now
                    changes.append(TraitChange(trait: key, value: value, source: "api", recordedAt: now))
                }
            }
            customer.updatedAt = now
            try await repos.customers.update(customer)
            try await repos.customers.appendTraitHistory(workspaceId: workspaceId, customerId: customer.id, changes)
            if let email = traits["email"]?.stringValue {
                let identifier = Identifier(.email, try Validation.email(email))
                if try await repos.customers.owners(workspaceId: workspaceId, of: [identifier]).isEmpty {
                    try await repos.customers.addIdentifiers(workspaceId: workspaceId, customerId: customer.id, [identifier], at: now)
                }
            }
            try await repos.customers.refreshSearch(workspaceId: workspaceId, customerIds: [customer.id])
            if !changes.isEmpty {
                try await WebhookEvents(deps).emit(in: repos, workspaceId: workspaceId, type: .customerUpdated, customerId: customer.id, data: [
                    "customer_id": .string(customer.id), "changed": .array(changes.map { .string($0.trait) }), "source": "api",
                ])
            }
            return customer
        }
    }

    /// Merges `otherId` into `id` (or the reverse: the older profile always survives). Returns the survivor.
    public func merge(_ principal: Principal, id: String, otherId: String) async throws -> Customer {
        try principal.require(Permission.writeData.leastRole)
        let workspaceId = principal.workspaceId
        let deps = self.deps
        return try await deps.store.write { repos in
            let first = try await Self.live(repos, workspaceId: workspaceId, id: id)
            let second = try await Self.live(repos, workspaceId: workspaceId, id: otherId)
            guard first.id != second.id else { return first }
            try await repos.customers.lockIdentities(workspaceId: workspaceId)
            var writer = ProfileWriter(workspaceId: workspaceId, repos: repos, deps: deps)
            let survivor = try await writer.merge([first.id, second.id], reason: "manual", identifiers: [])
            try await writer.flush()
            try await audit.record(in: repos, workspaceId: workspaceId, actor: principal.actor, action: .customerMerged,
                                   targetType: "customer", targetId: survivor,
                                   details: ["merged": [first.id, second.id].filter { $0 != survivor }.joined()])
            return try await Self.live(repos, workspaceId: workspaceId, id: survivor)
        }
    }

    public func timeline(_ principal: Principal, id: String, kinds: Set<ActivityKind>?, page: PageRequest) async throws -> Page<Activity> {
        try principal.require(Permission.readData.leastRole)
        let workspaceId = principal.workspaceId
        return try await deps.store.read { repos in
            let customer = try await Self.live(repos, workspaceId: workspaceId, id: id)
            return try await repos.activities.timeline(workspaceId: workspaceId, customerId: customer.id, kinds: kinds, page: page)
        }
    }

    /// Everything Rapport holds on the person (GDPR access request), as JSON: one section per kind of data the store
    /// keeps (`CustomerRepository.exportSections`), so a table added to the store's registry of customer data with no
    /// section here fails the export instead of being left out of it.
    public func export(_ principal: Principal, id: String) async throws -> JSONValue {
        try principal.require(Permission.manageUsers.leastRole)
        let profile = try await profile(principal, id: id)
        let workspaceId = principal.workspaceId
        let customerId = profile.customer.id
        let (activities, orders, history, segments, emails, wanted, runs, responses, invitations, followUps) = try await deps.store.read { repos in
            var all: [Activity] = []
            var cursor: String?
            repeat {
                let page = try await repos.activities.timeline(workspaceId: workspaceId, customerId: customerId, kinds: nil,
                                                               page: PageRequest(limit: 1000, after: cursor))
                all += page.items
                cursor = page.nextCursor.flatMap(Cursor.decode)
            } while cursor != nil
            let orders = try await repos.orders.orders(workspaceId: workspaceId, customerId: customerId,
                                                       page: PageRequest(limit: 100_000))
            let history = try await repos.customers.traitHistory(workspaceId: workspaceId, customerId: customerId, limit: 100_000)
            let segments = try await repos.segments.memberships(workspaceId: workspaceId, customerId: customerId)
            var emails: [OutboundEmail] = []
            var emailCursor: String?
            repeat {
                let page = try await repos.emails.list(EmailQuery(workspaceId: workspaceId, customerId: customerId),
                                                       page: PageRequest(limit: 1000, after: emailCursor))
                emails += page.items
                emailCursor = page.nextCursor.flatMap(Cursor.decode)
            } while emailCursor != nil
            let runs = try await repos.automation.runs(workspaceId: workspaceId, customerId: customerId)
            let responses = try await repos.surveyResponses.forCustomer(workspaceId: workspaceId, customerId: customerId)
            let invitations = try await repos.surveyInvitations.list(workspaceId: workspaceId, surveyId: nil, customerId: customerId,
                                                                     status: nil, page: PageRequest(limit: 100_000)).items
            var followUps: [JSONValue] = []
            for followUp in try await repos.followUps.forCustomer(workspaceId: workspaceId, customerId: customerId) {
                guard case .object(var fields) = followUp.summary else { continue }
                let notes = try await repos.followUps.notes(workspaceId: workspaceId, caseId: followUp.id)
                fields["notes"] = .array(notes.map { ["author": .string($0.authorLabel), "text": .string($0.text),
                                                      "created_at": .string(Timestamp.iso8601($0.createdAt))] })
                followUps.append(.object(fields))
            }
            return (all, orders.items, history, segments, emails, repos.customers.exportSections, runs, responses, invitations, followUps)
        }
        let sections: [String: JSONValue] = [
            "identifiers": .array(profile.identifiers.map { $0.json }),
            "trait_history": .array(history.map { ["trait": .string($0.trait), "value": $0.value, "source": .string($0.source),
                                                   "recorded_at": .string(Timestamp.iso8601($0.recordedAt))] }),
            "consents": .array(profile.consents.map(\.json)),
            "orders": .array(orders.map(\.timelineProperties)),
            "accounts": .array(profile.accounts.map { ["id": .string($0.id), "group_id": .string($0.groupId)] }),
            "segments": .array(segments.map { ["id": .string($0.id), "name": .string($0.name)] }),
            "merges": .array(profile.merges.map {
                ["merged_id": .string($0.mergedId), "reason": .string($0.reason), "identifiers": .array($0.identifiers.map(JSONValue.string)),
                 "merged_at": .string(Timestamp.iso8601($0.mergedAt))]
            }),
            "timeline": .array(activities.map(\.json)),
            "emails": .array(emails.map(\.exportJSON)),
            "automation_runs": .array(runs.map(\.exportJSON)),
            "survey_responses": .array(responses.map { $0.summary(surveyName: nil) }),
            "survey_invitations": .array(invitations.map(\.exportJSON)),
            "follow_ups": .array(followUps),
        ]
        var document: [String: JSONValue] = [
            "customer": profile.customer.exportJSON, "exported_at": .string(Timestamp.iso8601(deps.clock.nowMillis)),
        ]
        for name in wanted {
            guard let section = sections[name] else {
                throw RapportError(.internalError, code: "internal_error", message: "the export has no section \(name)")
            }
            document[name] = section
        }
        try await deps.store.write { repos in
            try await audit.record(in: repos, workspaceId: workspaceId, actor: principal.actor, action: .customerExported,
                                   targetType: "customer", targetId: customerId)
        }
        return .object(document)
    }

    /// Erases the person's personal data and events; orders stay as anonymous aggregates. Audit-logged.
    public func erase(_ principal: Principal, id: String) async throws {
        try principal.require(Permission.manageUsers.leastRole)
        let workspaceId = principal.workspaceId
        try await deps.store.write { repos in
            let customer = try await Self.live(repos, workspaceId: workspaceId, id: id)
            try await repos.customers.erase(workspaceId: workspaceId, customerId: customer.id)
            try await audit.record(in: repos, workspaceId: workspaceId, actor: principal.actor, action: .customerErased,
                                   targetType: "customer", targetId: customer.id)
            // Only the id, which no longer leads to anyone; the delivery is not tied to the person (who is gone).
            try await WebhookEvents(deps).emit(in: repos, workspaceId: workspaceId, type: .customerErased,
                                               data: ["customer_id": .string(customer.id)])
        }
    }

    // MARK: Consent

    public func recordConsent(_ principal: Principal, id: String, purpose rawPurpose: String, channel rawChannel: String,
                              status: ConsentRecord.Status, source: String) async throws -> ConsentRecord {
        try principal.require(Permission.writeData.leastRole)
        let purpose = try ContactPolicy.validName(rawPurpose, field: "purpose")
        let channel = try ContactPolicy.validName(rawChannel, field: "channel")
        guard ContactPolicy.channels.contains(channel) else {
            throw RapportError.invalid("channel", "channel must be one of \(ContactPolicy.channels.joined(separator: ", ")).")
        }
        let workspaceId = principal.workspaceId
        let deps = self.deps
        return try await deps.store.write { repos in
            let customer = try await Self.live(repos, workspaceId: workspaceId, id: id)
            var writer = ProfileWriter(workspaceId: workspaceId, repos: repos, deps: deps)
            try await writer.recordConsent(customerId: customer.id, purpose: purpose, channel: channel, status: status,
                                          source: source, at: deps.clock.nowMillis)
            try await writer.flush()
            try await audit.record(in: repos, workspaceId: workspaceId, actor: principal.actor, action: .consentRecorded,
                                   targetType: "customer", targetId: customer.id,
                                   details: ["purpose": purpose, "channel": channel, "status": status.rawValue, "source": source])
            return try await repos.consents.history(workspaceId: workspaceId, customerId: customer.id).last!
        }
    }

    /// May we contact this person for `purpose` on `channel` now?
    public func mayContact(_ principal: Principal, id: String, purpose rawPurpose: String, channel rawChannel: String) async throws
        -> ContactPolicy.Decision {
        try principal.require(Permission.readData.leastRole)
        // Query parameters: a bad value is a 400, not a 422.
        let asParameter = { (error: RapportError) in
            RapportError(.badRequest, code: "invalid_parameter", message: error.message, details: error.details)
        }
        let purpose: String, channel: String
        do { purpose = try ContactPolicy.validName(rawPurpose, field: "purpose") } catch { throw asParameter(error) }
        do { channel = try ContactPolicy.validName(rawChannel, field: "channel") } catch { throw asParameter(error) }
        guard ContactPolicy.channels.contains(channel) else {
            throw RapportError(.badRequest, code: "invalid_parameter",
                               message: "channel must be one of \(ContactPolicy.channels.joined(separator: ", ")).",
                               details: ["field": "channel"])
        }
        let workspaceId = principal.workspaceId
        let history = try await deps.store.read { repos in
            let customer = try await Self.live(repos, workspaceId: workspaceId, id: id)
            return try await repos.consents.history(workspaceId: workspaceId, customerId: customer.id)
        }
        return ContactPolicy.mayContact(history: history, purpose: purpose, channel: channel)
    }
}

extension Identifier {
    public var json: JSONValue {
        ["type": .string(kind.rawValue), "namespace": namespace.isEmpty ? .null : .string(namespace), "value": .string(value)]
    }
}

extension Customer {
    var exportJSON: JSONValue {
        ["id": .string(id), "traits": .object(traits), "first_seen_at": .string(Timestamp.iso8601(firstSeenAt)),
         "last_seen_at": .string(Timestamp.iso8601(lastSeenAt)), "created_at": .string(Timestamp.iso8601(createdAt))]
    }
}

extension ConsentRecord {
    public var json: JSONValue {
        ["id": .string(id), "purpose": .string(purpose), "channel": .string(channel), "status": .string(status.rawValue),
         "source": .string(source), "recorded_at": .string(Timestamp.iso8601(recordedAt))]
    }
}

extension Activity {
    public var json: JSONValue {
        ["id": .string(id), "type": .string(kind.rawValue), "name": JSONValue(name),
         "occurred_at": .string(Timestamp.iso8601(occurredAt)), "received_at": .string(Timestamp.iso8601(receivedAt)),
         "message_id": JSONValue(messageId), "properties": properties, "context": context]
    }
}
