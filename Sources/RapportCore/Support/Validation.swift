import Foundation

/// Input rules shared by the API, the UI and the CLI.
public enum Validation {
    public static let nameMaxLength = 100
    public static let passwordMinLength = 10
    public static let passwordMaxLength = 128
    public static let emailMaxLength = 254

    /// Rejects the first field (in name order) that is not in `allowed`: "`x` is not a field of a `thing`; allowed: …".
    /// `path` prefixes the field in the error's place (e.g. "questions[2]").
    public static func knownFields(_ fields: [String: JSONValue], allowed: Set<String>, of thing: String,
                                   path: String? = nil, listAllowed: Bool = true) throws(RapportError) {
        guard let unknown = fields.keys.sorted().first(where: { !allowed.contains($0) }) else { return }
        let place = path.map { "\($0).\(unknown)" } ?? unknown
        let list = listAllowed ? "; allowed: \(allowed.sorted().joined(separator: ", "))" : ""
        throw .invalid(place, "\(unknown) is not a field of \(thing)\(list).")
    }

    /// A display name: trimmed, 1–100 characters, no control characters.
    public static func name(_ raw: String?, field: String = "name") throws(RapportError) -> String {
        let value = (raw ?? "").trimmed
        guard !value.isEmpty else { throw .invalid(field, "\(field) must not be empty.") }
        // Lengths count Unicode code points, as JSON Schema's maxLength does.
        guard value.unicodeScalars.count <= nameMaxLength else {
            throw .invalid(field, "\(field) must be at most \(nameMaxLength) characters.")
        }
        guard !value.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) else {
            throw .invalid(field, "\(field) must not contain control characters.")
        }
        return value
    }

    /// A free-text description: trimmed, at most 1000 characters; empty becomes nil.
    public static func description(_ raw: String, field: String = "description") throws(RapportError) -> String? {
        let value = raw.trimmed
        guard value.unicodeScalars.count <= 1000 else { throw .invalid(field, "\(field) must be at most 1000 characters.") }
        return value.isEmpty ? nil : value
    }

    /// An email address, lower-cased: one `@`, a dot in the domain, no spaces.
    public static func email(_ raw: String?, field: String = "email") throws(RapportError) -> String {
        let value = (raw ?? "").trimmed.lowercased()
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        guard value.unicodeScalars.count <= emailMaxLength, parts.count == 2, !parts[0].isEmpty,
              parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
              !value.contains(where: { $0.isWhitespace || $0.isNewline }) else {
            throw .invalid(field, "\(field) must be an email address like name@example.com.")
        }
        return value
    }

    /// A password: 10–128 characters.
    public static func password(_ raw: String?, field: String = "password") throws(RapportError) -> String {
        let value = raw ?? ""
        guard value.unicodeScalars.count >= passwordMinLength else {
            throw .invalid(field, "\(field) must be at least \(passwordMinLength) characters.")
        }
        guard value.unicodeScalars.count <= passwordMaxLength else {
            throw .invalid(field, "\(field) must be at most \(passwordMaxLength) characters.")
        }
        return value
    }

    /// A value of a string enumeration, named in the error when unknown.
    public static func oneOf<T: RawRepresentable & CaseIterable>(
        _ raw: String?, field: String, as type: T.Type
    ) throws(RapportError) -> T where T.RawValue == String {
        guard let raw, let value = T(rawValue: raw) else {
            let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw .invalid(field, "\(field) must be one of: \(allowed).")
        }
        return value
    }

    /// A JSON number that is a whole number within `range`; the error names `field`.
    public static func integer(_ raw: JSONValue, _ field: String, _ range: ClosedRange<Int>) throws(RapportError) -> Int {
        guard let number = raw.numberValue, number == number.rounded(), number >= Double(range.lowerBound),
              number <= Double(range.upperBound) else {
            throw RapportError.invalid(field, "\(field) must be a whole number from \(range.lowerBound) to \(range.upperBound).")
        }
        return Int(number)
    }
}
