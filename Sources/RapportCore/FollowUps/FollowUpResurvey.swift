/// The survey sent after a case is resolved (docs/surveys.md, "Closing the loop"): when the rule of the survey that
/// opened the case names `resurvey_after_hours`, the customer is invited again (to that survey, or to
/// `resurvey_survey_id`), carrying the first response's attributes plus `follow_up_id` and `previous_score`, so the
/// two answers can be compared. The invitation's source is `follow_up`: the send applies consent, the address checks
/// and quiet hours, but not the recontact period or the survey's own limits, which would always hold it back days
/// after the first invitation. When it cannot be scheduled (the survey is not active), a note on the case says why.
struct FollowUpResurvey {
    static let source = "follow_up"

    let deps: CoreDependencies

    /// Schedules the invitation in `repos`' transaction and returns its id, or adds a note and returns nil.
    func schedule(for followUp: FollowUpCase, rule: FollowUpRule, in repos: any Repositories) async throws -> String? {
        guard let hours = rule.resurveyAfterHours, let customerId = followUp.customerId else { return nil }
        let surveyId = rule.resurveySurveyId ?? followUp.surveyId
        let survey = try await repos.surveys.find(workspaceId: followUp.workspaceId, id: surveyId)
        guard let survey, survey.status == .active else {
            let why = survey.map { "the survey \"\($0.name)\" is \($0.status.rawValue)" } ?? "the survey set for it no longer exists"
            try await repos.followUps.insertNote(FollowUpNote(
                id: deps.ids.next(), workspaceId: followUp.workspaceId, caseId: followUp.id, customerId: customerId,
                authorId: "", authorLabel: AuditActor.system.label ?? "rapport",
                text: "No follow-up survey was sent after the resolution: \(why).", createdAt: deps.clock.nowMillis))
            return nil
        }
        let first = try await repos.surveyResponses.find(workspaceId: followUp.workspaceId, id: followUp.responseId)?.attributes ?? [:]
        // Room for the two keys added below within a response's attribute limit.
        var attributes = Dictionary(uniqueKeysWithValues: first.sorted { $0.key < $1.key }.prefix(SurveyResponse.maxAttributes - 2)
            .map { ($0.key, $0.value) })
        attributes["follow_up_id"] = followUp.id
        if let score = followUp.score { attributes["previous_score"] = String(score) }
        let invitation = try await SurveyInvitationService.schedule(
            in: repos, deps: deps, survey: survey, customerId: customerId, attributes: attributes, source: Self.source,
            sendAt: deps.clock.nowMillis + Int64(hours) * 3_600_000)
        return invitation.id
    }
}
