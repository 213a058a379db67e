import Foundation

/// What the hosted page `/s/{token}` shows: the survey's visible questions in the person's language, the answers
/// given so far, and where the response stands.
public struct SurveyPageState: Sendable {
    public enum Stage: Sendable, Equatable {
        /// Questions to answer (none finished yet, or more appeared after the last answers).
        case asking
        /// Finished; still editable until `until`.
        case finished(editableUntil: Int64?)
        /// The survey was closed: nothing more is taken.
        case closed
    }

    public var workspaceName: String
    public var surveyName: String
    public var definition: SurveyDefinition
    public var language: String
    public var answers: [String: JSONValue]
    public var questions: [SurveyQuestion]
    public var stage: Stage
    /// The score the email's link proposed, to confirm (not saved yet).
    public var proposedScore: Int?
    /// Whether answers are saved (the page says so when it asks more).
    public var saved: Bool

    public init(workspaceName: String, surveyName: String, definition: SurveyDefinition, language: String,
                answers: [String: JSONValue], questions: [SurveyQuestion], stage: Stage, proposedScore: Int?, saved: Bool) {
        self.workspaceName = workspaceName
        self.surveyName = surveyName
        self.definition = definition
        self.language = language
        self.answers = answers
        self.questions = questions
        self.stage = stage
        self.proposedScore = proposedScore
        self.saved = saved
    }
}

/// The hosted page's answers, by token: no sign-in, the token names one invitation. A partial answer is saved as it
/// is given; the response is `completed` once every required question shown is answered (its timeline entry and
/// webhook follow then, once); it can be changed within the survey's edit window; the invitation has at most one
/// response (a unique index, and a second submission updates the first).
public struct SurveyTaking: Sendable {
    let deps: CoreDependencies
    /// For the follow-up case's email to its owner when an answer is unhappy.
    let outbox: EmailOutbox?

    public init(_ deps: CoreDependencies, outbox: EmailOutbox?) {
        self.deps = deps
        self.outbox = outbox
    }

    /// A form's answers: question id → the values posted for it (several for a multiple choice).
    public typealias FormAnswers = [String: [String]]

    /// The page for `token`; nil when the token names no invitation (the page answers 404, whatever the reason).
    public func open(token: String, proposedScore: Int? = nil) async throws -> SurveyPageState? {
        let hash = deps.digest.digest(token)
        let now = deps.clock.nowMillis
        return try await deps.store.read { repos -> SurveyPageState? in
            guard let context = try await Self.context(repos, tokenHash: hash) else { return nil }
            var state = context.state(now: now, revealed: false)
            if case .asking = state.stage, let primary = context.definition.primaryQuestion, let score = proposedScore,
               primary.scoreRange?.contains(score) == true {
                state.proposedScore = score
            }
            return state
        }
    }

    /// Saves the answers posted from the page (merged with those given before; answers to questions the logic now
    /// hides are dropped). Throws a validation error naming the question when an answer is not valid (nothing is
    /// saved then); nil when the token names no invitation.
    public func answer(token: String, form: FormAnswers) async throws -> SurveyPageState? {
        let hash = deps.digest.digest(token)
        let (deps, outbox) = (self.deps, self.outbox)
        return try await deps.store.write { repos -> SurveyPageState? in
            guard var context = try await Self.context(repos, tokenHash: hash) else { return nil }
            let now = deps.clock.nowMillis
            let before = Set(context.definition.visibleQuestions(answers: context.answers).map(\.id))
            switch context.state(now: now, revealed: false).stage {
            case .closed:
                throw RapportError(.conflict, code: "survey_closed", message: "This survey is closed; answers are no longer taken.")
            case .finished(let until) where until.map({ now >= $0 }) ?? true:
                throw RapportError(.conflict, code: "response_final", message: "Your answers were saved and can no longer be changed.")
            default: break
            }
            var answers = context.answers
            for question in context.definition.questions {
                guard let values = form[question.id] else { continue }
                let given = values.map(\.trimmed).filter { !$0.isEmpty }
                if given.isEmpty { answers[question.id] = nil; continue }
                let raw: JSONValue = question.type == .multipleChoice ? .array(given.map { .string($0) }) : .string(given[0])
                answers[question.id] = try question.validate(raw, field: question.id)
            }
            answers = Self.shown(answers, definition: context.definition)
            let visible = context.definition.visibleQuestions(answers: answers)
            let missing = visible.first { $0.required && answers[$0.id] == nil }
            guard !answers.isEmpty else {
                let first = visible.first?.id ?? "answers"
                throw RapportError.invalid(first, "Answer at least one question.")
            }
            if let missing, context.response?.status == .completed {
                throw RapportError.invalid(missing.id, "This question needs an answer.")
            }
            try await context.save(answers: answers, complete: missing == nil, in: repos, deps: deps, outbox: outbox, now: now)
            let revealed = !Set(visible.map(\.id)).subtracting(before).filter { answers[$0] == nil }.isEmpty
            return context.state(now: now, revealed: revealed)
        }
    }

    /// Keeps only the answers to questions shown for them (hiding one answer can hide another, so until stable).
    static func shown(_ answers: [String: JSONValue], definition: SurveyDefinition) -> [String: JSONValue] {
        var kept = answers
        while true {
            let visible = Set(definition.visibleQuestions(answers: kept).map(\.id))
            let next = kept.filter { visible.contains($0.key) }
            if next.count == kept.count { return kept }
            kept = next
        }
    }

    /// Everything a token leads to.
    struct Context {
        var invitation: SurveyInvitation
        var survey: Survey
        var workspaceName: String
        var definition: SurveyDefinition
        var language: String
        var response: SurveyResponse?
        var answers: [String: JSONValue] { response?.answers ?? [:] }

        func state(now: Int64, revealed: Bool) -> SurveyPageState {
            let stage: SurveyPageState.Stage
            if survey.status == .closed {
                stage = .closed
            } else if let response, response.status == .completed, !revealed {
                let window = Int64(survey.settings.editWindowHours) * 3_600_000
                let until = window > 0 ? (response.submittedAt ?? response.updatedAt) + window : nil
                stage = .finished(editableUntil: until.flatMap { $0 > now ? $0 : nil })
            } else {
                stage = .asking
            }
            return SurveyPageState(workspaceName: workspaceName, surveyName: survey.name, definition: definition,
                                   language: language, answers: answers, questions: definition.visibleQuestions(answers: answers),
                                   stage: stage, proposedScore: nil, saved: response != nil)
        }

        /// Inserts or updates the invitation's response; the first completion adds the timeline entry and the
        /// webhook event and marks the invitation `responded`.
        mutating func save(answers: [String: JSONValue], complete: Bool, in repos: any Repositories, deps: CoreDependencies,
                           outbox: EmailOutbox?, now: Int64) async throws {
            let wasComplete = response?.status == .completed
            var next = response ?? SurveyResponse(
                id: deps.ids.next(), workspaceId: invitation.workspaceId, surveyId: survey.id, version: survey.version,
                customerId: invitation.customerId, invitationId: invitation.id, channel: invitation.channel, language: language,
                answers: [:], attributes: invitation.attributes, status: .partial, submittedAt: nil, createdAt: now, updatedAt: now)
            next.answers = answers
            next.updatedAt = now
            next.score = nil
            next.band = nil
            if let primary = definition.primaryQuestion, let number = answers[primary.id]?.numberValue {
                next.score = Int(number)
                next.band = primary.band(of: Int(number))
            }
            // A finished response stays finished (an edit may not leave a required question empty).
            if complete || wasComplete { next.status = .completed }
            if complete, !wasComplete { next.submittedAt = now }
            if response != nil {
                try await repos.surveyResponses.update(next)
                if next.status == .completed, !wasComplete {
                    try await SurveyResponseService.completed(next, surveyName: survey.name, in: repos, deps: deps, outbox: outbox)
                }
            } else {
                try await SurveyResponseService.store(next, surveyName: survey.name, in: repos, deps: deps, outbox: outbox)
            }
            if next.status == .completed, !wasComplete {
                var responded = invitation
                responded.status = .responded
                responded.respondedAt = now
                responded.updatedAt = now
                _ = try await repos.surveyInvitations.transition(responded, from: invitation.status)
                invitation = responded
            }
            response = next
        }
    }

    static func context(_ repos: any Repositories, tokenHash: String) async throws -> Context? {
        guard let invitation = try await repos.surveyInvitations.find(tokenHash: tokenHash),
              let survey = try await repos.surveys.find(workspaceId: invitation.workspaceId, id: invitation.surveyId),
              let workspace = try await repos.workspaces.find(id: invitation.workspaceId) else { return nil }
        let response = try await repos.surveyResponses.find(workspaceId: invitation.workspaceId, invitationId: invitation.id)
        var definition = survey.definition
        if let response, response.version != survey.version,
           let answered = try await repos.surveys.version(workspaceId: survey.workspaceId, surveyId: survey.id, version: response.version) {
            definition = answered.definition
        }
        var language = response?.language
        if language == nil {
            let customer = try await repos.customers.find(workspaceId: invitation.workspaceId, id: invitation.customerId)
            language = definition.language(forLocale: customer?.traits["locale"]?.stringValue)
        }
        return Context(invitation: invitation, survey: survey, workspaceName: workspace.name, definition: definition,
                       language: language ?? definition.defaultLanguage, response: response)
    }
}
