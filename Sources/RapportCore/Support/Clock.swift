import Foundation

/// The source of the current time; tests fix it.
public struct WallClock: Sendable {
    private let current: @Sendable () -> Date

    public init(_ now: @escaping @Sendable () -> Date) { self.current = now }

    public static let system = WallClock { Date() }

    public var now: Date { current() }

    /// Milliseconds since 1970 (UTC), the unit every timestamp is stored in.
    public var nowMillis: Int64 { now.millisSince1970 }
}

extension Date {
    public var millisSince1970: Int64 { Int64((timeIntervalSince1970 * 1000).rounded(.down)) }

    public init(millisSince1970 ms: Int64) {
        self.init(timeIntervalSince1970: Double(ms) / 1000)
    }
}

/// Formats timestamps as ISO-8601 UTC with milliseconds (`2026-11-25T12:00:00.000Z`), the API's one format.
public enum Timestamp {
    public static func iso8601(_ millis: Int64) -> String {
        let (daysSinceEpoch, msOfDay) = millis.quotientAndRemainder(dividingBy: 86_400_000)
        var days = daysSinceEpoch
        var ms = msOfDay
        if ms < 0 { ms += 86_400_000; days -= 1 }
        let (y, m, d) = civil(fromDays: days)
        let h = ms / 3_600_000, mi = (ms / 60_000) % 60, s = (ms / 1000) % 60, f = ms % 1000
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(h, 2)):\(pad(mi, 2)):\(pad(s, 2)).\(pad(f, 3))Z"
    }

    private static func pad(_ n: Int64, _ width: Int) -> String {
        let s = String(n)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    /// Howard Hinnant's `civil_from_days`: proleptic Gregorian date of a day count since 1970-01-01.
    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}
