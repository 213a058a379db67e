/// Follow-up cases (docs/surveys.md, "Closing the loop"): listed and read by analysts and up, worked (assigned,
/// moved, closed with an outcome, noted) by agents and up. Cases are opened by `SurveyResponseService` when a response
/// meets its survey's `FollowUpRule`.
public struct FollowUpService: Sendable {
    let deps: CoreDependencies
    let outbox: EmailOutbox?

    public init(_ deps: CoreDependencies, outbox: EmailOutbox?) {
        self.deps = deps
        self.outbox = outbox
    }

    /// The fields `update` takes.
    public static let fields: Set<String> = ["owner_id", "status", "due_at", "outcome"]

    /// A case with what its page shows: the notes, the response it follows up and the survey's name.
    public struct Detail: Sendable {
        public var followUp: FollowUpCase
        public var notes: [FollowUpNote]
        public var response: SurveyResponse?
        public var survey: Survey?
        public var owner: Member?
        /// The survey sent after the resolution and the answer to it, when there are.
        public var resurvey: SurveyInvitation?
        public var resurveyResponse: SurveyResponse?

        public var surveyName: String? { survey?.name }
    }

    public func list(_ principal: Principal, query: FollowUpQuery, page: PageRequest) async throws -> Page<FollowUpCase> {
        try principal.require(Permission.readData.leastRole)
        let workspaceId = principal.workspaceId
        return try await deps.store.read { repos in
            var resolved = query
            if let teamId = query.teamId {
                resolved.ownerIds = try await AgentTeamService.find(repos, workspaceId: workspaceId, id: teamId).memberIds
            } else if let userId = query.teammatesOf {
                resolved.ownerIds = try await repos.agentTeams.teammates(workspaceId: workspaceId, userId: userId)
            }
            return try await repos.followUps.list(workspaceId: workspaceId, resolved, page: page)
        }
    }

    public func get(_ principal: Principal, id: String) async throws -> Detail {
        try principal.require(Permission.readData.leastRole)
        let workspaceId = principal.workspaceId
        return try await deps.store.read { repos in
            let followUp = try await Self.find(repos, workspaceId: workspaceId, id: id)
            let notes = try await repos.followUps.notes(workspaceId: workspaceId, caseId: id)
            let response = try await repos.surveyResponses.find(workspaceId: workspaceId, id: followUp.responseId)
            let survey = try await repos.surveys.find(workspaceId: workspaceId, id: followUp.surveyId)
            var owner: Member?
            if let ownerId = followUp.ownerId { owner = try await repos.memberships.member(workspaceId: workspaceId, userId: ownerId) }
            var detail = Detail(followUp: followUp, notes: notes, response: response, survey: survey, owner: owner)
            if let invitationId = followUp.resurveyInvitationId {
                detail.resurvey = try await repos.surveyInvitations.find(workspaceId: workspaceId, id: invitationId)
                detail.resurveyResponse = try await repos.surveyResponses.find(workspaceId: workspaceId, invitationId: invitationId)
            }
            return detail
        }
    }

    /// Changes the owner, status, due time or outcome. A move the status does not allow is a conflict; closing
    /// (`resolved`, `wont_fix`) needs an outcome, given now or before; a closed case takes notes only.
    public func update(_ principal: Principal, id: String, fields: [String: JSONValue]) async throws -> FollowUpCase {
        try principal.require(Permission.writeData.leastRole)
        try Validation.knownFields(fields, allowed: Self.fields, of: "a follow-up case")
        var status: FollowUpStatus?
        if let raw = fields["status"] {
            guard let value = raw.stringValue.flatMap(FollowUpStatus.init(rawValue:)) else {
                throw RapportError.invalid("status", "status must be one of: \(FollowUpStatus.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            status = value
        }
        var dueAt: Int64?
        if let raw = fields["due_at"] {
            let latest = deps.clock.nowMillis + 3_650 * 86_400_000
            guard let text = raw.stringValue, let millis = ISO8601.millis(text),
                  (EventTime.earliest...latest).contains(millis) else {
                throw RapportError.invalid("due_at", "due_at must be an ISO-8601 timestamp between 2000-01-01 and ten years from now.")
            }
            dueAt = millis
        }
        var outcome: String??
        if let raw = fields["outcome"] { outcome = .some(try Self.outcome(raw)) }
        var ownerChange: String??
        if let raw = fields["owner_id"] {
            if raw.isNull {
                ownerChange = .some(nil)
            } else {
                guard let text = raw.stringValue, IDGenerator.isUUID(text) else {
                    throw RapportError.invalid("owner_id", "owner_id must be a member's user id or null.")
                }
                ownerChange = .some(text.lowercased())
            }
        }
        let workspaceId = principal.workspaceId, deps = self.deps, outbox = self.outbox
        let wantedStatus = status, wantedDue = dueAt, wantedOutcome = outcome, wantedOwner = ownerChange
        let actorId = principal.user?.id
        return try await deps.store.write { repos in
            var followUp = try await Self.find(repos, workspaceId: workspaceId, id: id)
            let before = followUp
            if followUp.status.isClosed {
                throw RapportError(.conflict, code: "follow_up_closed",
                                   message: "The case is \(followUp.status.rawValue): a closed case takes notes only.")
            }
            var newOwner: Member?
            if let wantedOwner {
                if let userId = wantedOwner {
                    guard let member = try await repos.memberships.member(workspaceId: workspaceId, userId: userId) else {
                        throw RapportError.invalid("owner_id", "owner_id must be a member of this workspace.")
                    }
                    newOwner = member
                }
                followUp.ownerId = wantedOwner
            }
            if let wantedDue { followUp.dueAt = wantedDue }
            if let wantedOutcome { followUp.outcome = wantedOutcome }
            if let wantedStatus, wantedStatus != followUp.status {
                guard followUp.status.next.contains(wantedStatus) else {
                    throw RapportError(.conflict, code: "illegal_transition",
                                       message: "A case that is \(followUp.status.rawValue) cannot become \(wantedStatus.rawValue); "
                                           + "it may become: \(followUp.status.next.map(\.rawValue).joined(separator: ", ")).",
                                       details: ["from": followUp.status.rawValue, "to": wantedStatus.rawValue])
                }
                if wantedStatus.isClosed, followUp.outcome == nil {
                    throw RapportError.invalid("outcome", "Closing a case needs an outcome (e.g. \(FollowUpCase.suggestedOutcomes.prefix(3).joined(separator: ", "))).")
                }
                followUp.status = wantedStatus
            }
            guard followUp != before else { return followUp }
            let now = deps.clock.nowMillis
            followUp.updatedAt = now
            if followUp.status.isClosed { followUp.closedAt = now }
            let survey = try await repos.surveys.find(workspaceId: workspaceId, id: followUp.surveyId)
            if followUp.status == .resolved, before.status != .resolved, let rule = survey?.settings.followUp {
                followUp.resurveyInvitationId = try await FollowUpResurvey(deps: deps).schedule(for: followUp, rule: rule, in: repos)
            }
            try await repos.followUps.update(followUp)
            let surveyName = survey?.name ?? ""
            if followUp.status.isClosed {
                try await FollowUpEvents(deps: deps).closed(followUp, surveyName: surveyName, in: repos)
            }
            if let newOwner, newOwner.user.id != before.ownerId, newOwner.user.id != actorId, !followUp.status.isClosed {
                try await FollowUpNotice(outbox: outbox).send(followUp, to: newOwner, surveyName: surveyName, reason: .assigned, in: repos)
            }
            return followUp
        }
    }

    /// Adds a note (1–4,000 characters) by the caller; a closed case takes notes too.
    public func addNote(_ principal: Principal, id: String, text raw: JSONValue?) async throws -> FollowUpNote {
        try principal.require(Permission.writeData.leastRole)
        guard let text = raw?.stringValue?.trimmed, !text.isEmpty, text.count <= FollowUpCase.maxNoteLength else {
            throw RapportError.invalid("text", "text must be a note of 1–\(FollowUpCase.maxNoteLength) characters.")
        }
        let workspaceId = principal.workspaceId, deps = self.deps, author = principal.actor
        return try await deps.store.write { repos in
            let followUp = try await Self.find(repos, workspaceId: workspaceId, id: id)
            let note = FollowUpNote(id: deps.ids.next(), workspaceId: workspaceId, caseId: followUp.id, customerId: followUp.customerId,
                                    authorId: author.id ?? "", authorLabel: author.label ?? author.type.rawValue, text: text, createdAt: deps.clock.nowMillis)
            try await repos.followUps.insertNote(note)
            return note
        }
    }

    /// Time to close and the share closed before due for one survey's cases (the metrics read them).
    public func closeStats(_ principal: Principal, surveyId: String) async throws -> FollowUpCloseStats {
        try principal.require(Permission.readData.leastRole)
        let workspaceId = principal.workspaceId
        return try await deps.store.read { try await $0.followUps.closeStats(workspaceId: workspaceId, surveyId: surveyId) }
    }

    static func find(_ repos: any Repositories, workspaceId: String, id: String) async throws -> FollowUpCase {
        guard let followUp = try await repos.followUps.find(workspaceId: workspaceId, id: id) else {
            throw RapportError.notFound("follow-up case")
        }
        return followUp
    }

    /// An outcome: nil for null, else a text of 1–200 characters.
    static func outcome(_ raw: JSONValue) throws(RapportError) -> String? {
        if raw.isNull { return nil }
        guard let text = raw.stringValue?.trimmed, !text.isEmpty, text.count <= FollowUpCase.maxOutcomeLength else {
            throw RapportError.invalid("outcome", "outcome must be a text of 1–\(FollowUpCase.maxOutcomeLength) characters, "
                                           + "e.g. \(FollowUpCase.suggestedOutcomes.prefix(3).joined(separator: ", ")).")
        }
        return text
    }
}

extension FollowUpService {
    /// The `owner` filter of the queue into `query`: `me` (the signed-in user), `my_team` (everyone who shares a team
    /// with them) or a user id; nothing when absent.
    public static func applyOwnerFilter(_ raw: String?, principal: Principal, to query: inout FollowUpQuery) throws(RapportError) {
        guard let raw, !raw.isEmpty else { return }
        if raw == "me" || raw == "my_team" {
            guard let user = principal.user else {
                // A key has no "me": refused like any other thing the caller may not do, not as a malformed query.
                throw RapportError(.forbidden, code: "forbidden",
                                   message: "owner=\(raw) needs a signed-in user; an API key names the owner by user id.",
                                   details: ["field": "owner"])
            }
            if raw == "me" { query.ownerId = user.id } else { query.teammatesOf = user.id }
            return
        }
        guard IDGenerator.isUUID(raw) else {
            throw RapportError(.badRequest, code: "invalid_parameter", message: "owner must be me, my_team or a user id.",
                               details: ["field": "owner"])
        }
        query.ownerId = raw.lowercased()
    }
}
