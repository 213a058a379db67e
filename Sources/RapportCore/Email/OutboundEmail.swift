/// One email in a workspace's outbox: what was (or will be) sent to whom and why, and what became of it. Every email
/// Rapport sends is a row here and an `email.send` job; the row is the log admins and the customer's timeline read.
public struct OutboundEmail: Sendable, Equatable {
    /// What became of the email. Raw values are stored.
    public enum State: String, Sendable, Codable, CaseIterable {
        /// Waiting for its job (or for a retry after a temporary failure).
        case queued
        /// The SMTP server accepted it.
        case sent
        /// The SMTP server refused it for good (a 5xx reply), or every attempt failed.
        case failed
        /// Not sent, by a contact rule: no consent for its purpose, or the address is on the suppression list.
        case blocked
    }

    public var id: String
    public var workspaceId: String
    /// The customer it was sent to, when it was sent to one (a test email is not).
    public var customerId: String?
    public var recipient: String
    /// The consent purpose it is sent under (`marketing_email`, `surveys`, …): its unsubscribe link withdraws that
    /// purpose on the email channel. Nil for service messages that carry no unsubscribe link.
    public var purpose: String?
    /// The workspace template it was rendered from, if any.
    public var templateId: String?
    public var subject: String
    public var textBody: String
    public var htmlBody: String?
    public var state: State
    /// Why it was blocked or failed, in words.
    public var reason: String?
    public var attempts: Int
    /// The SMTP server's last reply (`250 2.0.0 Ok: queued as …`, `451 4.7.1 Try again later`).
    public var lastReply: String?
    /// The `Message-ID` header's value (without angle brackets), fixed when the email is queued, so that every attempt
    /// carries the same one and a receiver can drop a duplicate.
    public var messageId: String
    /// The token of its unsubscribe link (`/unsubscribe/{token}`), when it has a purpose: 192 random bits, so
    /// unguessable. Kept as it is rather than hashed: the sent message (and its copy here) carries it anyway, and it
    /// can do one thing only, withdraw this person's consent to this purpose.
    public var unsubscribeToken: String?
    /// Who asked for it: `api`, `automation`, `settings_test`, later `survey`.
    public var source: String
    public var createdAt: Int64
    public var updatedAt: Int64
    public var sentAt: Int64?

    public init(id: String, workspaceId: String, customerId: String?, recipient: String, purpose: String?,
                templateId: String?, content: EmailContent, messageId: String, unsubscribeToken: String?,
                source: String, now: Int64) {
        self.id = id
        self.workspaceId = workspaceId
        self.customerId = customerId
        self.recipient = recipient
        self.purpose = purpose
        self.templateId = templateId
        self.subject = content.subject
        self.textBody = content.text
        self.htmlBody = content.html
        self.state = .queued
        self.reason = nil
        self.attempts = 0
        self.lastReply = nil
        self.messageId = messageId
        self.unsubscribeToken = unsubscribeToken
        self.source = source
        self.createdAt = now
        self.updatedAt = now
        self.sentAt = nil
    }
}

/// The three parts of an email, as a template holds them (Mustache) or as they are rendered for one person.
public struct EmailContent: Sendable, Equatable {
    public var subject: String
    public var text: String
    public var html: String?

    public init(subject: String, text: String, html: String?) {
        self.subject = subject
        self.text = text
        self.html = html
    }
}

/// An address the workspace must not email: it bounced for good (a 5xx reply to `RCPT TO`) or an admin added it.
public struct EmailSuppression: Sendable, Equatable {
    public enum Reason: String, Sendable, Codable, CaseIterable {
        /// The receiving server refused the address permanently.
        case bounced
        /// An admin put it on the list (a complaint, a request by phone).
        case manual
    }

    public var id: String
    public var workspaceId: String
    /// Lower-cased.
    public var address: String
    public var reason: Reason
    /// The SMTP reply or the admin's note.
    public var detail: String?
    public var createdAt: Int64

    public init(id: String, workspaceId: String, address: String, reason: Reason, detail: String?, createdAt: Int64) {
        self.id = id
        self.workspaceId = workspaceId
        self.address = address
        self.reason = reason
        self.detail = detail
        self.createdAt = createdAt
    }
}

/// A workspace's reusable email: subject, text and optional HTML as Mustache templates, rendered for each recipient
/// with `customer`, `workspace` and `unsubscribe_url` (docs/email.md).
public struct EmailTemplate: Sendable, Equatable {
    public var id: String
    public var workspaceId: String
    public var name: String
    public var content: EmailContent
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(id: String, workspaceId: String, name: String, content: EmailContent, createdAt: Int64, updatedAt: Int64) {
        self.id = id
        self.workspaceId = workspaceId
        self.name = name
        self.content = content
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

extension OutboundEmail {
    /// The email as a person's data export shows it.
    var exportJSON: JSONValue {
        ["id": .string(id), "to": .string(recipient), "subject": .string(subject), "text": .string(textBody),
         "purpose": JSONValue(purpose), "state": .string(state.rawValue), "reason": JSONValue(reason),
         "created_at": .string(Timestamp.iso8601(createdAt)), "sent_at": sentAt.map { .string(Timestamp.iso8601($0)) } ?? .null]
    }
}
