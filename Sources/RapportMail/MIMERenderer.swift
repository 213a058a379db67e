/// Renders an ``EmailMessage`` as an RFC 5322 / MIME (RFC 2045–2047) message with CRLF line endings.
public struct MIMERenderer: Sendable {
    /// Headers the renderer writes itself; an extra header by one of these names is refused.
    static let ownHeaders: Set<String> = [
        "date", "from", "to", "cc", "bcc", "reply-to", "subject", "message-id", "mime-version", "content-type",
        "content-transfer-encoding", "list-unsubscribe", "list-unsubscribe-post",
    ]

    public init() {}

    /// The rendered message (headers, blank line, body); every line ends in CRLF and the body is 7-bit
    /// (quoted-printable or base64), except that addresses that are not ASCII stay UTF-8 (they need SMTPUTF8).
    /// `boundary` is for tests; by default it is random.
    public func render(_ message: EmailMessage, messageID: String, secondsSince1970: Int64,
                       boundary: String? = nil) throws(EmailError) -> [UInt8] {
        guard !message.to.isEmpty else { throw .noRecipients }
        var headers: [String] = []
        headers.append("Date: \(MessageDate.format(secondsSince1970: secondsSince1970))")
        headers.append(Self.addressHeader("From", [message.from]))
        headers.append(Self.addressHeader("To", message.to))
        if let replyTo = message.replyTo { headers.append(Self.addressHeader("Reply-To", [replyTo])) }
        if message.subject.containsLineBreak { throw .headerInjection(field: "subject") }
        headers.append(Self.unstructuredHeader("Subject", message.subject))
        if messageID.containsLineBreak { throw .headerInjection(field: "Message-ID") }
        headers.append("Message-ID: <\(messageID)>")
        if let url = message.unsubscribeURL {
            if url.containsLineBreak { throw .headerInjection(field: "unsubscribe URL") }
            guard url.lowercased().hasPrefix("https://"), url.count > 8,
                !url.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value >= 0x7F || $0 == "<" || $0 == ">" })
            else { throw .invalidUnsubscribeURL(url) }
            headers.append("List-Unsubscribe: <\(url)>")
            headers.append("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
        }
        for (name, value) in message.extraHeaders {
            guard !name.isEmpty, name.utf8.allSatisfy({ $0 >= 33 && $0 <= 126 && $0 != 0x3A }) else {
                throw .invalidHeader(name: name, reason: "a header name is printable ASCII without a colon")
            }
            guard !Self.ownHeaders.contains(name.lowercased()) else {
                throw .invalidHeader(name: name, reason: "set by the renderer from the message's fields")
            }
            if value.containsLineBreak { throw .headerInjection(field: "header \(name)") }
            headers.append(Self.unstructuredHeader(name, value))
        }
        headers.append("MIME-Version: 1.0")

        var lines = headers
        if let html = message.htmlBody {
            let boundary = boundary ?? Self.randomBoundary()
            lines.append("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
            lines.append("")
            lines.append("This is a multi-part message in MIME format.")
            for (subtype, body) in [("plain", message.textBody), ("html", html)] {
                lines.append("--\(boundary)")
                lines.append(contentsOf: Self.part(subtype: subtype, body: body))
            }
            lines.append("--\(boundary)--")
        } else {
            lines.append(contentsOf: Self.part(subtype: "plain", body: message.textBody))
        }
        return Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }

    /// A body part's headers, a blank line and its encoded body.
    static func part(subtype: String, body: String) -> [String] {
        let (encoding, encoded) = encodeBody(body)
        return ["Content-Type: text/\(subtype); charset=utf-8", "Content-Transfer-Encoding: \(encoding)", "",
                encoded]
    }

    /// Quoted-printable, unless base64 is shorter (text that is mostly not Latin script), with CRLF line breaks.
    static func encodeBody(_ body: String) -> (encoding: String, text: String) {
        let bytes = normalizedLineBreaks(body)
        let quoted = QuotedPrintable.encode(bytes)
        let base64 = Base64.encode(bytes, lineLength: 76)
        return quoted.utf8.count <= base64.utf8.count ? ("quoted-printable", quoted) : ("base64", base64)
    }

    /// The text's UTF-8 with every CR, LF or CRLF made CRLF.
    static func normalizedLineBreaks(_ text: String) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count)
        var previousWasCR = false
        for byte in text.utf8 {
            if byte == 0x0A {
                if !previousWasCR { output.append(0x0D) }
                output.append(0x0A)
                previousWasCR = false
            } else {
                if previousWasCR { output.append(0x0A) }
                output.append(byte)
                previousWasCR = byte == 0x0D
            }
        }
        if previousWasCR { output.append(0x0A) }
        return output
    }

    /// `Name: value`, the value as encoded-words when it is not ASCII, else folded at spaces to keep lines near 78.
    static func unstructuredHeader(_ name: String, _ value: String) -> String {
        guard value.isASCII else {
            let words = EncodedWord.encode(value, firstWordLimit: 78 - name.count - 2)
            return "\(name): " + words.joined(separator: "\r\n ")
        }
        return fold("\(name): \(value)")
    }

    /// Folds a header line of ASCII text before spaces so lines stay within 78 characters where a space allows it
    /// (RFC 5322 §2.2.3); a word longer than a line stays whole.
    static func fold(_ line: String) -> String {
        guard line.count > 78 else { return line }
        var lines: [String] = []
        var current = ""
        for word in line.split(separator: " ", omittingEmptySubsequences: false) {
            if current.isEmpty {
                current = String(word)
            } else if current.count + 1 + word.count > 78, !word.isEmpty {
                lines.append(current)
                current = " " + word
            } else {
                current += " " + word
            }
        }
        lines.append(current)
        return lines.joined(separator: "\r\n")
    }

    /// `Name: a, b` with each mailbox rendered by ``mailbox(_:)`` and folded after each comma.
    static func addressHeader(_ name: String, _ addresses: [EmailAddress]) -> String {
        "\(name): " + addresses.map(mailbox).joined(separator: ",\r\n ")
    }

    /// `addr`, `Name <addr>`, `"Name, Jr." <addr>` or `=?UTF-8?Q?…?= <addr>`.
    static func mailbox(_ address: EmailAddress) -> String {
        guard let name = address.displayName else { return address.address }
        if !name.isASCII {
            return EncodedWord.encode(name).joined(separator: "\r\n ") + " <\(address.address)>"
        }
        // RFC 5322 §3.2.3: a phrase of atext and spaces needs no quotes.
        let atext = "!#$%&'*+-/=?^_`{|}~ "
        let needsQuotes = name.unicodeScalars.contains {
            !(($0.value >= 0x41 && $0.value <= 0x5A) || ($0.value >= 0x61 && $0.value <= 0x7A)
                || ($0.value >= 0x30 && $0.value <= 0x39) || atext.unicodeScalars.contains($0))
        }
        guard needsQuotes else { return "\(name) <\(address.address)>" }
        var quoted = "\""
        for character in name {
            if character == "\\" || character == "\"" { quoted.append("\\") }
            quoted.append(character)
        }
        return quoted + "\" <\(address.address)>"
    }

    static func randomBoundary() -> String {
        "=_rapport_" + RandomToken.hex(byteCount: 16)
    }
}
