import Foundation

/// The one way into the outbox, for every feature that emails someone (the API, automation rules, later survey
/// invitations and reports): renders the content for the person, applies the contact rules (consent for the email's
/// purpose through `ContactPolicy`, the workspace's suppression list) and stores the email with its `email.send` job,
/// inside the caller's transaction. A blocked email is stored too, with its reason, and shown on the timeline.
public struct EmailOutbox: Sendable {
    let deps: CoreDependencies
    let settings: EmailSettings
    let renderer: any EmailRenderer

    public init(_ deps: CoreDependencies, settings: EmailSettings, renderer: any EmailRenderer) {
        self.deps = deps
        self.settings = settings
        self.renderer = renderer
    }

    /// The job kind that sends one email.
    public static let jobKind = "email.send"
    /// Attempts before an email that keeps failing temporarily is `failed`: the first and one per retry delay.
    public static var maxAttempts: Int { EmailRetrySchedule.delays.count + 1 }

    /// What to send: the content is a template (Mustache) rendered for the person.
    public struct Request: Sendable {
        public var workspaceId: String
        /// The customer it is for; their `email` trait is the recipient unless `to` names one.
        public var customerId: String?
        public var to: String?
        public var purpose: String?
        public var templateId: String?
        public var content: EmailContent
        /// More values for the template, under `data` (a rule's trigger properties).
        public var data: JSONValue
        public var source: String

        public init(workspaceId: String, customerId: String?, to: String?, purpose: String?, templateId: String? = nil,
                    content: EmailContent, data: JSONValue = [:], source: String) {
            self.workspaceId = workspaceId
            self.customerId = customerId
            self.to = to
            self.purpose = purpose
            self.templateId = templateId
            self.content = content
            self.data = data
            self.source = source
        }
    }

    /// Queues one email (or records it blocked) in `repos`' transaction.
    public func queue(in repos: any Repositories, _ request: Request) async throws -> OutboundEmail {
        let workspaceId = request.workspaceId
        guard try await canSend(in: repos, workspaceId: workspaceId) else { throw Self.notConfigured }
        var customer: Customer?
        if let id = request.customerId { customer = try await CustomerService.live(repos, workspaceId: workspaceId, id: id) }
        guard let rawRecipient = request.to ?? customer?.traits["email"]?.stringValue else {
            throw RapportError.invalid("to", "The customer has no email trait; name an address in to.")
        }
        let recipient = try EmailAddressCheck.normalised(rawRecipient, field: "to")
        if let purpose = request.purpose { _ = try ContactPolicy.validName(purpose, field: "purpose") }
        guard let workspace = try await repos.workspaces.find(id: workspaceId) else { throw RapportError.notFound("workspace") }

        let id = deps.ids.next()
        let token = request.purpose != nil ? SecretToken.make(bytes: 24) : nil
        let rendered = try render(request.content, data: request.data, workspaceName: workspace.name, recipient: recipient,
                                  customer: customer, unsubscribeToken: token)
        let now = deps.clock.nowMillis
        var email = OutboundEmail(id: id, workspaceId: workspaceId, customerId: customer?.id, recipient: recipient,
                                  purpose: request.purpose, templateId: request.templateId, content: rendered,
                                  messageId: "\(id)@\(settings.messageIdDomain)",
                                  unsubscribeToken: token, source: request.source,
                                  now: now)
        if let reason = try await Self.blockReason(in: repos, email) {
            email.state = .blocked
            email.reason = reason
            try await repos.emails.insert(email)
            try await Self.appendTimeline(email, in: repos, deps: deps)
            return email
        }
        try await repos.emails.insert(email)
        let job = Job(id: deps.ids.next(), kind: Self.jobKind, payload: (["email_id": .string(email.id)] as JSONValue).jsonText,
                      workspaceId: workspaceId, now: now, maxAttempts: Self.maxAttempts, idempotencyKey: email.id)
        _ = try await repos.jobs.enqueue(job)
        return email
    }

    /// The content as the person receives it: the template filled with the workspace, `data`, the recipient, the
    /// customer's traits and the unsubscribe link (placed by the template, else added as a footer). `queue` and the
    /// survey builder's preview both render through here, so a preview is what is sent.
    public func render(_ content: EmailContent, data: JSONValue, workspaceName: String, recipient: String, customer: Customer?,
                       unsubscribeToken token: String?) throws(RapportError) -> EmailContent {
        var context: [String: JSONValue] = [
            "workspace": ["name": .string(workspaceName)],
            "data": data,
            "email": ["to": .string(recipient)],
        ]
        if let customer {
            var fields = customer.traits
            fields["id"] = .string(customer.id)
            context["customer"] = .object(fields)
        }
        if let token { context["unsubscribe_url"] = .string(Self.unsubscribeURL(settings.publicURL, token: token)) }
        let rendered = try renderer.render(content, context: .object(context))
        guard let token else { return rendered }
        return Self.withUnsubscribeLink(rendered, url: Self.unsubscribeURL(settings.publicURL, token: token))
    }

    /// Why an email to the customer cannot be queued at all (no SMTP server, no `email` trait), or nil: asked before a
    /// rule's actions run, so that a rule that cannot email fails its run with the reason instead of retrying.
    public func problem(in repos: any Repositories, workspaceId: String, customerId: String) async throws -> String? {
        guard try await canSend(in: repos, workspaceId: workspaceId) else { return Self.notConfigured.message }
        let customer = try await CustomerService.live(repos, workspaceId: workspaceId, id: customerId)
        guard let address = customer.traits["email"]?.stringValue else { return "the customer has no email trait" }
        do { _ = try EmailAddressCheck.normalised(address, field: "email") } catch { return "the customer's email trait is not an address" }
        return nil
    }

    /// Why the email may not go out now, or nil: the recipient's address is suppressed, or the customer has not
    /// consented to (or has withdrawn) the email's purpose on the email channel. Asked when queued and again when sent.
    public static func blockReason(in repos: any Repositories, _ email: OutboundEmail) async throws -> String? {
        if let entry = try await repos.emails.suppression(workspaceId: email.workspaceId,
                                                          address: EmailAddressCheck.key(email.recipient)) {
            return "\(email.recipient) is on the suppression list (\(entry.reason.rawValue))."
        }
        if let purpose = email.purpose, let customerId = email.customerId {
            let history = try await repos.consents.history(workspaceId: email.workspaceId, customerId: customerId)
            let decision = ContactPolicy.mayContact(history: history, purpose: purpose, channel: "email")
            if !decision.allowed { return "No consent for \(purpose) by email: \(decision.reason)." }
        }
        return nil
    }

    /// Adds the email's outcome (sent, failed, blocked) to its customer's timeline.
    public static func appendTimeline(_ email: OutboundEmail, in repos: any Repositories, deps: CoreDependencies) async throws {
        guard let customerId = email.customerId else { return }
        let now = deps.clock.nowMillis
        var properties: [String: JSONValue] = [
            "email_id": .string(email.id), "state": .string(email.state.rawValue), "to": .string(email.recipient),
            "subject": .string(email.subject), "source": .string(email.source),
        ]
        if let purpose = email.purpose { properties["purpose"] = .string(purpose) }
        if let template = email.templateId { properties["template_id"] = .string(template) }
        if let reason = email.reason { properties["reason"] = .string(reason) }
        try await repos.activities.insert([
            Activity(id: deps.ids.next(), workspaceId: email.workspaceId, customerId: customerId, kind: .email,
                     name: email.subject, occurredAt: email.sentAt ?? now, receivedAt: now, properties: .object(properties)),
        ])
    }

    public static func unsubscribeURL(_ publicURL: String, token: String) -> String { "\(publicURL)/unsubscribe/\(token)" }

    /// Every email with a purpose offers a way out: when its template did not place `unsubscribe_url`, a footer
    /// with the link is added to each part.
    static func withUnsubscribeLink(_ content: EmailContent, url: String) -> EmailContent {
        var result = content
        if !content.text.contains(url) { result.text += "\n\n--\nUnsubscribe: \(url)\n" }
        if let html = content.html, !html.contains(url) {
            let footer = "<p style=\"font-size:12px;color:#555\"><a href=\"\(url)\">Unsubscribe</a></p>"
            if let end = html.range(of: "</body>", options: [.caseInsensitive, .backwards]) {
                result.html = html.replacingCharacters(in: end.lowerBound..<end.lowerBound, with: footer + "\n")
            } else {
                result.html = html + "\n" + footer
            }
        }
        return result
    }

    /// Whether an SMTP server sends the workspace's email: the server-wide one or the workspace's own.
    func canSend(in repos: any Repositories, workspaceId: String) async throws -> Bool {
        if settings.isConfigured { return true }
        return try await repos.emails.smtpSettings(workspaceId: workspaceId) != nil
    }

    /// `409 email_not_configured`: no SMTP server sends the workspace's email.
    public static let notConfigured = RapportError(
        .conflict, code: "email_not_configured",
        message: "No SMTP server is configured: set the workspace's on Settings → Email, or SMTP_URL and SMTP_FROM for the server (docs/email.md).")
}

/// When an email that failed for a reason that may pass (a 4xx reply, no connection, a timeout) is tried again: after
/// 10 s, 1 min, 5 min, 30 min, 2 h, 6 h and 12 h, about 20.6 hours in all, 8 attempts. Then it is `failed`. The first
/// retry comes soon because greylisting servers (451 to a first attempt) accept a retry after a few seconds.
public enum EmailRetrySchedule {
    public static let delays: [Int64] = [10, 60, 300, 1_800, 7_200, 21_600, 43_200].map { $0 * 1_000 }
}
