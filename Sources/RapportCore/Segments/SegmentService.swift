/// Defines segments, previews them, and keeps their membership current: recomputed when a segment is saved and on
/// every scheduled refresh (the `segments.refresh` schedule and jobs, see `SegmentRefreshJobs.swift`), so rules over
/// time ("seen within 7 days") stay true.
public struct SegmentService: Sendable {
    let deps: CoreDependencies
    /// Customers evaluated per read.
    public var pageSize = 1000

    public init(_ deps: CoreDependencies) { self.deps = deps }

    public func create(_ principal: Principal, name: String, description: String?, rule: JSONValue) async throws -> Segment {
        try principal.require(Permission.writeData.leastRole)
        let parsed = try SegmentRule.parse(rule)
        let now = deps.clock.nowMillis
        var segment = Segment(id: deps.ids.next(), workspaceId: principal.workspaceId, name: try Validation.name(name),
                              description: try description.flatMap { raw throws(RapportError) in try Validation.description(raw) },
                              rule: parsed, createdAt: now, updatedAt: now)
        let audit = AuditLog(deps)
        try await deps.store.write { [segment] repos in
            try await repos.segments.insert(segment)
            try await audit.record(in: repos, workspaceId: segment.workspaceId, actor: principal.actor, action: .segmentCreated,
                                   targetType: "segment", targetId: segment.id,
                                   details: ["name": segment.name, "rule": segment.rule.json.jsonText])
        }
        segment = try await refresh(segment)
        return segment
    }

    public func update(_ principal: Principal, id: String, name: String?, description: String??, rule: JSONValue?) async throws -> Segment {
        try principal.require(Permission.writeData.leastRole)
        var segment = try await get(principal, id: id)
        var changes: [String: String] = [:]
        if let name { segment.name = try Validation.name(name); changes["name"] = segment.name }
        if description != nil { changes["description"] = "changed" }
        if let description { segment.description = try description.flatMap { raw throws(RapportError) in try Validation.description(raw) } }
        if let rule { segment.rule = try SegmentRule.parse(rule) }
        segment.updatedAt = deps.clock.nowMillis
        if rule != nil { changes["rule"] = segment.rule.json.jsonText }
        let audit = AuditLog(deps)
        try await deps.store.write { [segment, changes] repos in
            try await repos.segments.update(segment)
            try await audit.record(in: repos, workspaceId: segment.workspaceId, actor: principal.actor, action: .segmentUpdated,
                                   targetType: "segment", targetId: segment.id, details: changes)
        }
        return try await refresh(segment)
    }

    public func delete(_ principal: Principal, id: String) async throws {
        try principal.require(Permission.writeData.leastRole)
        let segment = try await get(principal, id: id)
        let audit = AuditLog(deps)
        try await deps.store.write { repos in
            // A rule that starts on entering or leaving the segment, or whose condition names it, would never fire
            // again: the segment stays until those rules are changed or deleted (as lists used by workflows do).
            let users = try await repos.automation.all(workspaceId: segment.workspaceId).filter { rule in
                ([.segmentEntered, .segmentExited].contains(rule.trigger.kind) && rule.trigger.key == segment.id)
                    || rule.condition?.segmentIds.contains(segment.id) == true
            }
            if !users.isEmpty {
                let names = users.map { "“\($0.name)”" }.joined(separator: ", ")
                throw RapportError(.conflict, code: "segment_in_use",
                                   message: "\(Plural.count(users.count, "automation rule")) use\(users.count == 1 ? "s" : "") this segment (\(names)): "
                                       + "change or delete \(users.count == 1 ? "it" : "them") first.",
                                   details: ["rules": users.map(\.id).joined(separator: ",")])
            }
            try await repos.segments.delete(workspaceId: segment.workspaceId, id: segment.id)
            try await audit.record(in: repos, workspaceId: segment.workspaceId, actor: principal.actor, action: .segmentDeleted,
                                   targetType: "segment", targetId: segment.id, details: ["name": segment.name])
        }
    }

    public func get(_ principal: Principal, id: String) async throws -> Segment {
        try principal.require(Permission.readData.leastRole)
        let workspaceId = principal.workspaceId
        guard let segment = try await deps.store.read({ try await $0.segments.find(workspaceId: workspaceId, id: id) }) else {
            throw RapportError.notFound("segment")
        }
        return segment
    }

    public func list(_ principal: Principal, page: PageRequest) async throws -> Page<Segment> {
        try principal.require(Permission.readData.leastRole)
        let workspaceId = principal.workspaceId
        return try await deps.store.read { try await $0.segments.list(workspaceId: workspaceId, page: page) }
    }

    /// Profiles read for trait names, and event names listed, by `fieldNames` (bounded on a large workspace).
    public static let traitSampleSize = 5000, eventNameLimit = 500

    /// The trait names seen on the newest profiles and the names of tracked events, for the rule builder.
    public func fieldNames(_ principal: Principal) async throws -> SegmentFieldNames {
        try principal.require(Permission.readData.leastRole)
        let workspaceId = principal.workspaceId
        return try await deps.store.read { repos in
            SegmentFieldNames(traits: try await repos.segments.traitNames(workspaceId: workspaceId, profiles: Self.traitSampleSize),
                              events: try await repos.segments.eventNames(workspaceId: workspaceId, limit: Self.eventNameLimit))
        }
    }

    /// How many customers match a rule now, and a sample of them, without saving anything.
    public func preview(_ principal: Principal, rule json: JSONValue, sampleSize: Int = 10) async throws -> (count: Int, sample: [String]) {
        try principal.require(Permission.readData.leastRole)
        let rule = try SegmentRule.parse(json)
        let matching = try await evaluate(workspaceId: principal.workspaceId, rule: rule)
        return (matching.count, Array(matching.sorted(by: >).prefix(sampleSize)))
    }

    /// Recomputes a segment's members and stores the difference.
    @discardableResult
    public func refresh(_ segment: Segment) async throws -> Segment {
        let matching = try await evaluate(workspaceId: segment.workspaceId, rule: segment.rule)
        let now = deps.clock.nowMillis
        let events = WebhookEvents(deps), triggers = AutomationTriggers(deps)
        return try await deps.store.write { repos -> Segment in
            let current = try await repos.segments.memberIds(workspaceId: segment.workspaceId, segmentId: segment.id)
            let exited = Array(current.subtracting(matching)).sorted()
            try await repos.segments.removeMembers(workspaceId: segment.workspaceId, segmentId: segment.id, exited)
            // The rule was evaluated before this transaction: a profile merged or erased meanwhile is not added.
            let entered = try await repos.segments.addMembers(workspaceId: segment.workspaceId, segmentId: segment.id,
                                                              Array(matching.subtracting(current)).sorted(), at: now)
            var updated = segment
            updated.memberCount = current.count - exited.count + entered.count
            updated.refreshedAt = now
            try await repos.segments.update(updated)
            // A segment's first population (when it is created) is not a change anyone entered or left by.
            guard segment.refreshedAt != nil else { return updated }
            let data = { (id: String) -> JSONValue in
                ["customer_id": .string(id), "segment_id": .string(segment.id), "segment_name": .string(segment.name)]
            }
            try await events.emit(in: repos, workspaceId: segment.workspaceId,
                                  entered.map { (WebhookEventType.segmentEntered, $0, data($0)) }
                                      + exited.map { (WebhookEventType.segmentExited, $0, data($0)) })
            try await triggers.enqueue(in: repos, workspaceId: segment.workspaceId,
                                       entered.map { TriggerOccurrence(kind: .segmentEntered, customerId: $0, key: segment.id, occurredAt: now) }
                                           + exited.map { TriggerOccurrence(kind: .segmentExited, customerId: $0, key: segment.id, occurredAt: now) })
            return updated
        }
    }

    /// Refreshes every segment of every workspace; returns how many were refreshed.
    public func refreshAll() async throws -> Int {
        var count = 0
        for workspaceId in try await deps.store.read({ try await $0.segments.workspaceIds() }) {
            count += try await refresh(workspaceId: workspaceId)
        }
        return count
    }

    /// Refreshes every segment of one workspace; returns how many were refreshed. Idempotent: a second run over the
    /// same data changes nothing but `refreshed_at`.
    @discardableResult
    public func refresh(workspaceId: String) async throws -> Int {
        let segments = try await deps.store.read { try await $0.segments.all(workspaceId: workspaceId) }
        for segment in segments {
            try Task.checkCancellation()
            try await refresh(segment)
        }
        return segments.count
    }

    /// The ids of the live customers matching `rule`.
    public func evaluate(workspaceId: String, rule: SegmentRule) async throws -> Set<String> {
        let now = deps.clock.nowMillis
        let rfm = rule.usesRFM
            ? RFMScorer(purchasers: try await deps.store.read { try await $0.segments.purchasers(workspaceId: workspaceId) })
            : .empty
        let context = SegmentContext(now: now, rfm: rfm)
        let events = rule.eventWindows
        var matching: Set<String> = []
        var cursor: String?
        let pageSize = self.pageSize
        repeat {
            let after = cursor
            let facts = try await deps.store.read {
                try await $0.segments.facts(workspaceId: workspaceId, before: after, limit: pageSize, events: events, now: now)
            }
            for fact in facts where rule.matches(fact, context: context) { matching.insert(fact.customerId) }
            cursor = facts.count == pageSize ? facts.last?.customerId : nil
        } while cursor != nil
        return matching
    }
}
