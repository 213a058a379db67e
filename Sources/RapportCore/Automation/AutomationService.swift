/// Workspace admins' automation rules: create, change, pause, resume and delete them (audited), and read them and
/// their runs. Every call is scoped to the caller's workspace.
public struct AutomationService: Sendable {
    let deps: CoreDependencies

    public init(_ deps: CoreDependencies) { self.deps = deps }

    /// Creates a rule from its JSON fields (`name`, `trigger` and `actions` required).
    public func create(_ principal: Principal, fields: [String: JSONValue], ip: String?) async throws -> AutomationRule {
        try principal.require(Permission.manageWorkspace.leastRole)
        for required in ["name", "trigger", "actions"] where fields[required] == nil || fields[required]?.isNull == true {
            throw RapportError.invalid(required, "\(required) is required.")
        }
        let now = deps.clock.nowMillis
        var rule = AutomationRule(id: deps.ids.next(), workspaceId: principal.workspaceId, name: "", trigger: .orderCompleted(minTotal: nil),
                                  actions: [], createdAt: now, updatedAt: now)
        try rule.apply(fields)
        let created = rule
        try await save(principal, created, action: .automationRuleCreated, ip: ip) { repos in
            try await repos.automation.insert(created)
        }
        return created
    }

    /// Changes the fields given.
    public func update(_ principal: Principal, id: String, fields: [String: JSONValue], ip: String?) async throws -> AutomationRule {
        var rule = try await get(principal, id: id)
        try principal.require(Permission.manageWorkspace.leastRole)
        for required in ["name", "trigger", "actions"] where fields[required]?.isNull == true {
            throw RapportError.invalid(required, "\(required) must not be null.")
        }
        try rule.apply(fields)
        rule.updatedAt = deps.clock.nowMillis
        let changed = rule
        try await save(principal, changed, action: .automationRuleUpdated, ip: ip) { repos in
            try await repos.automation.update(changed)
        }
        return changed
    }

    /// Pauses (`enabled: false`) or resumes a rule. A paused rule starts no run, and its scheduled runs are skipped.
    public func setEnabled(_ principal: Principal, id: String, enabled: Bool, ip: String?) async throws -> AutomationRule {
        try principal.require(Permission.manageWorkspace.leastRole)
        var rule = try await get(principal, id: id)
        rule.enabled = enabled
        rule.updatedAt = deps.clock.nowMillis
        let changed = rule
        try await save(principal, changed, action: enabled ? .automationRuleResumed : .automationRulePaused, ip: ip,
                       check: false) { repos in
            try await repos.automation.update(changed)
        }
        return changed
    }

    /// Deletes the rule and its runs; its scheduled runs then do nothing.
    public func delete(_ principal: Principal, id: String, ip: String?) async throws {
        try principal.require(Permission.manageWorkspace.leastRole)
        let rule = try await get(principal, id: id)
        let audit = AuditLog(deps)
        let actor = principal.actor
        try await deps.store.write { repos in
            try await repos.automation.delete(workspaceId: rule.workspaceId, id: rule.id)
            try await audit.record(in: repos, workspaceId: rule.workspaceId, actor: actor, action: .automationRuleDeleted,
                                   targetType: "automation_rule", targetId: rule.id, ip: ip, details: ["name": rule.name])
        }
    }

    public func get(_ principal: Principal, id: String) async throws -> AutomationRule {
        try principal.require(Permission.readData.leastRole)
        let workspaceId = principal.workspaceId
        guard let rule = try await deps.store.read({ try await $0.automation.find(workspaceId: workspaceId, id: id) }) else {
            throw RapportError.notFound("automation rule")
        }
        return rule
    }

    public func list(_ principal: Principal, page: PageRequest) async throws -> Page<AutomationRule> {
        try principal.require(Permission.readData.leastRole)
        let workspaceId = principal.workspaceId
        return try await deps.store.read { try await $0.automation.list(workspaceId: workspaceId, page: page) }
    }

    /// The newest run of each of `rules`.
    public func lastRuns(_ principal: Principal, of rules: [AutomationRule]) async throws -> [String: AutomationRun] {
        try principal.require(Permission.readData.leastRole)
        let workspaceId = principal.workspaceId
        let ids = rules.map(\.id)
        return try await deps.store.read { try await $0.automation.lastRuns(workspaceId: workspaceId, ruleIds: ids) }
    }

    /// A rule's runs, newest first.
    public func runs(_ principal: Principal, ruleId: String, page: PageRequest) async throws -> Page<AutomationRun> {
        let rule = try await get(principal, id: ruleId)
        return try await deps.store.read { try await $0.automation.runs(workspaceId: rule.workspaceId, ruleId: rule.id, page: page) }
    }

    /// Writes `rule` with `change` after checking what it names exists in the workspace, and audits it.
    private func save(_ principal: Principal, _ rule: AutomationRule, action: AuditAction, ip: String?, check: Bool = true,
                      _ change: @escaping @Sendable (any Repositories) async throws -> Void) async throws {
        let audit = AuditLog(deps)
        let actor = principal.actor
        try await deps.store.write { repos in
            if check { try await Self.checkReferences(rule, in: repos) }
            try await change(repos)
            try await audit.record(in: repos, workspaceId: rule.workspaceId, actor: actor, action: action,
                                   targetType: "automation_rule", targetId: rule.id, ip: ip,
                                   details: ["name": rule.name, "enabled": String(rule.enabled)])
        }
    }

    /// The segment of a segment trigger, the endpoints of webhook actions and the templates of email actions must be the
    /// workspace's (`422`).
    static func checkReferences(_ rule: AutomationRule, in repos: any Repositories) async throws {
        switch rule.trigger {
        case .segmentEntered(let id), .segmentExited(let id):
            guard try await repos.segments.find(workspaceId: rule.workspaceId, id: id) != nil else {
                throw RapportError.invalid("trigger.segment_id", "No segment with that id exists in this workspace.")
            }
        default: break
        }
        for id in (rule.condition?.segmentIds ?? []).sorted() {
            guard try await repos.segments.find(workspaceId: rule.workspaceId, id: id) != nil else {
                throw RapportError.invalid("condition", "The condition names segment \(id), which does not exist in this workspace.")
            }
        }
        for (index, action) in rule.actions.enumerated() {
            switch action {
            case .webhook(let endpointId):
                guard try await repos.webhooks.find(workspaceId: rule.workspaceId, id: endpointId) != nil else {
                    throw RapportError.invalid("actions[\(index)].endpoint_id", "No webhook endpoint with that id exists in this workspace.")
                }
            case .sendEmail(let templateId, _):
                guard try await repos.emails.template(workspaceId: rule.workspaceId, id: templateId) != nil else {
                    throw RapportError.invalid("actions[\(index)].template_id", "No email template with that id exists in this workspace.")
                }
            case .sendSurvey(let surveyId):
                guard let survey = try await repos.surveys.find(workspaceId: rule.workspaceId, id: surveyId) else {
                    throw RapportError.invalid("actions[\(index)].survey_id", "No survey with that id exists in this workspace.")
                }
                guard survey.status == .active || survey.status == .paused else {
                    throw RapportError.invalid("actions[\(index)].survey_id", "The survey is \(survey.status.rawValue); a rule can send an active survey.")
                }
            case .setTrait, .addNote: break
            }
        }
    }
}
