import Foundation
import RapportCore

/// A moment as people read it, with the exact instant beside it for machines: a template writes
/// `<time datetime="{{at.iso}}">{{at}}</time>`, which shows "1 Dec 2026, 17:05 UTC".
public struct DisplayDate: Sendable, CustomStringConvertible {
    /// RFC 3339 in UTC, for the `datetime` attribute.
    public let iso: String
    /// Day, abbreviated month, year, 24-hour time and the zone's abbreviation, e.g. "1 Dec 2026, 17:05 UTC".
    public let text: String

    /// `millis` since the Unix epoch (how Rapport stores time), shown in `timeZone`.
    public init(millis: Int64, timeZone: TimeZone = DisplayDate.utc) {
        let date = Date(timeIntervalSince1970: Double(millis) / 1000)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        let month = Self.months[(parts.month ?? 1) - 1]
        let zone = ["GMT", "UTC"].contains(timeZone.identifier) ? "UTC" : (timeZone.abbreviation(for: date) ?? timeZone.identifier)
        text = "\(parts.day ?? 1) \(month) \(parts.year ?? 1970), \(Self.twoDigits(parts.hour ?? 0)):\(Self.twoDigits(parts.minute ?? 0)) \(zone)"
        iso = Timestamp.iso8601(millis)
    }

    public var description: String { text }

    /// Coordinated Universal Time, the zone dates are shown in until a workspace names its own.
    public static let utc = TimeZone(identifier: "UTC")!

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
