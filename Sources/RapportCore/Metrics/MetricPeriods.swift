import Foundation

/// The calendar periods of a trend in a time zone: each period's start, and every start between two instants.
struct MetricPeriods {
    let period: MetricPeriod
    let calendar: Calendar

    init(_ period: MetricPeriod, timeZone: TimeZone) {
        self.period = period
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = timeZone
        self.calendar = calendar
    }

    /// The start of the period holding `millis`.
    func start(of millis: Int64) -> Int64 {
        let date = Date(timeIntervalSince1970: Double(millis) / 1_000)
        let component: Calendar.Component = switch period {
        case .day: .day
        case .week: .weekOfYear
        case .month: .month
        }
        let start = calendar.dateInterval(of: component, for: date)?.start ?? date
        return Int64((start.timeIntervalSince1970 * 1_000).rounded())
    }

    /// The start of the period holding a local day (`LocalDay`: days since 1970-01-01 in the calendar's zone).
    func start(ofLocalDay day: Int64) -> Int64 {
        start(of: LocalDay.start(ofDay: day, timeZone: calendar.timeZone))
    }

    /// The local day (`LocalDay`) on which each of `starts` (period starts, from `starts(from:to:limit:)`) falls,
    /// read from the calendar's date of it.
    func localDays(of starts: [Int64]) -> [Int64] {
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        return starts.map { start in
            let parts = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(start) / 1_000))
            guard let date = utc.date(from: parts) else { return start / LocalDay.millisPerDay }
            return Int64((date.timeIntervalSince1970 / 86_400).rounded())
        }
    }

    /// Every period start from the one holding `from` to the one holding `to − 1`, oldest first; nil past `limit`.
    func starts(from: Int64, to: Int64, limit: Int) -> [Int64]? {
        var result: [Int64] = []
        var current = start(of: from)
        while current < to {
            result.append(current)
            if result.count > limit { return nil }
            let date = Date(timeIntervalSince1970: Double(current) / 1_000)
            let next: Date? = switch period {
            case .day: calendar.date(byAdding: .day, value: 1, to: date)
            case .week: calendar.date(byAdding: .weekOfYear, value: 1, to: date)
            case .month: calendar.date(byAdding: .month, value: 1, to: date)
            }
            guard let next else { break }
            current = start(of: Int64((next.timeIntervalSince1970 * 1_000).rounded()))
        }
        return result
    }
}
