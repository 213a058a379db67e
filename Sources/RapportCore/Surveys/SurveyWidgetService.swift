import Foundation

/// The web widget (docs/surveys.md, "Web widget"): which active survey, if any, to show an identified visitor on the
/// customer's own site now. The survey's targeting rule (page, event, time) decides where; the same contact check as
/// an email invitation decides whether (consent for `surveys` on `web`, the survey's limits, a recent dismissal, the
/// workspace's recontact period; quiet hours do not apply: the person is on the site right then). A showing is an
/// invitation on channel `widget` (`sent` when shown, `dismissed` when closed unanswered, `responded` once
/// finished), so the recontact period, once-per-person and the stats hold across channels; a showing the rules
/// hold back is a `suppressed` invitation (at most one per survey, person and reason a day). Answers go through
/// `SurveyTaking`, the hosted page's path, by the showing's token.
public struct SurveyWidgetService: Sendable {
    let deps: CoreDependencies
    let taking: SurveyTaking
    let mac: any MessageAuthenticator

    public init(_ deps: CoreDependencies, outbox: EmailOutbox?, mac: any MessageAuthenticator) {
        self.deps = deps
        self.taking = SurveyTaking(deps, outbox: outbox)
        self.mac = mac
    }

    public static let channel = "widget"
    /// The consent channel a widget showing asks for (`ContactPolicy.channels`).
    public static let consentChannel = "web"
    /// A suppressed showing is recorded at most once a day per survey, person and reason (a visitor browsing many
    /// pages would otherwise record one per page).
    static let suppressionRecordMillis: Int64 = 86_400_000
    public static let maxEvents = 50

    /// What the page tells about the visit.
    public struct Visit: Sendable {
        public var userId: String
        public var userHash: String?
        /// The page, without its query and fragment (they may hold personal data); becomes the `page_url` attribute.
        public var pageURL: String?
        public var path: String
        /// Events tracked in this page session.
        public var events: Set<String>
        public var secondsOnPage: Int
        public var secondsOnSite: Int

        public init(userId: String, userHash: String?, pageURL: String?, path: String, events: Set<String>, secondsOnPage: Int,
                    secondsOnSite: Int) {
            self.userId = userId
            self.userHash = userHash
            self.pageURL = pageURL
            self.path = path
            self.events = events
            self.secondsOnPage = secondsOnPage
            self.secondsOnSite = secondsOnSite
        }
    }

    /// A survey to show: the showing's token (answers and the close button use it), where, and the questions.
    public struct Offer: Sendable {
        public var token: String
        public var invitation: SurveyInvitation
        public var position: SurveyWidgetRule.Position
        public var state: SurveyPageState
    }

    public enum Outcome: Sendable {
        case show(Offer)
        /// Nothing now. A survey of this page may still show after `retryAfterSeconds` or after one of `events`;
        /// these come from the surveys' rules only, never from the person's data.
        case nothing(retryAfterSeconds: Int?, events: [String])
    }

    /// Decides what the visitor sees now, and records it. Throws `forbidden` when the workspace requires identity
    /// verification and the hash is wrong or missing (before the person is looked up).
    public func check(workspaceId: String, visit: Visit) async throws -> Outcome {
        let (identity, active) = try await deps.store.read { repos in
            (try await repos.surveyInvitations.widgetIdentity(workspaceId: workspaceId),
             try await repos.surveys.list(workspaceId: workspaceId, status: .active, page: PageRequest(limit: PageRequest.maxLimit)).items)
        }
        if identity.requireUserHash, !identity.verifies(userId: visit.userId, hash: visit.userHash, mac: mac) {
            throw RapportError(.forbidden, code: "identity_not_verified",
                               message: "This workspace requires user_hash: the hex HMAC-SHA256 of user_id under its widget secret.")
        }
        // The longest-active survey first.
        let candidates = active.reversed().filter { $0.settings.widget.enabled && $0.settings.widget.matches(path: visit.path) }
        var ready: [Survey] = []
        var retry: Int?
        var events = Set<String>()
        for survey in candidates {
            switch survey.settings.widget.readiness(events: visit.events, secondsOnPage: visit.secondsOnPage,
                                                    secondsOnSite: visit.secondsOnSite) {
            case .ready: ready.append(survey)
            case .waitingForEvent(let event): events.insert(event)
            case .waitingSeconds(let seconds): retry = min(retry ?? seconds, seconds)
            }
        }
        let nothing = Outcome.nothing(retryAfterSeconds: retry, events: events.sorted())
        guard !ready.isEmpty else { return nothing }
        let (deps, surveys) = (self.deps, ready)
        let token = SecretToken.make(bytes: 24)
        let offer = try await deps.store.write { repos -> Offer? in
            try await Self.show(in: repos, deps: deps, workspaceId: workspaceId, visit: visit, surveys: surveys, token: token)
        }
        return offer.map(Outcome.show) ?? nothing
    }

    /// The first of `surveys` the contact rules let through, shown (an invitation and its token); each one held back
    /// is recorded suppressed.
    static func show(in repos: any Repositories, deps: CoreDependencies, workspaceId: String, visit: Visit, surveys: [Survey],
                     token: String) async throws -> Offer? {
        guard let owner = try await repos.customers.owners(workspaceId: workspaceId, of: [Identifier(.userId, visit.userId)]).values.first
        else { return nil }
        let customer: Customer
        do {
            customer = try await CustomerService.live(repos, workspaceId: workspaceId, id: owner)
        } catch let error as RapportError where error.kind == .notFound {
            return nil
        }
        let invitations = repos.surveyInvitations
        try await invitations.lockContact(workspaceId: workspaceId, customerId: customer.id)
        let now = deps.clock.nowMillis
        let rules = try await invitations.contactRules(workspaceId: workspaceId)
        let consent = ContactPolicy.mayContact(history: try await repos.consents.history(workspaceId: workspaceId, customerId: customer.id),
                                               purpose: SurveyInvitationService.purpose, channel: consentChannel)
        let lastAny = try await invitations.lastSent(workspaceId: workspaceId, customerId: customer.id, surveyId: nil, excluding: "")
        var attributes: [String: String] = [:]
        if let url = visit.pageURL { attributes["page_url"] = url }
        for survey in surveys {
            let check = SurveyContactCheck(
                rules: rules, settings: survey.settings, consent: consent, lastSentAny: lastAny,
                lastSentThisSurvey: try await invitations.lastSent(workspaceId: workspaceId, customerId: customer.id,
                                                                   surveyId: survey.id, excluding: ""),
                lastDismissedThisSurvey: try await invitations.lastDismissed(workspaceId: workspaceId, customerId: customer.id,
                                                                             surveyId: survey.id),
                timeZone: nil)
            var invitation = SurveyInvitation(id: deps.ids.next(), workspaceId: workspaceId, surveyId: survey.id, customerId: customer.id,
                                              channel: channel, status: .sent, attributes: attributes, source: channel, sendAt: now,
                                              sentAt: now, createdAt: now, updatedAt: now)
            guard case .suppress(let code, let message) = check.verdict(now: now) else {
                try await invitations.insert(invitation)
                try await invitations.addToken(hash: deps.digest.digest(token), invitation: invitation, at: now)
                try await timeline(invitation, survey: survey, message: "Shown on \(visit.path).", in: repos, deps: deps)
                guard let context = try await SurveyTaking.context(repos, tokenHash: deps.digest.digest(token)) else { return nil }
                return Offer(token: token, invitation: invitation, position: survey.settings.widget.position,
                             state: context.state(now: now, revealed: false))
            }
            if let last = try await invitations.lastSuppressed(workspaceId: workspaceId, customerId: customer.id, surveyId: survey.id,
                                                               channel: channel, reason: code.rawValue),
               now - last < suppressionRecordMillis { continue }
            invitation.status = .suppressed
            invitation.sentAt = nil
            invitation.reason = code.rawValue
            invitation.reasonText = message
            try await invitations.insert(invitation)
            try await timeline(invitation, survey: survey, message: message, in: repos, deps: deps)
        }
        return nil
    }

    /// A `survey_invitation` entry on the person's timeline: shown, held back (with the reason) or dismissed.
    static func timeline(_ invitation: SurveyInvitation, survey: Survey, message: String, in repos: any Repositories,
                         deps: CoreDependencies) async throws {
        let now = deps.clock.nowMillis
        try await repos.activities.insert([
            Activity(id: deps.ids.next(), workspaceId: invitation.workspaceId, customerId: invitation.customerId,
                     kind: .surveyInvitation, name: survey.name, occurredAt: now, receivedAt: now,
                     properties: ["invitation_id": .string(invitation.id), "survey_id": .string(survey.id),
                                  "channel": .string(channel), "status": .string(invitation.status.rawValue),
                                  "reason": JSONValue(invitation.reason), "message": .string(message)]),
        ])
    }

    // MARK: Answering and closing

    /// Saves answers given in the widget (question id → answer, as JSON) by the showing's token, through the hosted
    /// page's path; nil when the token names no widget showing. Validation errors name `answers.<question id>`.
    public func answer(token: String, answers: [String: JSONValue]) async throws -> SurveyPageState? {
        guard try await widgetInvitation(token: token) != nil else { return nil }
        var form: SurveyTaking.FormAnswers = [:]
        for (id, value) in answers { form[id] = Self.formValues(value) }
        do {
            return try await taking.answer(token: token, form: form)
        } catch let error as RapportError where error.kind == .validation {
            let field = error.details["field"].map { $0 == "answers" ? $0 : "answers.\($0)" } ?? "answers"
            throw RapportError.invalid(field, error.message)
        }
    }

    /// The showing's questions and answers as they stand; nil when the token names no widget showing.
    public func state(token: String) async throws -> SurveyPageState? {
        guard try await widgetInvitation(token: token) != nil else { return nil }
        return try await taking.open(token: token)
    }

    /// Records that the person closed the widget: a shown, unfinished showing becomes `dismissed` (on the timeline,
    /// counted in the survey's stats, holding the survey back for its `dismiss_days`). False when there was nothing
    /// to dismiss (already finished or closed); nil when the token names no widget showing.
    public func dismiss(token: String) async throws -> Bool? {
        let hash = deps.digest.digest(token)
        let deps = self.deps
        return try await deps.store.write { repos -> Bool? in
            guard let invitation = try await repos.surveyInvitations.find(tokenHash: hash), invitation.channel == Self.channel else { return nil }
            guard invitation.status == .sent else { return false }
            var dismissed = invitation
            dismissed.status = .dismissed
            dismissed.updatedAt = deps.clock.nowMillis
            guard try await repos.surveyInvitations.transition(dismissed, from: .sent) else { return false }
            if let survey = try await repos.surveys.find(workspaceId: invitation.workspaceId, id: invitation.surveyId),
               try await repos.customers.find(workspaceId: invitation.workspaceId, id: invitation.customerId) != nil {
                try await Self.timeline(dismissed, survey: survey, message: "Closed without answering.", in: repos, deps: deps)
            }
            return true
        }
    }

    func widgetInvitation(token: String) async throws -> SurveyInvitation? {
        let hash = deps.digest.digest(token)
        let invitation = try await deps.store.read { try await $0.surveyInvitations.find(tokenHash: hash) }
        return invitation?.channel == Self.channel ? invitation : nil
    }

    /// A JSON answer as the values of a form field (several for a multiple choice; none clears it).
    static func formValues(_ value: JSONValue) -> [String] {
        if let list = value.arrayValue { return list.flatMap(formValues) }
        if let text = value.stringValue { return [text] }
        if let number = value.numberValue {
            return [number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)]
        }
        if let flag = value.boolValue { return [String(flag)] }
        return []
    }

    // MARK: Identity verification settings

    /// The workspace's identity verification settings, with the secret (admins).
    public func identity(_ principal: Principal) async throws -> SurveyWidgetIdentity {
        try principal.require(Permission.manageWorkspace.leastRole)
        let workspaceId = principal.workspaceId
        return try await deps.store.read { try await $0.surveyInvitations.widgetIdentity(workspaceId: workspaceId) }
    }

    /// Turns the requirement on or off and makes a new secret (`rotate_secret`, or when it is first required);
    /// admins; audited.
    public func updateIdentity(_ principal: Principal, fields: [String: JSONValue], ip: String?) async throws -> SurveyWidgetIdentity {
        try principal.require(Permission.manageWorkspace.leastRole)
        if let unknown = fields.keys.sorted().first(where: { !SurveyWidgetIdentity.keys.contains($0) }) {
            throw RapportError.invalid(unknown, "\(unknown) is not a widget identity setting; allowed: \(SurveyWidgetIdentity.keys.sorted().joined(separator: ", ")).")
        }
        var require: Bool?
        if let raw = fields["require_user_hash"] {
            guard let flag = raw.boolValue else { throw RapportError.invalid("require_user_hash", "require_user_hash must be true or false.") }
            require = flag
        }
        var rotate = false
        if let raw = fields["rotate_secret"] {
            guard let flag = raw.boolValue else { throw RapportError.invalid("rotate_secret", "rotate_secret must be true or false.") }
            rotate = flag
        }
        let workspaceId = principal.workspaceId
        let now = deps.clock.nowMillis
        let audit = AuditLog(deps)
        let actor = principal.actor
        let (wanted, rotating) = (require, rotate)
        return try await deps.store.write { repos in
            var identity = try await repos.surveyInvitations.widgetIdentity(workspaceId: workspaceId)
            if let wanted { identity.requireUserHash = wanted }
            let rotated = rotating || (identity.requireUserHash && identity.secret == nil)
            if rotated { identity.secret = SecretToken.make(bytes: 32) }
            try await repos.surveyInvitations.saveWidgetIdentity(workspaceId: workspaceId, identity, at: now)
            try await audit.record(in: repos, workspaceId: workspaceId, actor: actor, action: .surveyWidgetIdentityChanged,
                                   targetType: "workspace", targetId: workspaceId, ip: ip,
                                   details: ["require_user_hash": String(identity.requireUserHash), "secret_rotated": String(rotated)])
            return identity
        }
    }
}
