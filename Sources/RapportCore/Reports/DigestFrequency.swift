/// How often a member receives the email digest (docs/methods.md, "The email digest"): never, every morning or every
/// Monday morning, at 08:00 in the workspace's time zone.
public enum DigestFrequency: String, Sendable, CaseIterable {
    case off, daily, weekly

    /// The schedule's cron expression; nil when off.
    public var cron: String? {
        switch self {
        case .off: nil
        case .daily: "0 8 * * *"
        case .weekly: "0 8 * * 1"
        }
    }

    /// The days one digest covers.
    public var days: Int { self == .daily ? 1 : 7 }

    init?(cron: String) {
        guard let match = Self.allCases.first(where: { $0.cron == cron }) else { return nil }
        self = match
    }
}

/// A member's digest setting and when the next one goes out.
public struct DigestSetting: Sendable, Equatable {
    public var frequency: DigestFrequency
    public var nextRunAt: Int64?
    public var timeZone: String
}
