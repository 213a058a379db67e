/// An email to send: sender, recipients, subject, a plain-text body and an optional HTML alternative.
public struct EmailMessage: Sendable {
    public var from: EmailAddress
    public var to: [EmailAddress]
    public var replyTo: EmailAddress?
    public var subject: String
    public var textBody: String
    public var htmlBody: String?
    /// An `https://` URL that unsubscribes the recipient with one POST (RFC 8058): rendered as `List-Unsubscribe`
    /// with `List-Unsubscribe-Post: List-Unsubscribe=One-Click`.
    public var unsubscribeURL: String?
    /// Further headers (`X-Campaign`, `Auto-Submitted`, …), in order. Headers the renderer writes itself are refused.
    public var extraHeaders: [(name: String, value: String)]

    public init(from: EmailAddress, to: [EmailAddress], replyTo: EmailAddress? = nil, subject: String,
                textBody: String, htmlBody: String? = nil, unsubscribeURL: String? = nil,
                extraHeaders: [(name: String, value: String)] = []) {
        self.from = from
        self.to = to
        self.replyTo = replyTo
        self.subject = subject
        self.textBody = textBody
        self.htmlBody = htmlBody
        self.unsubscribeURL = unsubscribeURL
        self.extraHeaders = extraHeaders
    }

    /// Whether the envelope or headers carry an address that is not ASCII, which needs SMTPUTF8 (RFC 6531).
    public var needsSMTPUTF8: Bool {
        from.needsSMTPUTF8 || to.contains { $0.needsSMTPUTF8 } || (replyTo?.needsSMTPUTF8 ?? false)
    }
}
