import Foundation

/// Email for a workspace's people: sending one (through `EmailOutbox`), the outbox log, the suppression list, the
/// templates, and the unsubscribe links in sent emails.
public struct EmailService: Sendable {
    let deps: CoreDependencies
    public let outbox: EmailOutbox
    let renderer: any EmailRenderer

    public init(_ deps: CoreDependencies, settings: EmailSettings, renderer: any EmailRenderer) {
        self.deps = deps
        self.renderer = renderer
        self.outbox = EmailOutbox(deps, settings: settings, renderer: renderer)
    }

    /// What `send` takes: a template or inline content (subject and text, optional HTML), for a customer or an address.
    public struct SendRequest: Sendable {
        public var customerId: String?
        public var to: String?
        public var templateId: String?
        public var subject: String?
        public var text: String?
        public var html: String?
        public var purpose: String?
        public var data: JSONValue

        public init(customerId: String?, to: String?, templateId: String?, subject: String?, text: String?, html: String?,
                    purpose: String?, data: JSONValue = [:]) {
            self.customerId = customerId
            self.to = to
            self.templateId = templateId
            self.subject = subject
            self.text = text
            self.html = html
            self.purpose = purpose
            self.data = data
        }
    }

    /// Queues one email (agents and up). Without a purpose it is a service message: no consent check and no
    /// unsubscribe link, but the suppression list still applies.
    public func send(_ principal: Principal, _ request: SendRequest) async throws -> OutboundEmail {
        try principal.require(Permission.writeData.leastRole)
        guard request.customerId != nil || request.to != nil else {
            throw RapportError.invalid("customer_id", "Name a customer_id, an address in to, or both.")
        }
        guard request.data == .null || request.data.objectValue != nil else {
            throw RapportError.invalid("data", "data must be an object.")
        }
        let workspaceId = principal.workspaceId
        let outbox = self.outbox
        return try await deps.store.write { repos in
            let content: EmailContent
            if let templateId = request.templateId {
                guard request.subject == nil, request.text == nil, request.html == nil else {
                    throw RapportError.invalid("template_id", "Send either a template_id or subject and text, not both.")
                }
                guard let template = try await repos.emails.template(workspaceId: workspaceId, id: templateId) else {
                    throw RapportError.invalid("template_id", "No email template with that id exists in this workspace.")
                }
                content = template.content
            } else {
                content = try Self.content(subject: request.subject, text: request.text, html: request.html)
                try renderer.check(content)
            }
            return try await outbox.queue(in: repos, EmailOutbox.Request(
                workspaceId: workspaceId, customerId: request.customerId, to: request.to, purpose: request.purpose,
                templateId: request.templateId, content: content,
                data: request.data == .null ? [:] : request.data, source: "api"))
        }
    }

    public func list(_ principal: Principal, state: OutboundEmail.State?, customerId: String?, page: PageRequest) async throws
        -> Page<OutboundEmail> {
        try principal.require(Permission.readData.leastRole)
        let query = EmailQuery(workspaceId: principal.workspaceId, state: state, customerId: customerId?.lowercased())
        return try await deps.store.read { try await $0.emails.list(query, page: page) }
    }

    public func get(_ principal: Principal, id: String) async throws -> OutboundEmail {
        try principal.require(Permission.readData.leastRole)
        let workspaceId = principal.workspaceId
        guard let email = try await deps.store.read({ try await $0.emails.find(workspaceId: workspaceId, id: id) }) else {
            throw RapportError.notFound("email")
        }
        return email
    }

    // MARK: Suppression list

    public func suppressions(_ principal: Principal, page: PageRequest) async throws -> Page<EmailSuppression> {
        try principal.require(Permission.readData.leastRole)
        let workspaceId = principal.workspaceId
        return try await deps.store.read { try await $0.emails.suppressions(workspaceId: workspaceId, page: page) }
    }

    /// Puts an address on the list by hand (admins); emails already queued to it are blocked when their turn comes.
    public func suppress(_ principal: Principal, address raw: String, note: String?, ip: String?) async throws -> EmailSuppression {
        try principal.require(Permission.manageWorkspace.leastRole)
        let address = EmailAddressCheck.key(try EmailAddressCheck.normalised(raw, field: "address"))
        let detail = note?.trimmed
        if let detail, detail.count > 500 { throw RapportError.invalid("note", "note must be at most 500 characters.") }
        let entry = EmailSuppression(id: deps.ids.next(), workspaceId: principal.workspaceId, address: address, reason: .manual,
                                     detail: detail?.isEmpty == false ? detail : nil, createdAt: deps.clock.nowMillis)
        let audit = AuditLog(deps)
        let actor = principal.actor
        return try await deps.store.write { repos in
            try await repos.emails.suppress(entry)
            try await audit.record(in: repos, workspaceId: entry.workspaceId, actor: actor, action: .emailSuppressionAdded,
                                   targetType: "email_address", targetId: address, ip: ip)
            return try await repos.emails.suppression(workspaceId: entry.workspaceId, address: address) ?? entry
        }
    }

    /// Takes an address off the list (admins): after a mailbox that bounced works again.
    public func unsuppress(_ principal: Principal, address raw: String, ip: String?) async throws {
        try principal.require(Permission.manageWorkspace.leastRole)
        let address = EmailAddressCheck.key(raw.trimmed)
        let workspaceId = principal.workspaceId
        let audit = AuditLog(deps)
        let actor = principal.actor
        try await deps.store.write { repos in
            guard try await repos.emails.unsuppress(workspaceId: workspaceId, address: address) else {
                throw RapportError(.notFound, code: "not_found", message: "\(address) is not on the suppression list.")
            }
            try await audit.record(in: repos, workspaceId: workspaceId, actor: actor, action: .emailSuppressionRemoved,
                                   targetType: "email_address", targetId: address, ip: ip)
        }
    }

    // MARK: Unsubscribe links

    /// What an unsubscribe link is for, shown before the person confirms; nil for a token no email carries (a wrong
    /// link, or the person's data was erased).
    public func unsubscribeTarget(token: String) async throws -> UnsubscribeTarget? {
        return try await deps.store.read { repos in
            guard let email = try await repos.emails.find(unsubscribeToken: token), let purpose = email.purpose,
                  let workspace = try await repos.workspaces.find(id: email.workspaceId) else { return nil }
            return UnsubscribeTarget(workspaceName: workspace.name, purpose: purpose, recipient: email.recipient)
        }
    }

    /// Withdraws the consent of the link's purpose on the email channel (source `unsubscribe_link`); clicking twice
    /// records it once. Nil for an unknown token.
    public func unsubscribe(token: String) async throws -> UnsubscribeTarget? {
        let deps = self.deps
        return try await deps.store.write { repos in
            guard let email = try await repos.emails.find(unsubscribeToken: token), let purpose = email.purpose,
                  let workspace = try await repos.workspaces.find(id: email.workspaceId) else { return nil }
            let target = UnsubscribeTarget(workspaceName: workspace.name, purpose: purpose, recipient: email.recipient)
            guard let customerId = email.customerId else {
                // Sent to an address with no profile: the address goes on the list instead.
                try await repos.emails.suppress(EmailSuppression(
                    id: deps.ids.next(), workspaceId: email.workspaceId, address: EmailAddressCheck.key(email.recipient), reason: .manual,
                    detail: "Unsubscribed with the link in email \(email.id).", createdAt: deps.clock.nowMillis))
                return target
            }
            let customer = try await CustomerService.live(repos, workspaceId: email.workspaceId, id: customerId)
            let history = try await repos.consents.history(workspaceId: email.workspaceId, customerId: customer.id)
            let current = ContactPolicy.mayContact(history: history, purpose: purpose, channel: "email")
            if current.allowed || current.basis == nil {
                var writer = ProfileWriter(workspaceId: email.workspaceId, repos: repos, deps: deps)
                try await writer.recordConsent(customerId: customer.id, purpose: purpose, channel: "email",
                                              status: .withdrawn, source: "unsubscribe_link", at: deps.clock.nowMillis)
                try await writer.flush()
                // The recipient is no user of the workspace: the entry names the link as the actor.
                try await AuditLog(deps).record(
                    in: repos, workspaceId: email.workspaceId,
                    actor: AuditActor(type: .system, id: nil, label: "the recipient, by the unsubscribe link"),
                    action: .consentRecorded, targetType: "customer", targetId: customer.id,
                    details: ["purpose": purpose, "channel": "email", "status": "withdrawn", "source": "unsubscribe_link",
                              "email_id": email.id])
            }
            return target
        }
    }

    // MARK: Templates

    public func templates(_ principal: Principal, page: PageRequest) async throws -> Page<EmailTemplate> {
        try principal.require(Permission.readData.leastRole)
        let workspaceId = principal.workspaceId
        return try await deps.store.read { try await $0.emails.templates(workspaceId: workspaceId, page: page) }
    }

    public func template(_ principal: Principal, id: String) async throws -> EmailTemplate {
        try principal.require(Permission.readData.leastRole)
        let workspaceId = principal.workspaceId
        guard let template = try await deps.store.read({ try await $0.emails.template(workspaceId: workspaceId, id: id) }) else {
            throw RapportError.notFound("email template")
        }
        return template
    }

    public func createTemplate(_ principal: Principal, name: String, subject: String?, text: String?, html: String?,
                               ip: String?) async throws -> EmailTemplate {
        try principal.require(Permission.manageWorkspace.leastRole)
        let content = try Self.content(subject: subject, text: text, html: html)
        try renderer.check(content)
        let now = deps.clock.nowMillis
        let template = EmailTemplate(id: deps.ids.next(), workspaceId: principal.workspaceId,
                                     name: try Self.templateName(name), content: content, createdAt: now, updatedAt: now)
        try await saveTemplate(principal, template, action: .emailTemplateCreated, ip: ip) { try await $0.insert(template) }
        return template
    }

    /// Changes the parts given (nil: unchanged; `html` set to nil by `.some(nil)`).
    public func updateTemplate(_ principal: Principal, id: String, name: String?, subject: String?, text: String?,
                               html: String??, ip: String?) async throws -> EmailTemplate {
        var template = try await self.template(principal, id: id)
        try principal.require(Permission.manageWorkspace.leastRole)
        if let name { template.name = try Self.templateName(name) }
        template.content = try Self.content(subject: subject ?? template.content.subject, text: text ?? template.content.text,
                                            html: html ?? template.content.html)
        try renderer.check(template.content)
        template.updatedAt = deps.clock.nowMillis
        let changed = template
        try await saveTemplate(principal, changed, action: .emailTemplateUpdated, ip: ip) { try await $0.update(changed) }
        return changed
    }

    public func deleteTemplate(_ principal: Principal, id: String, ip: String?) async throws {
        let template = try await self.template(principal, id: id)
        try principal.require(Permission.manageWorkspace.leastRole)
        try await saveTemplate(principal, template, action: .emailTemplateDeleted, ip: ip) {
            try await $0.deleteTemplate(workspaceId: template.workspaceId, id: template.id)
        }
    }

    private func saveTemplate(_ principal: Principal, _ template: EmailTemplate, action: AuditAction, ip: String?,
                              _ change: @escaping @Sendable (any EmailRepository) async throws -> Void) async throws {
        let audit = AuditLog(deps)
        let actor = principal.actor
        try await deps.store.write { repos in
            if action != .emailTemplateDeleted,
               let other = try await repos.emails.template(workspaceId: template.workspaceId, name: template.name),
               other.id != template.id {
                throw RapportError(.conflict, code: "template_name_taken",
                                   message: "Another email template is named \(template.name).", details: ["field": "name"])
            }
            try await change(repos.emails)
            try await audit.record(in: repos, workspaceId: template.workspaceId, actor: actor, action: action,
                                   targetType: "email_template", targetId: template.id, ip: ip,
                                   details: ["name": template.name])
        }
    }

    // MARK: Validation

    static let maxSubject = 300
    static let maxBody = 200_000

    static func content(subject: String?, text: String?, html: String?) throws(RapportError) -> EmailContent {
        guard let subject = subject?.trimmed, !subject.isEmpty, subject.count <= maxSubject else {
            throw RapportError.invalid("subject", "subject must be 1–\(maxSubject) characters.")
        }
        guard !subject.contains(where: { $0 == "\r" || $0 == "\n" }) else {
            throw RapportError.invalid("subject", "subject must be one line.")
        }
        guard let text, !text.trimmed.isEmpty, text.utf8.count <= maxBody else {
            throw RapportError.invalid("text", "text (the plain-text part) must be 1 to \(maxBody) bytes.")
        }
        if let html, html.utf8.count > maxBody {
            throw RapportError.invalid("html", "html must be at most \(maxBody) bytes.")
        }
        for (field, value) in [("subject", subject), ("text", text), ("html", html ?? "")] where value.contains("\u{0}") {
            throw RapportError.invalid(field, "\(field) must not contain the NUL character (U+0000).")
        }
        let htmlPart = html.flatMap { $0.trimmed.isEmpty ? nil : $0 }
        return EmailContent(subject: subject, text: text, html: htmlPart)
    }

    static func templateName(_ raw: String) throws(RapportError) -> String {
        let name = raw.trimmed
        guard (1...100).contains(name.count), !name.contains("\u{0}") else {
            throw RapportError.invalid("name", "name must be 1–100 characters.")
        }
        return name
    }
}

/// Whose link it is: shown on the unsubscribe page.
public struct UnsubscribeTarget: Sendable, Equatable {
    public let workspaceName: String
    public let purpose: String
    public let recipient: String
}
