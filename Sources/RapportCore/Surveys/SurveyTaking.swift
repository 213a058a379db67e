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
        /// A link to a survey that is not active (a draft, or paused): nothing is taken for now.
        case unavailable
    }

    public var workspaceName: String
    /// The workspace's colour for the page's header and buttons; nil: Rapport's own.
    public var brandColor: BrandColor?
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

    public init(workspaceName: String, brandColor: BrandColor? = nil, surveyName: String, definition: SurveyDefinition,
                language: String, answers: [String: JSONValue], questions: [SurveyQuestion], stage: Stage, proposedScore: Int?,
                saved: Bool) {
        self.workspaceName = workspaceName
        self.brandColor = brandColor
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

/// The hosted page's answers, by token: no sign-in, the token names one invitation or a survey's public link. A
/// partial answer is saved as it is given; the response is `completed` once every required question shown is answered
/// (its timeline entry and webhook follow then, once); it can be changed within the survey's edit window; an
/// invitation has at most one response, and so has a link's resume token (unique keys, and a second submission
/// updates the first).
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
        return try await open(proposedScore: proposedScore) { repos in try await Self.context(repos, tokenHash: hash) }
    }

    /// Saves the answers posted from the page (merged with those given before; answers to questions the logic now
    /// hides are dropped). Throws a validation error naming the question when an answer is not valid (nothing is
    /// saved then); nil when the token names no invitation.
    public func answer(token: String, form: FormAnswers) async throws -> SurveyPageState? {
        let hash = deps.digest.digest(token)
        return try await answer(form: form) { repos in try await Self.context(repos, tokenHash: hash) }
    }

    /// Whether `token` names a survey's live link (rather than an invitation, or nothing).
    public func isLink(token: String) async throws -> Bool {
        let hash = deps.digest.digest(token)
        return try await deps.store.read { try await $0.surveyLinks.find(tokenHash: hash) } != nil
    }

    /// The page of a survey's public link: the response that `resumeToken` (the browser's) names, else empty
    /// questions in the language `locale` (the browser's) asks for. Nil when the token names no live link.
    public func openLink(token: String, resumeToken: String, locale: String?, proposedScore: Int? = nil) async throws
        -> SurveyPageState? {
        let (hash, resume) = (deps.digest.digest(token), deps.digest.digest(resumeToken))
        return try await open(proposedScore: proposedScore) { repos in
            try await Self.linkContext(repos, tokenHash: hash, resumeHash: resume, locale: locale, attributes: [:])
        }
    }

    /// Whether `resumeToken` already names a response of the link (a new one is started otherwise).
    public func linkResponseExists(token: String, resumeToken: String) async throws -> Bool {
        let (hash, resume) = (deps.digest.digest(token), deps.digest.digest(resumeToken))
        return try await deps.store.read { repos in
            guard let link = try await repos.surveyLinks.find(tokenHash: hash) else { return false }
            return try await repos.surveyLinks.responseId(resumeHash: resume, link: link) != nil
        }
    }

    /// Saves answers posted through a public link: to the response `resumeToken` names, else to a new anonymous
    /// response (channel `link`, no customer, `attributes` from the link's query) tied to that token, so the same form
    /// sent twice makes one response. Only an active survey takes answers (`409`). Nil when the token names no live link.
    public func answerLink(token: String, resumeToken: String, locale: String?, attributes: [String: String],
                           form: FormAnswers) async throws -> SurveyPageState? {
        let (hash, resume) = (deps.digest.digest(token), deps.digest.digest(resumeToken))
        let load: @Sendable (any Repositories) async throws -> Context? = { repos in
            try await Self.linkContext(repos, tokenHash: hash, resumeHash: resume, locale: locale, attributes: attributes)
        }
        do {
            return try await answer(form: form, load: load)
        } catch is ResumeTaken {
            // A concurrent submission of the same form made the response first: add these answers to it.
            return try await answer(form: form, load: load)
        }
    }

    private func open(proposedScore: Int?, load: @escaping @Sendable (any Repositories) async throws -> Context?) async throws
        -> SurveyPageState? {
        let now = deps.clock.nowMillis
        return try await deps.store.read { repos -> SurveyPageState? in
            guard let context = try await load(repos) else { return nil }
            var state = context.state(now: now, revealed: false)
            if case .asking = state.stage, let primary = context.definition.primaryQuestion, let score = proposedScore,
               primary.scoreRange?.contains(score) == true {
                state.proposedScore = score
            }
            return state
        }
    }

    private func answer(form: FormAnswers, load: @escaping @Sendable (any Repositories) async throws -> Context?) async throws
        -> SurveyPageState? {
        let (deps, outbox) = (self.deps, self.outbox)
        return try await deps.store.write { repos -> SurveyPageState? in
            guard var context = try await load(repos) else { return nil }
            let now = deps.clock.nowMillis
            let before = Set(context.definition.visibleQuestions(answers: context.answers).map(\.id))
            switch context.state(now: now, revealed: false).stage {
            case .closed:
                throw RapportError(.conflict, code: "survey_closed", message: "This survey is closed; answers are no longer taken.")
            case .unavailable:
                throw RapportError(.conflict, code: "survey_not_active", message: "This survey is not taking answers at the moment.")
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

    /// A concurrent submission tied the resume token to its response first (the write is retried to find it).
    struct ResumeTaken: Error {}

    /// Everything a token leads to.
    struct Context {
        /// What the token named: an invitation (its person and attributes), or a public link and the browser's resume
        /// token (an anonymous response, with the attributes of the link's query).
        enum Origin {
            case invitation(SurveyInvitation)
            case link(SurveyLink, resumeHash: String, attributes: [String: String])
        }

        var origin: Origin
        var survey: Survey
        var workspace: Workspace
        var definition: SurveyDefinition
        var language: String
        var response: SurveyResponse?
        var answers: [String: JSONValue] { response?.answers ?? [:] }

        func state(now: Int64, revealed: Bool) -> SurveyPageState {
            let stage: SurveyPageState.Stage
            if survey.status == .closed {
                stage = .closed
            } else if case .link = origin, survey.status != .active {
                stage = .unavailable
            } else if let response, response.status == .completed, !revealed {
                let window = Int64(survey.settings.editWindowHours) * 3_600_000
                let until = window > 0 ? (response.submittedAt ?? response.updatedAt) + window : nil
                stage = .finished(editableUntil: until.flatMap { $0 > now ? $0 : nil })
            } else {
                stage = .asking
            }
            return SurveyPageState(workspaceName: workspace.name, brandColor: workspace.brandColor, surveyName: survey.name,
                                   definition: definition, language: language, answers: answers,
                                   questions: definition.visibleQuestions(answers: answers), stage: stage, proposedScore: nil,
                                   saved: response != nil)
        }

        /// Inserts or updates the response; the first completion adds the timeline entry (with a customer) and the
        /// webhook event, and marks an invitation `responded`.
        mutating func save(answers: [String: JSONValue], complete: Bool, in repos: any Repositories, deps: CoreDependencies,
                           outbox: EmailOutbox?, now: Int64) async throws {
            let wasComplete = response?.status == .completed
            var next = response ?? newResponse(id: deps.ids.next(), now: now)
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
                if case .link(let link, let resumeHash, _) = origin {
                    guard try await repos.surveyLinks.claimResume(hash: resumeHash, link: link, responseId: next.id, at: now) else {
                        throw ResumeTaken()
                    }
                }
                try await SurveyResponseService.store(next, surveyName: survey.name, in: repos, deps: deps, outbox: outbox)
            }
            if next.status == .completed, !wasComplete, case .invitation(let invitation) = origin {
                var responded = invitation
                responded.status = .responded
                responded.respondedAt = now
                responded.updatedAt = now
                _ = try await repos.surveyInvitations.transition(responded, from: invitation.status)
                origin = .invitation(responded)
            }
            response = next
        }

        func newResponse(id: String, now: Int64) -> SurveyResponse {
            switch origin {
            case .invitation(let invitation):
                SurveyResponse(id: id, workspaceId: invitation.workspaceId, surveyId: survey.id, version: survey.version,
                               customerId: invitation.customerId, invitationId: invitation.id, channel: invitation.channel,
                               language: language, answers: [:], attributes: invitation.attributes, status: .partial,
                               submittedAt: nil, createdAt: now, updatedAt: now)
            case .link(let link, _, let attributes):
                SurveyResponse(id: id, workspaceId: link.workspaceId, surveyId: survey.id, version: survey.version,
                               customerId: nil, channel: "link", language: language, answers: [:], attributes: attributes,
                               status: .partial, submittedAt: nil, createdAt: now, updatedAt: now)
            }
        }
    }

    static func context(_ repos: any Repositories, tokenHash: String) async throws -> Context? {
        guard let invitation = try await repos.surveyInvitations.find(tokenHash: tokenHash),
              let survey = try await repos.surveys.find(workspaceId: invitation.workspaceId, id: invitation.surveyId),
              let workspace = try await repos.workspaces.find(id: invitation.workspaceId) else { return nil }
        let response = try await repos.surveyResponses.find(workspaceId: invitation.workspaceId, invitationId: invitation.id)
        let definition = try await answered(repos, survey: survey, response: response)
        var language = response?.language
        if language == nil {
            let customer = try await repos.customers.find(workspaceId: invitation.workspaceId, id: invitation.customerId)
            language = definition.language(forLocale: customer?.traits["locale"]?.stringValue)
        }
        return Context(origin: .invitation(invitation), survey: survey, workspace: workspace, definition: definition,
                       language: language ?? definition.defaultLanguage, response: response)
    }

    static func linkContext(_ repos: any Repositories, tokenHash: String, resumeHash: String, locale: String?,
                            attributes: [String: String]) async throws -> Context? {
        guard let link = try await repos.surveyLinks.find(tokenHash: tokenHash),
              let survey = try await repos.surveys.find(workspaceId: link.workspaceId, id: link.surveyId),
              let workspace = try await repos.workspaces.find(id: link.workspaceId) else { return nil }
        var response: SurveyResponse?
        if let id = try await repos.surveyLinks.responseId(resumeHash: resumeHash, link: link) {
            response = try await repos.surveyResponses.find(workspaceId: link.workspaceId, id: id)
        }
        let definition = try await answered(repos, survey: survey, response: response)
        return Context(origin: .link(link, resumeHash: resumeHash, attributes: attributes), survey: survey, workspace: workspace,
                       definition: definition, language: response?.language ?? definition.language(forLocale: locale),
                       response: response)
    }

    /// The version a response answers (the current one for a new response).
    static func answered(_ repos: any Repositories, survey: Survey, response: SurveyResponse?) async throws -> SurveyDefinition {
        if let response, response.version != survey.version,
           let answered = try await repos.surveys.version(workspaceId: survey.workspaceId, surveyId: survey.id, version: response.version) {
            return answered.definition
        }
        return survey.definition
    }
}
