/// `survey.send`: sends one scheduled invitation (its id in the payload) under the contact rules, or suppresses it
/// with the reason. Idempotent: the invitation leaves `scheduled` by a compare-and-set in the transaction that queues
/// its email, so a re-run (a lost lease, two workers) finds it done; inside quiet hours the job is postponed.
public struct SurveySendHandler: JobHandler {
    let invitations: SurveyInvitationService
    public var kind: String { SurveyInvitationService.sendKind }

    public init(_ invitations: SurveyInvitationService) { self.invitations = invitations }

    public func run(_ job: Job) async throws { try await invitations.send(job) }
}

/// `survey.remind`: reminds the person of an invitation still unanswered. Idempotent: the reminder count rises by a
/// compare-and-set in the transaction that queues the email.
public struct SurveyRemindHandler: JobHandler {
    let invitations: SurveyInvitationService
    public var kind: String { SurveyInvitationService.remindKind }

    public init(_ invitations: SurveyInvitationService) { self.invitations = invitations }

    public func run(_ job: Job) async throws { try await invitations.remind(job) }
}
