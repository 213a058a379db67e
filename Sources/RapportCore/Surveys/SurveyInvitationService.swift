import Foundation

/// Survey invitations: scheduled by the API (a list of customers or a segment) and by automation rules
/// (`send_survey`), each with its `survey.send` job in the same transaction; sent when due under the contact rules
/// (`SurveyContactCheck`, then the channel's address checks), or suppressed with the reason, which the customer's
/// timeline and the survey's stats show; reminded (`survey.remind`) while unanswered. A send is idempotent: the
/// invitation moves from `scheduled` only once (a compare-and-set in the transaction that queues the email), and the
/// person's sends are serialised so two workers cannot both pass the recontact rule.
public struct SurveyInvitationService: Sendable {
    let deps: CoreDependencies
    /// The email outbox; nil where the program sends no email (invitations are then suppressed when due).
    let outbox: EmailOutbox?
    /// Where people reach this server (`PUBLIC_URL`), for the survey links.
    let publicURL: String

    public init(_ deps: CoreDependencies, outbox: EmailOutbox?, publicURL: String) {
        self.deps = deps
        self.outbox = outbox
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
    }

    public static let sendKind = "survey.send"
    public static let remindKind = "survey.remind"
    /// The consent purpose every survey invitation asks for.
    public static let purpose = "surveys"
    public static let maxCustomersPerRequest = 1_000
    /// At most 30 days ahead.
    public static let maxDelaySeconds = 30 * 86_400
    static let batchSize = 500

    /// The link of one invitation's hosted page.
    public static func surveyURL(_ publicURL: String, token: String) -> String { "\(publicURL)/s/\(token)" }

    // MARK: Scheduling

    /// Schedules an invitation of the active `survey` to each customer (by id, or the members of a segment), due
    /// after `delaySeconds`. Agents and up (a send is an action on customers, like an email).
    public func invite(_ principal: Principal, surveyId: String, customerIds: [String]?, segmentId: String?,
                       attributes rawAttributes: JSONValue?, delaySeconds: Int) async throws -> [SurveyInvitation] {
        try principal.require(Permission.writeData.leastRole)
        let attributes = try SurveyResponseService.attributes(rawAttributes)
        guard (0...Self.maxDelaySeconds).contains(delaySeconds) else {
            throw RapportError.invalid("delay_seconds", "delay_seconds must be a whole number from 0 to \(Self.maxDelaySeconds).")
        }
        let survey = try await SurveyService(deps).get(principal, id: surveyId)
        try Self.requireActive(survey)
        let workspaceId = principal.workspaceId
        var targets: [String]
        switch (customerIds, segmentId) {
        case (let ids?, nil):
            guard !ids.isEmpty, ids.count <= Self.maxCustomersPerRequest else {
                throw RapportError.invalid("customer_ids", "customer_ids must list 1–\(Self.maxCustomersPerRequest) customers.")
            }
            targets = try await deps.store.read { repos in
                var live: [String] = []
                for (index, id) in ids.enumerated() {
                    do {
                        live.append(try await CustomerService.live(repos, workspaceId: workspaceId, id: id).id)
                    } catch let error as RapportError where error.kind == .notFound {
                        throw RapportError.invalid("customer_ids[\(index)]", "No customer \(id) in this workspace.")
                    }
                }
                return live
            }
        case (nil, let segment?):
            guard try await deps.store.read({ try await $0.segments.find(workspaceId: workspaceId, id: segment) }) != nil else {
                throw RapportError.invalid("segment_id", "No segment \(segment) in this workspace.")
            }
            targets = try await deps.store.read { try await $0.segments.memberIds(workspaceId: workspaceId, segmentId: segment) }.sorted()
        default:
            throw RapportError.invalid("customer_ids", "Name the customers by customer_ids or a segment_id (one of the two).")
        }
        var seen = Set<String>()
        targets = targets.filter { seen.insert($0).inserted }
        let sendAt = deps.clock.nowMillis + Int64(delaySeconds) * 1_000
        let source = segmentId == nil ? "api" : "segment"
        var scheduled: [SurveyInvitation] = []
        for start in stride(from: 0, to: targets.count, by: Self.batchSize) {
            let batch = Array(targets[start..<min(start + Self.batchSize, targets.count)])
            let deps = self.deps
            scheduled += try await deps.store.write { repos in
                var made: [SurveyInvitation] = []
                for customerId in batch {
                    made.append(try await Self.schedule(in: repos, deps: deps, survey: survey, customerId: customerId,
                                                        attributes: attributes, source: source, sendAt: sendAt))
                }
                return made
            }
        }
        return scheduled
    }

    /// Stores a scheduled invitation and its send job in `repos`' transaction (the caller's: a rule's run, an API call).
    public static func schedule(in repos: any Repositories, deps: CoreDependencies, survey: Survey, customerId: String,
                                attributes: [String: String], source: String, sendAt: Int64) async throws -> SurveyInvitation {
        let now = deps.clock.nowMillis
        let invitation = SurveyInvitation(id: deps.ids.next(), workspaceId: survey.workspaceId, surveyId: survey.id,
                                          customerId: customerId, attributes: attributes, source: source,
                                          sendAt: max(sendAt, now), createdAt: now, updatedAt: now)
        try await repos.surveyInvitations.insert(invitation)
        _ = try await repos.jobs.enqueue(Job(id: deps.ids.next(), kind: sendKind, payload: payload(invitation.id),
                                             workspaceId: survey.workspaceId, now: now, runAt: invitation.sendAt,
                                             idempotencyKey: "\(sendKind):\(invitation.id)"))
        return invitation
    }

    /// The attributes an automation rule's trigger gives its invitation: the event's properties that are texts or
    /// numbers under names fit for attributes (agent, team, channel, touchpoint, ticket_id, order_id…), at most 20,
    /// and a tracked event's name as `trigger_event`.
    public static func attributes(fromTrigger trigger: JSONValue) -> [String: String] {
        var result: [String: String] = [:]
        if trigger["kind"]?.stringValue == RuleTrigger.Kind.event.rawValue, let event = trigger["key"]?.stringValue,
           event.unicodeScalars.count <= 200 { result["trigger_event"] = event }
        let properties = trigger["properties"]?.objectValue ?? [:]
        for key in properties.keys.sorted() where result.count < SurveyResponse.maxAttributes && SurveyDefinition.isIdentifier(key) {
            guard let value = properties[key] else { continue }
            let text = value.stringValue ?? value.numberValue.map { $0 == $0.rounded() && abs($0) < 9e15 ? String(Int64($0)) : String($0) }
            if let text = text?.trimmed, !text.isEmpty, text.unicodeScalars.count <= 200 { result[key] = text }
        }
        return result
    }

    static func payload(_ invitationId: String) -> String { (["invitation_id": .string(invitationId)] as JSONValue).jsonText }

    static func requireActive(_ survey: Survey) throws(RapportError) {
        guard survey.status == .active else {
            throw RapportError(.conflict, code: "survey_not_active",
                               message: "The survey is \(survey.status.rawValue); only an active survey sends invitations.")
        }
    }

    // MARK: Reading

    public func get(_ principal: Principal, surveyId: String, id: String) async throws -> SurveyInvitation {
        let survey = try await SurveyService(deps).get(principal, id: surveyId)
        guard let invitation = try await deps.store.read({ try await $0.surveyInvitations.find(workspaceId: survey.workspaceId, id: id) }),
              invitation.surveyId == survey.id else { throw RapportError.notFound("invitation") }
        return invitation
    }

    public func list(_ principal: Principal, surveyId: String, customerId: String?, status: SurveyInvitation.Status?,
                     page: PageRequest) async throws -> Page<SurveyInvitation> {
        let survey = try await SurveyService(deps).get(principal, id: surveyId)
        return try await deps.store.read {
            try await $0.surveyInvitations.list(workspaceId: survey.workspaceId, surveyId: survey.id, customerId: customerId,
                                                status: status, page: page)
        }
    }

    /// The survey's invitations by status, and the suppressed ones by reason.
    public func stats(_ principal: Principal, surveyId: String) async throws -> (byStatus: [String: Int], byReason: [String: Int]) {
        let survey = try await SurveyService(deps).get(principal, id: surveyId)
        return try await deps.store.read { try await $0.surveyInvitations.counts(workspaceId: survey.workspaceId, surveyId: survey.id) }
    }

    public func contactRules(_ principal: Principal) async throws -> SurveyContactRules {
        try principal.require(Permission.readData.leastRole)
        let workspaceId = principal.workspaceId
        return try await deps.store.read { try await $0.surveyInvitations.contactRules(workspaceId: workspaceId) }
    }

    /// Changes the workspace's contact rules (admins; audited).
    public func updateContactRules(_ principal: Principal, fields: [String: JSONValue], ip: String?) async throws -> SurveyContactRules {
        try principal.require(Permission.manageWorkspace.leastRole)
        let workspaceId = principal.workspaceId
        let now = deps.clock.nowMillis
        let audit = AuditLog(deps)
        let actor = principal.actor
        return try await deps.store.write { repos in
            var rules = try await repos.surveyInvitations.contactRules(workspaceId: workspaceId)
            try rules.apply(fields)
            try await repos.surveyInvitations.saveContactRules(workspaceId: workspaceId, rules, at: now)
            try await audit.record(in: repos, workspaceId: workspaceId, actor: actor, action: .surveyContactRulesChanged,
                                   targetType: "workspace", targetId: workspaceId, ip: ip,
                                   details: ["recontact_days": String(rules.recontactDays),
                                             "quiet_hours": "\(rules.quietStartHour)-\(rules.quietEndHour)"])
            return rules
        }
    }
}
