import Foundation

/// Sending and reminding, run by the `survey.send` and `survey.remind` jobs (each idempotent: the invitation's state
/// decides, and moves by compare-and-set in the transaction that queues the email).
extension SurveyInvitationService {
    /// Sends the job's invitation if it is still scheduled, under the contact rules; throws `JobDeferral` inside the
    /// person's quiet hours (nothing is written then).
    public func send(_ job: Job) async throws {
        let (workspaceId, id) = try Self.target(job)
        try await deps.store.write { repos in try await self.send(in: repos, workspaceId: workspaceId, id: id) }
    }

    func send(in repos: any Repositories, workspaceId: String, id: String) async throws {
        guard var invitation = try await repos.surveyInvitations.find(workspaceId: workspaceId, id: id),
              invitation.status == .scheduled else { return }
        try await repos.surveyInvitations.lockContact(workspaceId: workspaceId, customerId: invitation.customerId)
        guard let survey = try await repos.surveys.find(workspaceId: workspaceId, id: invitation.surveyId) else {
            return try await end(&invitation, .cancelled, nil, "The survey no longer exists.", in: repos)
        }
        guard survey.status == .active else {
            return try await end(&invitation, .suppressed, .surveyInactive,
                                 "The survey was \(survey.status.rawValue) when the invitation was due.", in: repos)
        }
        let customer: Customer
        do {
            customer = try await CustomerService.live(repos, workspaceId: workspaceId, id: invitation.customerId)
        } catch let error as RapportError where error.kind == .notFound {
            return try await end(&invitation, .cancelled, nil, "The customer no longer exists.", in: repos)
        }
        invitation.customerId = customer.id
        let now = deps.clock.nowMillis
        let rules = try await repos.surveyInvitations.contactRules(workspaceId: workspaceId)
        let history = try await repos.consents.history(workspaceId: workspaceId, customerId: customer.id)
        // The survey after a resolved follow-up case is part of that conversation: the frequency rules, which the
        // first invitation just started, do not hold it back (consent, quiet hours and the address checks still do).
        let countsFrequency = invitation.source != FollowUpResurvey.source
        let check = SurveyContactCheck(
            rules: rules, settings: survey.settings,
            consent: ContactPolicy.mayContact(history: history, purpose: Self.purpose, channel: invitation.channel),
            lastSentAny: countsFrequency ? try await repos.surveyInvitations.lastSent(workspaceId: workspaceId, customerId: customer.id,
                                                                                      surveyId: nil, excluding: invitation.id) : nil,
            lastSentThisSurvey: countsFrequency ? try await repos.surveyInvitations.lastSent(workspaceId: workspaceId,
                                                                                             customerId: customer.id,
                                                                                             surveyId: survey.id,
                                                                                             excluding: invitation.id) : nil,
            lastDismissedThisSurvey: try await repos.surveyInvitations.lastDismissed(workspaceId: workspaceId, customerId: customer.id,
                                                                                     surveyId: survey.id),
            timeZone: SurveyContactCheck.timeZone(of: customer))
        switch check.verdict(now: now) {
        case .wait(let until):
            throw JobDeferral(until: until, reason: "inside the customer's quiet hours")
        case .suppress(let code, let message):
            return try await end(&invitation, .suppressed, code, message, in: repos)
        case .send:
            break
        }
        switch try await email(invitation, survey: survey, customer: customer, reminder: false, in: repos) {
        case .failure(let refusal):
            try await end(&invitation, .suppressed, refusal.code, refusal.message, in: repos)
        case .success(let email):
            invitation.status = .sent
            invitation.sentAt = now
            invitation.emailId = email.id
            invitation.updatedAt = now
            guard try await repos.surveyInvitations.transition(invitation, from: .scheduled) else { throw Self.alreadyHandled }
            try await scheduleReminder(invitation, survey: survey, after: now, in: repos)
        }
    }

    /// Sends the job's reminder if the invitation is still unanswered, the survey still active and the person still
    /// reachable; schedules the next one up to the survey's `max_reminders`. The recontact rules do not apply (it is
    /// the same ask); consent, the suppression list and quiet hours do.
    public func remind(_ job: Job) async throws {
        let (workspaceId, id) = try Self.target(job)
        try await deps.store.write { repos in
            guard var invitation = try await repos.surveyInvitations.find(workspaceId: workspaceId, id: id),
                  invitation.status == .sent,
                  let survey = try await repos.surveys.find(workspaceId: workspaceId, id: invitation.surveyId),
                  survey.status == .active, survey.settings.reminderAfterDays != nil,
                  invitation.remindersSent < survey.settings.maxReminders else { return }
            try await repos.surveyInvitations.lockContact(workspaceId: workspaceId, customerId: invitation.customerId)
            // A response begun but not finished still gets the reminder; a finished one made the invitation `responded`.
            guard let customer = try? await CustomerService.live(repos, workspaceId: workspaceId, id: invitation.customerId) else { return }
            let now = self.deps.clock.nowMillis
            var rules = try await repos.surveyInvitations.contactRules(workspaceId: workspaceId)
            rules.recontactDays = 0
            var settings = survey.settings
            (settings.oncePerPerson, settings.minDaysBetween) = (false, nil)
            let history = try await repos.consents.history(workspaceId: workspaceId, customerId: customer.id)
            let check = SurveyContactCheck(rules: rules, settings: settings,
                                           consent: ContactPolicy.mayContact(history: history, purpose: Self.purpose, channel: invitation.channel),
                                           lastSentAny: nil, lastSentThisSurvey: nil, timeZone: SurveyContactCheck.timeZone(of: customer))
            switch check.verdict(now: now) {
            case .wait(let until): throw JobDeferral(until: until, reason: "inside the customer's quiet hours")
            case .suppress: return
            case .send: break
            }
            guard case .success = try await self.email(invitation, survey: survey, customer: customer, reminder: true, in: repos) else {
                return
            }
            invitation.remindersSent += 1
            invitation.updatedAt = now
            guard try await repos.surveyInvitations.transition(invitation, from: .sent) else { throw Self.alreadyHandled }
            if invitation.remindersSent < survey.settings.maxReminders {
                try await self.scheduleReminder(invitation, survey: survey, after: now, in: repos)
            }
        }
    }

    struct Refusal: Error {
        var code: SurveySuppression
        var message: String
    }

    /// Queues the invitation's email with a new link (its token stored hashed), or says why the channel refuses.
    func email(_ invitation: SurveyInvitation, survey: Survey, customer: Customer, reminder: Bool,
               in repos: any Repositories) async throws -> Result<OutboundEmail, Refusal> {
        guard let outbox else {
            return .failure(Refusal(code: .emailNotConfigured, message: "This program sends no email."))
        }
        guard try await outbox.canSend(in: repos, workspaceId: invitation.workspaceId) else {
            return .failure(Refusal(code: .emailNotConfigured, message: EmailOutbox.notConfigured.message))
        }
        guard let raw = customer.traits["email"]?.stringValue,
              let address = try? EmailAddressCheck.normalised(raw, field: "email") else {
            return .failure(Refusal(code: .noAddress, message: "The customer has no usable email address."))
        }
        if let entry = try await repos.emails.suppression(workspaceId: invitation.workspaceId, address: EmailAddressCheck.key(address)) {
            return .failure(Refusal(code: .emailSuppressed, message: "\(address) is on the suppression list (\(entry.reason.rawValue))."))
        }
        guard let workspace = try await repos.workspaces.find(id: invitation.workspaceId) else { throw RapportError.notFound("workspace") }
        let now = deps.clock.nowMillis
        let token = SecretToken.make(bytes: 24)
        try await repos.surveyInvitations.addToken(hash: deps.digest.digest(token), invitation: invitation, at: now)
        let language = survey.definition.language(forLocale: customer.traits["locale"]?.stringValue)
        let data = SurveyInvitationEmail.data(survey: survey, language: language, workspace: workspace,
                                              surveyURL: Self.surveyURL(publicURL, token: token), reminder: reminder)
        let email = try await outbox.queue(in: repos, EmailOutbox.Request(
            workspaceId: invitation.workspaceId, customerId: customer.id, to: address, purpose: Self.purpose,
            content: SurveyInvitationEmail.content, data: data, source: reminder ? "survey_reminder" : "survey"))
        if email.state == .blocked {
            return .failure(Refusal(code: .noConsent, message: email.reason ?? "The email was blocked."))
        }
        return .success(email)
    }

    func scheduleReminder(_ invitation: SurveyInvitation, survey: Survey, after: Int64, in repos: any Repositories) async throws {
        guard let days = survey.settings.reminderAfterDays, invitation.remindersSent < survey.settings.maxReminders else { return }
        let number = invitation.remindersSent + 1
        _ = try await repos.jobs.enqueue(Job(id: deps.ids.next(), kind: Self.remindKind, payload: Self.payload(invitation.id),
                                             workspaceId: invitation.workspaceId, now: deps.clock.nowMillis,
                                             runAt: after + Int64(days) * SurveyContactCheck.dayMillis,
                                             idempotencyKey: "\(Self.remindKind):\(invitation.id):\(number)"))
    }

    /// Ends a scheduled invitation unsent (suppressed or cancelled) with its reason, on the customer's timeline.
    func end(_ invitation: inout SurveyInvitation, _ status: SurveyInvitation.Status, _ code: SurveySuppression?, _ message: String,
             in repos: any Repositories) async throws {
        let now = deps.clock.nowMillis
        invitation.status = status
        invitation.reason = code?.rawValue
        invitation.reasonText = message
        invitation.updatedAt = now
        guard try await repos.surveyInvitations.transition(invitation, from: .scheduled) else { throw Self.alreadyHandled }
        guard status == .suppressed, try await repos.customers.find(workspaceId: invitation.workspaceId, id: invitation.customerId) != nil else {
            return
        }
        let surveyName = try await repos.surveys.find(workspaceId: invitation.workspaceId, id: invitation.surveyId)?.name ?? "Survey"
        try await repos.activities.insert([
            Activity(id: deps.ids.next(), workspaceId: invitation.workspaceId, customerId: invitation.customerId,
                     kind: .surveyInvitation, name: surveyName, occurredAt: now, receivedAt: now,
                     properties: ["invitation_id": .string(invitation.id), "survey_id": .string(invitation.surveyId),
                                  "status": .string(status.rawValue), "reason": JSONValue(code?.rawValue),
                                  "message": .string(message)]),
        ])
    }

    static func target(_ job: Job) throws -> (workspaceId: String, id: String) {
        guard let workspaceId = job.workspaceId, let id = JSONValue.parse(job.payload)?["invitation_id"]?.stringValue else {
            throw PermanentJobError("the job names no invitation")
        }
        return (workspaceId, id)
    }

    /// Another worker moved the invitation first: this transaction is rolled back, and the job run again finds it done.
    static let alreadyHandled = RapportError(.conflict, code: "invitation_changed", message: "The invitation changed meanwhile.")
}
