/// What a survey looks like to the people it asks, before anyone is asked: the hosted page's state and the invitation
/// email, built by the code that serves and sends them (`SurveyPageState`, `SurveyInvitationEmail`,
/// `EmailOutbox.render`) for a sample customer. Nothing is stored and no link works: the page has no token, the
/// email's links name none.
public struct SurveyPreview: Sendable {
    /// The survey as previewed (a draft's fields applied; not saved).
    public var survey: Survey
    public var language: String
    public var page: SurveyPageState
    public var email: EmailContent
}

/// Previews for the survey builder: of the survey as stored (readers), or of a draft of changes (admins, who build).
public struct SurveyPreviewing: Sendable {
    let deps: CoreDependencies
    let outbox: EmailOutbox
    let publicURL: String

    public init(_ deps: CoreDependencies, outbox: EmailOutbox, publicURL: String) {
        self.deps = deps
        self.outbox = outbox
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
    }

    /// The sample person the email is addressed to.
    public static let sampleName = "Alex Sample"
    public static let sampleAddress = "alex.sample@example.com"
    /// Stands where an invitation's token goes: not a token (`/s/preview` is a 404), so a preview link records nothing.
    static let placeholderToken = "preview"

    /// The preview of survey `id` (with `draft`'s fields applied when given, checked as `SurveyService.update` checks
    /// them) in `language` (else the default), with the headline question answered `score` when given, so that the
    /// page shows the questions that score reveals.
    public func preview(_ principal: Principal, id: String, draft: [String: JSONValue]?, language: String?,
                        score: Int?) async throws -> SurveyPreview {
        let surveys = SurveyService(deps)
        let survey: Survey
        if let draft {
            survey = try await surveys.draft(principal, id: id, fields: draft)
        } else {
            survey = try await surveys.get(principal, id: id)
        }
        let definition = survey.definition
        let chosen = definition.languages.first { $0.lowercased() == language?.lowercased() } ?? definition.defaultLanguage
        var answers: [String: JSONValue] = [:]
        if let score, let primary = definition.primaryQuestion, primary.scoreRange?.contains(score) == true {
            answers[primary.id] = .number(Double(score))
        }
        let workspaceName = principal.workspace.name
        let page = SurveyPageState(workspaceName: workspaceName, brandColor: principal.workspace.brandColor, surveyName: survey.name, definition: definition, language: chosen,
                                   answers: answers, questions: definition.visibleQuestions(answers: answers), stage: .asking,
                                   proposedScore: nil, saved: false)
        let now = deps.clock.nowMillis
        let sample = Customer(id: "sample", workspaceId: principal.workspaceId,
                              traits: ["name": .string(Self.sampleName), "first_name": "Alex", "last_name": "Sample",
                                       "email": .string(Self.sampleAddress), "locale": .string(chosen)],
                              createdAt: now, updatedAt: now, firstSeenAt: now, lastSeenAt: now)
        let data = SurveyInvitationEmail.data(
            survey: survey, language: chosen, workspace: principal.workspace,
            surveyURL: SurveyInvitationService.surveyURL(publicURL, token: Self.placeholderToken), reminder: false)
        let email = try outbox.render(SurveyInvitationEmail.content, data: data, workspaceName: workspaceName,
                                      recipient: Self.sampleAddress, customer: sample, unsubscribeToken: Self.placeholderToken)
        return SurveyPreview(survey: survey, language: chosen, page: page, email: email)
    }
}
