import Foundation

/// One consent decision: a person granted or withdrew permission to be contacted for a purpose on a channel.
public struct ConsentRecord: Sendable, Equatable {
    public enum Status: String, Sendable, Codable, CaseIterable { case granted, withdrawn }

    public var id: String
    public var workspaceId: String
    public var customerId: String
    public var purpose: String
    /// A channel (`email`, `sms`, `phone`, `web`, `push`, `in_app`) or `any` for every channel.
    public var channel: String
    public var status: Status
    public var source: String
    public var recordedAt: Int64

    public init(id: String, workspaceId: String, customerId: String, purpose: String, channel: String, status: Status,
                source: String, recordedAt: Int64) {
        self.id = id
        self.workspaceId = workspaceId
        self.customerId = customerId
        self.purpose = purpose
        self.channel = channel
        self.status = status
        self.source = source
        self.recordedAt = recordedAt
    }
}

extension ConsentRecord {
    /// The latest record of each (purpose, channel), sorted by purpose then channel.
    public static func current(_ history: [ConsentRecord]) -> [ConsentRecord] {
        var latest: [String: ConsentRecord] = [:]
        for record in history {
            let key = record.purpose + "|" + record.channel
            if let existing = latest[key], (existing.recordedAt, existing.id) > (record.recordedAt, record.id) { continue }
            latest[key] = record
        }
        return latest.values.sorted { ($0.purpose, $0.channel) < ($1.purpose, $1.channel) }
    }
}

/// The one answer to "may we contact this customer for purpose P on channel C now?". Surveys, campaigns and
/// calls all ask here.
public enum ContactPolicy {
    public static let knownPurposes = ["marketing_email", "surveys", "sales_calls", "sms"]
    public static let channels = ["email", "sms", "phone", "web", "push", "in_app", "any"]

    /// Purposes that need an explicit grant (opt-in); the others are allowed until withdrawn (opt-out), as for
    /// transactional surveys under legitimate interest. Documented in docs/api.md.
    public static let optInPurposes: Set<String> = ["marketing_email", "sales_calls", "sms"]

    /// The verdict and why.
    public struct Decision: Sendable, Equatable {
        public var allowed: Bool
        public var reason: String
        public var basis: ConsentRecord?
    }

    /// Decides from a person's consent history (any order): the latest record for the exact channel wins, else
    /// the latest for `any`, else the purpose's default.
    public static func mayContact(history: [ConsentRecord], purpose: String, channel: String) -> Decision {
        let forPurpose = history.filter { $0.purpose == purpose }
        let latest = { (records: [ConsentRecord]) in
            records.max { ($0.recordedAt, $0.id) < ($1.recordedAt, $1.id) }
        }
        if let exact = latest(forPurpose.filter { $0.channel == channel }) ?? latest(forPurpose.filter { $0.channel == "any" }) {
            return Decision(allowed: exact.status == .granted,
                            reason: "\(exact.status.rawValue) for \(purpose) on \(exact.channel) via \(exact.source)",
                            basis: exact)
        }
        if optInPurposes.contains(purpose) {
            return Decision(allowed: false, reason: "\(purpose) needs an explicit opt-in, and none is recorded", basis: nil)
        }
        return Decision(allowed: true, reason: "\(purpose) is allowed until the person opts out", basis: nil)
    }

    /// Checks a purpose or channel name: lower-case ASCII letters, digits and `_`, 1–50 characters.
    public static func validName(_ value: String, field: String) throws(RapportError) -> String {
        guard (1...50).contains(value.count),
              value.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") })
        else {
            throw RapportError.invalid(field, "\(field) must be 1–50 characters of a–z, 0–9 and _.")
        }
        return value
    }
}

extension ConsentRecord {
    public var timelineProperties: JSONValue {
        ["purpose": .string(purpose), "channel": .string(channel), "status": .string(status.rawValue), "source": .string(source)]
    }
}
