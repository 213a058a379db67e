/// Why a send failed, classified for retrying: ``isTransient`` errors (4xx replies, connection, timeout, TLS I/O)
/// may succeed later; the others (5xx replies, rejected credentials, bad settings or message) will not.
public struct SMTPError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        /// The server answered a command with a failure reply (``reply`` holds it).
        case rejected
        /// The server refused the credentials (535, or 454 for a temporary failure).
        case authenticationFailed
        /// The TCP connection could not be opened or broke.
        case connection
        /// No reply (or connection) within the configured time.
        case timeout
        /// The TLS handshake failed; a certificate that does not verify is permanent, other TLS failures transient.
        case tls
        /// The server said something that is not SMTP.
        case protocolViolation
        /// The settings do not fit the server (no STARTTLS, no usable AUTH, password over plain text, SMTPUTF8 or
        /// size not offered) or are invalid.
        case configuration
        /// The message cannot be rendered (see ``EmailError``).
        case invalidMessage
    }

    public let kind: Kind
    /// The command the failure answered (`MAIL FROM`, `RCPT TO`, `DATA`, …), or the step (`connect`, `STARTTLS`).
    public let stage: String
    /// The server's reply, when the failure is one.
    public let reply: SMTPReply?
    public let detail: String
    public let isTransient: Bool

    public init(kind: Kind, stage: String, reply: SMTPReply? = nil, detail: String, isTransient: Bool) {
        self.kind = kind
        self.stage = stage
        self.reply = reply
        self.detail = detail
        self.isTransient = isTransient
    }

    /// The server's reply code, when the failure is a reply.
    public var code: Int? { reply?.code }

    /// A failure reply: transient when 4xx, permanent when 5xx (RFC 5321 §4.2.1).
    static func rejected(_ reply: SMTPReply, at stage: String) -> SMTPError {
        SMTPError(kind: .rejected, stage: stage, reply: reply, detail: reply.description,
                  isTransient: !reply.isPermanentFailure)
    }

    static func configuration(_ detail: String, at stage: String, reply: SMTPReply? = nil) -> SMTPError {
        SMTPError(kind: .configuration, stage: stage, reply: reply, detail: detail, isTransient: false)
    }

    /// `SMTP 550 5.1.1 <x@example.com>: Recipient address rejected (RCPT TO; permanent)`.
    public var description: String {
        let what = reply.map { "SMTP \($0.description)" } ?? "SMTP \(kind.rawValue): \(detail)"
        let extra = reply != nil && detail != reply!.description ? " — \(detail)" : ""
        return "\(what)\(extra) (\(stage); \(isTransient ? "temporary" : "permanent"))"
    }
}
