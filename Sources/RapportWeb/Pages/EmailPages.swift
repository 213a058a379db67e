import Foundation
import RapportCore

/// Email settings for admins: the SMTP server and its test, the workspace's templates, the suppression list and the
/// latest emails of the outbox.
public struct EmailSettingsPage: PageModel {
    public static let template = "email_settings"

    public struct Email: Sendable {
        public let to: String
        public let subject: String
        public let state: String
        public let isProblem: Bool
        public let detail: String?
        public let createdAt: DisplayDate
        public let customerURL: String?
    }

    public struct Suppression: Sendable {
        public let address: String
        public let reason: String
        public let detail: String?
        public let createdAt: DisplayDate
    }

    public struct Template: Sendable {
        public let name: String
        public let subject: String
        public let updatedAt: DisplayDate
    }

    /// The workspace's SMTP server as the form shows it.
    public struct SMTPForm: Sendable {
        public struct Option: Sendable {
            public let value: String
            public let selected: Bool
        }
        /// `workspace`, `server` or `none`.
        public let isOwn: Bool
        public let isServer: Bool
        public let host: String
        public let port: String
        public let security: [Option]
        public let username: String
        public let passwordSet: Bool
        public let from: String
        public let canStorePasswords: Bool

        public init(source: String, host: String?, port: Int?, security: String?, username: String?, passwordSet: Bool,
                    from: String?, canStorePasswords: Bool) {
            isOwn = source == "workspace"
            isServer = source == "server"
            // The form edits the workspace's own server: the server-wide one is shown, not prefilled.
            self.host = isOwn ? host ?? "" : ""
            self.port = isOwn ? port.map(String.init) ?? "" : ""
            let chosen = isOwn ? security ?? "starttls" : "starttls"
            self.security = ["starttls", "tls", "opportunistic", "none"].map { Option(value: $0, selected: $0 == chosen) }
            self.username = isOwn ? username ?? "" : ""
            self.passwordSet = isOwn && passwordSet
            self.from = isOwn ? from ?? "" : ""
            self.canStorePasswords = canStorePasswords
        }
    }

    public let server: String?
    public let sender: String?
    /// The workspace's stored password cannot be opened with this server's `SECRET_KEY`.
    public let passwordUnreadable: Bool
    public let smtp: SMTPForm
    public let ratePerMinute: Int
    public let emails: [Email]
    public let suppressions: [Suppression]
    public let templates: [Template]
    public let values: [String: String]
    public let error: String?
    public let flash: String?

    public init(server: String?, sender: String?, passwordUnreadable: Bool = false, smtp: SMTPForm, ratePerMinute: Int, emails: [OutboundEmail],
                suppressions: [EmailSuppression], templates: [EmailTemplate], values: [String: String] = [:],
                error: String?, flash: String?, timeZone: TimeZone = DisplayDate.utc) {
        self.server = server
        self.sender = sender
        self.passwordUnreadable = passwordUnreadable
        self.smtp = smtp
        self.ratePerMinute = ratePerMinute
        self.emails = emails.map {
            Email(to: $0.recipient, subject: $0.subject, state: $0.state.rawValue,
                  isProblem: $0.state == .failed || $0.state == .blocked, detail: $0.reason ?? $0.lastReply,
                  createdAt: DisplayDate(millis: $0.sentAt ?? $0.createdAt, timeZone: timeZone),
                  customerURL: $0.customerId.map { WebURL.customer($0) })
        }
        self.suppressions = suppressions.map {
            Suppression(address: $0.address, reason: $0.reason.rawValue, detail: $0.detail,
                        createdAt: DisplayDate(millis: $0.createdAt, timeZone: timeZone))
        }
        self.templates = templates.map {
            Template(name: $0.name, subject: $0.content.subject, updatedAt: DisplayDate(millis: $0.updatedAt, timeZone: timeZone))
        }
        self.values = values
        self.error = error
        self.flash = flash
    }
}

/// The page an unsubscribe link opens: who is unsubscribed from what, and the button that confirms it (a link
/// alone changes nothing, so that mail scanners following links do not unsubscribe anyone).
public struct UnsubscribePage: PageModel {
    public static let template = "unsubscribe"
    public let workspaceName: String
    public let purpose: String
    public let recipient: String
    public let actionURL: String
    public let done: Bool

    public init(target: UnsubscribeTarget, actionURL: String, done: Bool) {
        workspaceName = target.workspaceName
        purpose = target.purpose.replacingOccurrences(of: "_", with: " ")
        recipient = target.recipient
        self.actionURL = actionURL
        self.done = done
    }
}
