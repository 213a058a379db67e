/// A survey's public link, managed by admins (who build surveys): made, rotated (a new token; the old link stops
/// working) and disabled; read by every member with the counts of responses it brought. The token is 24 random bytes
/// like an invitation's, and only its SHA-256 is stored: the address is in the answer that made it, and nowhere after.
public struct SurveyLinkService: Sendable {
    let deps: CoreDependencies
    /// Where people reach this server (`PUBLIC_URL`), for the link's address.
    let publicURL: String

    public init(_ deps: CoreDependencies, publicURL: String) {
        self.deps = deps
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
    }

    /// The survey's link (none when it has none) and the responses links brought.
    public func status(_ principal: Principal, surveyId: String) async throws -> SurveyLinkStatus {
        let survey = try await SurveyService(deps).get(principal, id: surveyId)
        return try await deps.store.read { repos in
            let link = try await repos.surveyLinks.current(workspaceId: survey.workspaceId, surveyId: survey.id)
            let counts = try await repos.surveyLinks.counts(workspaceId: survey.workspaceId, surveyId: survey.id)
            return SurveyLinkStatus(surveyId: survey.id, link: link, partial: counts.partial, completed: counts.completed)
        }
    }

    /// Makes the survey's link (`rotate: false`; `409 link_exists` when it has one) or replaces it (`rotate: true`;
    /// `404` when it has none). A closed survey takes neither (`409 survey_closed`). Admins; audited.
    public func issue(_ principal: Principal, surveyId: String, rotate: Bool, ip: String?) async throws -> SurveyLinkStatus {
        try principal.require(Permission.manageWorkspace.leastRole)
        let survey = try await SurveyService(deps).get(principal, id: surveyId)
        guard survey.status != .closed else {
            throw RapportError(.conflict, code: "survey_closed", message: "The survey is closed; a closed survey takes no answers, so it has no link.")
        }
        let token = SecretToken.make(bytes: 24)
        let hash = deps.digest.digest(token)
        let link = SurveyLink(id: deps.ids.next(), workspaceId: survey.workspaceId, surveyId: survey.id,
                              createdBy: principal.actor.id, createdAt: deps.clock.nowMillis)
        let audit = AuditLog(deps)
        let actor = principal.actor
        let counts = try await deps.store.write { repos in
            let existing = try await repos.surveyLinks.current(workspaceId: survey.workspaceId, surveyId: survey.id)
            if rotate, existing == nil {
                throw RapportError(.notFound, code: "link_not_found", message: "This survey has no link to rotate; make one first.")
            }
            if !rotate, existing != nil {
                throw RapportError(.conflict, code: "link_exists",
                                   message: "This survey already has a link; rotate it to get a new address (the old one stops working).")
            }
            try await repos.surveyLinks.replace(link, tokenHash: hash)
            try await audit.record(in: repos, workspaceId: survey.workspaceId, actor: actor,
                                   action: rotate ? .surveyLinkRotated : .surveyLinkCreated, targetType: "survey",
                                   targetId: survey.id, ip: ip, details: ["name": survey.name])
            return try await repos.surveyLinks.counts(workspaceId: survey.workspaceId, surveyId: survey.id)
        }
        return SurveyLinkStatus(surveyId: survey.id, link: link, partial: counts.partial, completed: counts.completed,
                                url: SurveyInvitationService.surveyURL(publicURL, token: token))
    }

    /// Disables the survey's link: its address answers 404 from now on; the responses it brought stay. Nothing to do
    /// when there is none. Admins; audited.
    public func disable(_ principal: Principal, surveyId: String, ip: String?) async throws {
        try principal.require(Permission.manageWorkspace.leastRole)
        let survey = try await SurveyService(deps).get(principal, id: surveyId)
        let audit = AuditLog(deps)
        let actor = principal.actor
        try await deps.store.write { repos in
            guard try await repos.surveyLinks.remove(workspaceId: survey.workspaceId, surveyId: survey.id) else { return }
            try await audit.record(in: repos, workspaceId: survey.workspaceId, actor: actor, action: .surveyLinkDisabled,
                                   targetType: "survey", targetId: survey.id, ip: ip, details: ["name": survey.name])
        }
    }
}
