import Foundation

/// Renders email templates (Mustache; implemented in RapportWeb). The HTML part escapes what it inserts; the subject
/// and the text part do not (they are not HTML).
public protocol EmailRenderer: Sendable {
    /// Checks that each part is a valid template; `422` naming `subject`, `text` or `html` otherwise.
    func check(_ content: EmailContent) throws(RapportError)
    /// The parts rendered with `context` (a JSON object); a subject's line breaks become spaces.
    func render(_ content: EmailContent, context: JSONValue) throws(RapportError) -> EmailContent
}

/// How this server sends email: whether an SMTP server is configured, the address links in emails start with, and
/// how many emails a workspace may send a minute.
public struct EmailSettings: Sendable, Equatable {
    /// False when no SMTP server is configured: nothing can be queued.
    public var isConfigured: Bool
    /// Where people reach this server (`PUBLIC_URL`), without a trailing slash; unsubscribe links start with it.
    public var publicURL: String
    /// Emails a workspace may send in any 60 seconds (`EMAIL_RATE_PER_MINUTE`); more wait for the window to move.
    public var ratePerMinute: Int

    public init(isConfigured: Bool, publicURL: String, ratePerMinute: Int = 120) {
        self.isConfigured = isConfigured
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        self.ratePerMinute = ratePerMinute
    }

    /// The host of `publicURL`, the right-hand side of the Message-IDs Rapport makes.
    var messageIdDomain: String {
        guard let start = publicURL.range(of: "://")?.upperBound else { return "rapport.invalid" }
        let rest = publicURL[start...]
        let host = rest.prefix { $0 != "/" && $0 != ":" && $0 != "?" }
        return host.isEmpty ? "rapport.invalid" : String(host)
    }
}

/// A light check of an email address before it is queued (the SMTP client checks it fully when it sends):
/// `local@domain`, at most 254 characters, no spaces, no angle brackets or control characters.
public enum EmailAddressCheck {
    static func normalised(_ raw: String, field: String) throws(RapportError) -> String {
        let address = raw.trimmed
        let problem = RapportError.invalid(field, "\(field) must be an email address such as ann@example.com.")
        guard (3...254).contains(address.count), let at = address.lastIndex(of: "@"),
              at != address.startIndex, address.index(after: at) != address.endIndex,
              !address.contains(where: { $0.isWhitespace || "<>()[],;:\"\\".contains($0) || $0.asciiValue.map { $0 < 32 || $0 == 127 } == true })
        else { throw problem }
        let domain = address[address.index(after: at)...]
        guard !domain.contains("@"), !domain.hasPrefix("."), !domain.hasSuffix("."), !domain.contains("..") else { throw problem }
        return address
    }

    /// The form the suppression list compares (the whole address lower-cased).
    public static func key(_ address: String) -> String { address.lowercased() }
}
