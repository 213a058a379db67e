/// What a server offers in its EHLO reply (RFC 5321 §4.1.1.1): one extension keyword per line after the first.
public struct SMTPCapabilities: Sendable, Equatable {
    /// Keyword (upper-cased) → its parameters, e.g. `AUTH` → `["PLAIN", "LOGIN"]`.
    public let extensions: [String: [String]]

    /// An empty set: what a server greeted with HELO offers.
    public init() { extensions = [:] }

    public init(ehloReply: SMTPReply) {
        var extensions: [String: [String]] = [:]
        for line in ehloReply.lines.dropFirst() {
            // `AUTH=PLAIN LOGIN` is the pre-RFC 4954 form some servers still send alongside `AUTH PLAIN LOGIN`.
            let words = line.split(whereSeparator: { $0 == " " || $0 == "=" && line.uppercased().hasPrefix("AUTH=") })
            guard let keyword = words.first?.uppercased(), !keyword.isEmpty else { continue }
            let parameters = words.dropFirst().map(String.init)
            extensions[keyword, default: []].append(contentsOf: parameters)
        }
        self.extensions = extensions
    }

    public func offers(_ keyword: String) -> Bool { extensions[keyword.uppercased()] != nil }

    public var startTLS: Bool { offers("STARTTLS") }
    public var eightBitMIME: Bool { offers("8BITMIME") }
    public var smtpUTF8: Bool { offers("SMTPUTF8") }
    public var size: Bool { offers("SIZE") }

    /// The largest message the server accepts (RFC 1870), when it declares one; `SIZE` or `SIZE 0` declares none.
    public var maxMessageSize: Int? {
        guard let value = extensions["SIZE"]?.first, let size = Int(value), size > 0 else { return nil }
        return size
    }

    /// The SASL mechanisms after `AUTH`, upper-cased.
    public var authMechanisms: Set<String> { Set((extensions["AUTH"] ?? []).map { $0.uppercased() }) }
}
