import Foundation

/// One person, built from every interaction. Traits are free-form JSON; a few are promoted for search and display.
public struct Customer: Sendable, Equatable {
    public var id: String
    public var workspaceId: String
    public var traits: [String: JSONValue]
    /// When each trait was last set (ms), for last-write-wins when profiles merge or messages arrive late.
    public var traitTimes: [String: Int64]
    public var createdAt: Int64
    public var updatedAt: Int64
    public var firstSeenAt: Int64
    public var lastSeenAt: Int64
    /// Set on a profile that was merged into another; such profiles are kept only as a forwarding record.
    public var mergedInto: String?

    public init(id: String, workspaceId: String, traits: [String: JSONValue] = [:], traitTimes: [String: Int64] = [:],
                createdAt: Int64, updatedAt: Int64, firstSeenAt: Int64, lastSeenAt: Int64, mergedInto: String? = nil) {
        self.id = id
        self.workspaceId = workspaceId
        self.traits = traits
        self.traitTimes = traitTimes
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.firstSeenAt = firstSeenAt
        self.lastSeenAt = lastSeenAt
        self.mergedInto = mergedInto
    }

    public var email: String? { traits["email"]?.stringValue.map { $0.lowercased() } }
    public var phone: String? { traits["phone"]?.stringValue }

    /// `name`, else `first_name last_name` (Segment's reserved traits).
    public var name: String? {
        if let name = traits["name"]?.stringValue, !name.isEmpty { return name }
        let parts = [traits["first_name"]?.stringValue ?? traits["firstName"]?.stringValue,
                     traits["last_name"]?.stringValue ?? traits["lastName"]?.stringValue].compactMap { $0 }
        return parts.isEmpty ? nil : parts.joined(separator: " ")
    }

    /// What a person reads as this customer's name: the name, else the email, else "Anonymous visitor".
    public var displayName: String { name ?? email ?? "Anonymous visitor" }

    /// Sets traits observed at `at`; an older observation does not overwrite a newer one. Returns what changed.
    @discardableResult
    public mutating func apply(traits incoming: [String: JSONValue], at: Int64) -> [String: JSONValue] {
        var changed: [String: JSONValue] = [:]
        for (key, value) in incoming {
            if let previous = traitTimes[key], previous > at { continue }
            traitTimes[key] = at
            if traits[key] != value {
                traits[key] = value
                changed[key] = value
            }
        }
        return changed
    }

    /// Records that the person was seen at `at`.
    public mutating func seen(at: Int64) {
        firstSeenAt = min(firstSeenAt, at)
        lastSeenAt = max(lastSeenAt, at)
    }
}

/// The kinds of identifier that resolve to a person.
public enum IdentifierKind: String, Sendable, Codable, CaseIterable {
    case userId = "user_id"
    case anonymousId = "anonymous_id"
    case email
    case phone
    case external
}

/// One identifier of a person: `user_id:42`, `email:ann@example.com`, `external:stripe/cus_123`.
public struct Identifier: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var kind: IdentifierKind
    /// For external ids, the system they come from (`stripe`, `zendesk`); empty otherwise.
    public var namespace: String
    public var value: String

    public init(_ kind: IdentifierKind, _ value: String, namespace: String = "") {
        self.kind = kind
        self.namespace = namespace
        self.value = Identifier.normalize(kind, value)
    }

    public static func < (a: Identifier, b: Identifier) -> Bool { a.description < b.description }

    public var description: String {
        namespace.isEmpty ? "\(kind.rawValue):\(value)" : "\(kind.rawValue):\(namespace)/\(value)"
    }

    /// Reads `{"type": "user_id"|"anonymous_id"|"email"|"phone"|"external", "value": "…", "namespace": "…"}`.
    public static func parse(_ json: JSONValue, field: String) throws(RapportError) -> Identifier {
        guard let fields = json.objectValue else { throw RapportError.invalid(field, "\(field) must be an object.") }
        let kind = try Validation.oneOf(fields["type"]?.stringValue, field: "\(field).type", as: IdentifierKind.self)
        guard let value = fields["value"]?.stringValue, !value.trimmed.isEmpty,
              value.unicodeScalars.count <= 255 else {
            throw RapportError.invalid("\(field).value", "\(field).value must be a string of 1–255 characters.")
        }
        let namespace = fields["namespace"]?.stringValue ?? ""
        if kind == .external, namespace.isEmpty {
            throw RapportError.invalid("\(field).namespace", "An external identifier needs a namespace (e.g. stripe).")
        }
        if kind == .email { _ = try Validation.email(value, field: "\(field).value") }
        return Identifier(kind, value, namespace: kind == .external ? namespace : "")
    }

    /// Emails lower-cased; phone numbers reduced to `+` and digits; the rest trimmed.
    public static func normalize(_ kind: IdentifierKind, _ raw: String) -> String {
        let trimmed = raw.trimmed
        switch kind {
        case .email: return trimmed.lowercasedFast
        case .phone:
            let digits = trimmed.filter { $0.isNumber }
            return trimmed.hasPrefix("+") ? "+" + digits : digits
        default: return trimmed
        }
    }
}

/// How one profile was folded into another.
public struct CustomerMerge: Sendable, Equatable {
    public var id: String
    public var workspaceId: String
    public var survivorId: String
    public var mergedId: String
    public var reason: String
    public var identifiers: [String]
    public var mergedAt: Int64

    public init(id: String, workspaceId: String, survivorId: String, mergedId: String, reason: String,
                identifiers: [String], mergedAt: Int64) {
        self.id = id
        self.workspaceId = workspaceId
        self.survivorId = survivorId
        self.mergedId = mergedId
        self.reason = reason
        self.identifiers = identifiers
        self.mergedAt = mergedAt
    }
}

/// One recorded change of a trait, for the profile's trait history.
public struct TraitChange: Sendable, Equatable {
    public var trait: String
    public var value: JSONValue
    public var source: String
    public var recordedAt: Int64

    public init(trait: String, value: JSONValue, source: String, recordedAt: Int64) {
        self.trait = trait
        self.value = value
        self.source = source
        self.recordedAt = recordedAt
    }
}
