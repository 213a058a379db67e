/// Building surveys: admins create, change, activate, pause, close and delete them (audited); analysts and up read
/// them and their versions. A change to the questions or languages of a survey that has been active makes a new
/// version; a draft's are rewritten in place. Every call is scoped to the caller's workspace.
public struct SurveyService: Sendable {
    let deps: CoreDependencies

    public init(_ deps: CoreDependencies) { self.deps = deps }

    /// The fields a client may send on create (`name` and `questions` required) and update.
    public static let fields: Set<String> = ["name", "languages", "questions", "settings"]

    public func create(_ principal: Principal, fields: [String: JSONValue], ip: String?) async throws -> Survey {
        try principal.require(Permission.manageWorkspace.leastRole)
        try Self.checkKeys(fields)
        for required in ["name", "questions"] where fields[required] == nil || fields[required]?.isNull == true {
            throw RapportError.invalid(required, "\(required) is required.")
        }
        let name = try Validation.name(fields["name"]?.stringValue ?? "")
        let definition = try SurveyDefinition.parse(languages: fields["languages"], questions: fields["questions"])
        var settings = SurveySettings()
        if let raw = fields["settings"], !raw.isNull { try settings.apply(raw) }
        let now = deps.clock.nowMillis
        let survey = Survey(id: deps.ids.next(), workspaceId: principal.workspaceId, name: name, definition: definition,
                            settings: settings, createdBy: principal.user?.id, createdAt: now, updatedAt: now)
        try await record(principal, survey, action: .surveyCreated, ip: ip) { try await $0.surveys.insert(survey) }
        return survey
    }

    /// Changes the fields given. New questions or languages on a survey that has been active are a new version, which
    /// answers from then on follow; a closed survey cannot change.
    public func update(_ principal: Principal, id: String, fields: [String: JSONValue], ip: String?) async throws -> Survey {
        try principal.require(Permission.manageWorkspace.leastRole)
        try Self.checkKeys(fields)
        var survey = try await get(principal, id: id)
        guard survey.status != .closed else {
            throw RapportError(.conflict, code: "survey_closed", message: "A closed survey cannot be changed; copy it into a new survey.")
        }
        let before = survey
        survey = try Self.applying(fields, to: survey)
        var newVersion: SurveyVersion?
        var rewritten: SurveyVersion?
        if survey.definition != before.definition {
            let definition = survey.definition
            if survey.published {
                survey.version += 1
                survey.published = survey.status == .active
                newVersion = SurveyVersion(surveyId: survey.id, version: survey.version, definition: definition,
                                           published: survey.published, createdAt: deps.clock.nowMillis)
            } else {
                rewritten = SurveyVersion(surveyId: survey.id, version: survey.version, definition: definition,
                                          published: false, createdAt: survey.createdAt)
            }
        }
        survey.updatedAt = deps.clock.nowMillis
        let changed = survey, added = newVersion, replaced = rewritten
        try await record(principal, changed, action: .surveyUpdated, ip: ip,
                         details: added.map { ["version": String($0.version)] } ?? [:]) { repos in
            try await repos.surveys.update(changed)
            if let added { try await repos.surveys.insertVersion(workspaceId: changed.workspaceId, added) }
            if let replaced { try await repos.surveys.updateVersion(workspaceId: changed.workspaceId, replaced) }
        }
        return changed
    }

    /// The survey as `update` would change it with `fields`, checked the same way but saved nowhere (the survey builder's
    /// preview of a draft); its version is the one saving would make.
    public func draft(_ principal: Principal, id: String, fields: [String: JSONValue]) async throws -> Survey {
        try principal.require(Permission.manageWorkspace.leastRole)
        try Self.checkKeys(fields)
        let survey = try await get(principal, id: id)
        var changed = try Self.applying(fields, to: survey)
        if changed.definition != survey.definition, survey.published { changed.version += 1 }
        return changed
    }

    /// `fields` applied to `survey` (name, settings, languages and questions), each checked; errors name the field.
    static func applying(_ fields: [String: JSONValue], to survey: Survey) throws(RapportError) -> Survey {
        var survey = survey
        for required in ["name", "questions"] where fields[required]?.isNull == true {
            throw RapportError.invalid(required, "\(required) must not be null.")
        }
        if let raw = fields["name"] { survey.name = try Validation.name(raw.stringValue ?? "") }
        if let raw = fields["settings"], !raw.isNull { try survey.settings.apply(raw) }
        if fields["questions"] != nil || fields["languages"] != nil {
            survey.definition = try SurveyDefinition.parse(
                languages: fields["languages"] ?? survey.definition.json["languages"],
                questions: fields["questions"] ?? survey.definition.json["questions"])
        }
        return survey
    }

    /// Moves the survey to `status` (`active`, `paused` or `closed`) when its life allows it (`SurveyStatus.next`).
    /// Activating publishes the current version: later changes to it make a new one.
    public func setStatus(_ principal: Principal, id: String, to status: SurveyStatus, ip: String?) async throws -> Survey {
        try principal.require(Permission.manageWorkspace.leastRole)
        var survey = try await get(principal, id: id)
        guard survey.status != status else { return survey }
        guard survey.status.next.contains(status) else {
            throw RapportError(.conflict, code: "invalid_transition",
                               message: "A \(survey.status.rawValue) survey cannot become \(status.rawValue)"
                                   + (survey.status.next.isEmpty ? "." : "; it can become \(survey.status.next.map(\.rawValue).joined(separator: " or "))."),
                               details: ["status": survey.status.rawValue])
        }
        survey.status = status
        survey.updatedAt = deps.clock.nowMillis
        let publishes = status == .active && !survey.published
        if publishes { survey.published = true }
        let action: AuditAction = switch status {
        case .active: .surveyActivated
        case .paused: .surveyPaused
        case .closed: .surveyClosed
        case .draft: .surveyUpdated
        }
        let changed = survey
        try await record(principal, changed, action: action, ip: ip) { repos in
            try await repos.surveys.update(changed)
            if publishes { try await repos.surveys.publish(workspaceId: changed.workspaceId, surveyId: changed.id, version: changed.version) }
        }
        return changed
    }

    /// Deletes a survey that was never active (nothing can refer to it); one that was is closed instead.
    public func delete(_ principal: Principal, id: String, ip: String?) async throws {
        try principal.require(Permission.manageWorkspace.leastRole)
        let survey = try await get(principal, id: id)
        guard !survey.published, survey.version == 1 else {
            throw RapportError(.conflict, code: "survey_in_use",
                               message: "This survey has been active, so answers may refer to it: close it instead of deleting it.")
        }
        try await record(principal, survey, action: .surveyDeleted, ip: ip) { repos in
            try await repos.surveys.delete(workspaceId: survey.workspaceId, id: survey.id)
            _ = try await repos.surveyLinks.remove(workspaceId: survey.workspaceId, surveyId: survey.id)
        }
    }

    public func get(_ principal: Principal, id: String) async throws -> Survey {
        try principal.require(Permission.readData.leastRole)
        let workspaceId = principal.workspaceId
        guard let survey = try await deps.store.read({ try await $0.surveys.find(workspaceId: workspaceId, id: id) }) else {
            throw RapportError.notFound("survey")
        }
        return survey
    }

    public func version(_ principal: Principal, id: String, version: Int) async throws -> SurveyVersion {
        let survey = try await get(principal, id: id)
        guard let found = try await deps.store.read({
            try await $0.surveys.version(workspaceId: survey.workspaceId, surveyId: survey.id, version: version)
        }) else { throw RapportError.notFound("survey version") }
        return found
    }

    public func list(_ principal: Principal, status: SurveyStatus?, page: PageRequest) async throws -> Page<Survey> {
        try principal.require(Permission.readData.leastRole)
        let workspaceId = principal.workspaceId
        return try await deps.store.read { try await $0.surveys.list(workspaceId: workspaceId, status: status, page: page) }
    }

    static func checkKeys(_ fields: [String: JSONValue]) throws(RapportError) {
        try Validation.knownFields(fields, allowed: Self.fields, of: "a survey")
    }

    private func record(_ principal: Principal, _ survey: Survey, action: AuditAction, ip: String?, details: [String: String] = [:],
                        _ body: @escaping @Sendable (any Repositories) async throws -> Void) async throws {
        let audit = AuditLog(deps)
        let actor = principal.actor
        var all = details
        all["name"] = survey.name
        let recorded = all
        try await deps.store.write { repos in
            try await body(repos)
            try await audit.record(in: repos, workspaceId: survey.workspaceId, actor: actor, action: action,
                                   targetType: "survey", targetId: survey.id, ip: ip, details: recorded)
        }
    }
}
