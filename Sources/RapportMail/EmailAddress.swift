/// A mailbox: an address (`local@domain`) and an optional display name.
public struct EmailAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address alone, as used in the SMTP envelope (`MAIL FROM:<…>`, `RCPT TO:<…>`).
    public let address: String
    public let displayName: String?

    /// Checks the address: one `@` between a non-empty local part and domain, no spaces, controls, `<`, `>`, `,`
    /// or quotes (quoted local parts are not supported); CR or LF anywhere is refused as header injection.
    public init(_ address: String, displayName: String? = nil, field: String = "address") throws(EmailError) {
        let address = address.trimmingSpaces
        if address.containsLineBreak { throw .headerInjection(field: field) }
        if let displayName, displayName.containsLineBreak { throw .headerInjection(field: field) }
        guard let at = address.lastIndex(of: "@") else {
            throw .invalidAddress(field: field, value: address, reason: "no @")
        }
        let local = address[..<at]
        let domain = address[address.index(after: at)...]
        guard !local.isEmpty, !domain.isEmpty else {
            throw .invalidAddress(field: field, value: address, reason: "empty local part or domain")
        }
        let forbidden = "<>,;\"()[]\\".unicodeScalars
        if address.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F || forbidden.contains($0) }) {
            throw .invalidAddress(field: field, value: address,
                                  reason: "spaces, controls and <>,;\"()[]\\ are not allowed")
        }
        guard !domain.contains("@"), !domain.hasPrefix("."), !domain.hasSuffix("."), !domain.contains("..") else {
            throw .invalidAddress(field: field, value: address, reason: "malformed domain")
        }
        self.address = address
        let name = displayName?.trimmingSpaces
        self.displayName = (name?.isEmpty ?? true) ? nil : name
    }

    /// Reads `name@example.com`, `<name@example.com>` or `Display Name <name@example.com>` (the name may be quoted).
    public init(parsing text: String, field: String = "address") throws(EmailError) {
        if text.containsLineBreak { throw .headerInjection(field: field) }
        let text = text.trimmingSpaces
        guard text.hasSuffix(">"), let open = text.lastIndex(of: "<") else {
            try self.init(text, field: field)
            return
        }
        let address = String(text[text.index(after: open)..<text.index(before: text.endIndex)])
        var name = String(text[..<open]).trimmingSpaces
        if name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") {
            name = String(name.dropFirst().dropLast()).replacingBackslashEscapes
        }
        try self.init(address, displayName: name, field: field)
    }

    /// The domain part, after the last `@`.
    public var domain: String { String(address[address.index(after: address.lastIndex(of: "@")!)...]) }

    /// Whether the address needs SMTPUTF8 (RFC 6531) because it is not ASCII.
    public var needsSMTPUTF8: Bool { !address.isASCII }

    public var description: String {
        guard let displayName else { return address }
        return "\(displayName) <\(address)>"
    }
}

extension String {
    var containsLineBreak: Bool { unicodeScalars.contains { $0 == "\r" || $0 == "\n" } }
    var isASCII: Bool { utf8.allSatisfy { $0 < 0x80 } }
    var trimmingSpaces: String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
    var replacingBackslashEscapes: String {
        var result = ""
        var escaped = false
        for character in self {
            if escaped { result.append(character); escaped = false } else if character == "\\" { escaped = true } else {
                result.append(character)
            }
        }
        return result
    }
}
