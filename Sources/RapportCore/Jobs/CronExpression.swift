import Foundation

/// A standard five-field cron expression (crontab(5): minute, hour, day of month, month, day of week), evaluated in
/// an IANA time zone.
///
/// Fields take `*`, numbers, ranges (`1-5`), lists (`1,15`), steps over a range or `*` (`*/15`, `1-30/5`), month
/// names (`JAN`…`DEC`) and weekday names (`SUN`…`SAT`), case-insensitive; day of week 0 and 7 are both Sunday. The
/// macros `@yearly` (`@annually`), `@monthly`, `@weekly`, `@daily` (`@midnight`) and `@hourly` stand for their
/// five-field forms; `@reboot` has no meaning for a shared schedule and is refused.
///
/// Days follow Vixie cron (and cronie): when both day of month and day of week are restricted, a day matching
/// **either** fires (`30 4 1,15 * 5` runs on the 1st, the 15th and every Friday); a field that begins with `*`
/// (including `*/2`) counts as unrestricted, and then both must match.
///
/// Daylight saving time (see `next(after:in:)`): a wall-clock time that a spring-forward change skips fires once at
/// the first instant after the gap (as cronie runs skipped jobs "immediately" after a change of less than three
/// hours), and a wall-clock time that a fall-back change repeats fires once, at its first occurrence.
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    public let minutes: Set<Int>
    public let hours: Set<Int>
    public let daysOfMonth: Set<Int>
    public let months: Set<Int>
    /// 0 = Sunday … 6 = Saturday (7 is read as 0).
    public let daysOfWeek: Set<Int>
    /// The day-of-month and day-of-week fields began with `*` (Vixie's DOM_STAR / DOW_STAR).
    let dayOfMonthIsStar: Bool
    let dayOfWeekIsStar: Bool
    /// The expression as written.
    public let description: String

    /// Why an expression was refused; `field` names the part that is wrong.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public let field: String
        public let message: String
        public var description: String { "\(field): \(message)" }
    }

    static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]
    static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    static let weekdayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

    public init(parsing text: String) throws(ParseError) {
        let written = text.trimmingCharacters(in: .whitespaces)
        var source = written
        if written.hasPrefix("@") {
            guard let expanded = Self.macros[written.lowercased()] else {
                throw ParseError(field: "expression", message: "unknown macro \(written) (use @yearly, @annually, "
                                 + "@monthly, @weekly, @daily, @midnight or @hourly)")
            }
            source = expanded
        }
        let fields = source.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw ParseError(field: "expression", message: "expected 5 fields (minute hour day-of-month month "
                             + "day-of-week), got \(fields.count)")
        }
        minutes = try Self.field(fields[0], name: "minute", range: 0...59)
        hours = try Self.field(fields[1], name: "hour", range: 0...23)
        daysOfMonth = try Self.field(fields[2], name: "day-of-month", range: 1...31)
        months = try Self.field(fields[3], name: "month", range: 1...12, names: Self.monthNames, firstName: 1)
        // 7 is accepted as Sunday, then folded onto 0.
        daysOfWeek = Set(try Self.field(fields[4], name: "day-of-week", range: 0...7, names: Self.weekdayNames,
                                        firstName: 0).map { $0 % 7 })
        dayOfMonthIsStar = fields[2].hasPrefix("*")
        dayOfWeekIsStar = fields[4].hasPrefix("*")
        description = written
        // `0 0 30 2 *` would never fire: say so now rather than never running.
        if dayOfWeekIsStar {
            let longest = months.map { Self.maxDays(month: $0) }.max() ?? 31
            if let first = daysOfMonth.min(), first > longest {
                throw ParseError(field: "day-of-month", message: "no selected month has day \(first)")
            }
        }
    }

    /// The first time strictly after `date` at which the expression fires, computed on the wall clock of `zone`;
    /// nil if it fires in none of the next ten years (it cannot: parsing refuses days no month has).
    ///
    /// A wall-clock time that does not exist on a spring-forward day fires at the first instant after the gap (every
    /// skipped time collapses onto that one instant, so a job runs once there); a wall-clock time that exists twice on
    /// a fall-back day fires at its first occurrence only.
    public func next(after date: Date, in zone: TimeZone) -> Date? {
        let after = date.timeIntervalSince1970
        let afterSeconds = Int64(after.rounded(.down))
        // The wall clock at `after`, as seconds since 1970 read as if UTC.
        let afterWall = afterSeconds + Int64(zone.secondsFromGMT(for: date))
        // Wall times this far before `after`'s cannot map to an instant after it: the widest offset change around
        // `after` (0 away from transitions), plus a minute.
        let offsets = [-172_800.0, 0, 172_800].map { zone.secondsFromGMT(for: date.addingTimeInterval($0)) }
        let margin = Int64(offsets.max()! - offsets.min()!) + 60
        let sortedHours = hours.sorted(), sortedMinutes = minutes.sorted()
        // A day earlier than the wall-clock date, in case the offset changes around `after`.
        var day = floorDiv(afterWall, 86_400) - 1
        let lastDay = day + 366 * 10
        while day <= lastDay {
            defer { day += 1 }
            let (_, month, dayOfMonth) = Timestamp.civil(fromDays: day)
            guard months.contains(Int(month)),
                  matchesDay(dayOfMonth: Int(dayOfMonth), weekday: Int(floorMod(day + 4, 7))) else { continue }
            for hour in sortedHours {
                let hourStart = day * 86_400 + Int64(hour) * 3_600
                if hourStart + 3_600 < afterWall - margin { continue }
                for minute in sortedMinutes {
                    let wall = hourStart + Int64(minute) * 60
                    if wall < afterWall - margin { continue }
                    let instant = Self.instant(wall: wall, in: zone)
                    if Double(instant) > after { return Date(timeIntervalSince1970: Double(instant)) }
                }
            }
        }
        return nil
    }

    /// Vixie cron's day rule: OR when both day fields are restricted, else AND.
    func matchesDay(dayOfMonth: Int, weekday: Int) -> Bool {
        let byMonthDay = daysOfMonth.contains(dayOfMonth), byWeekday = daysOfWeek.contains(weekday)
        if dayOfMonthIsStar || dayOfWeekIsStar { return byMonthDay && byWeekday }
        return byMonthDay || byWeekday
    }

    /// The earliest instant (seconds since 1970) whose wall clock in `zone` reads `wall`; for a wall time skipped by
    /// a forward change, the first instant after the gap.
    static func instant(wall: Int64, in zone: TimeZone) -> Int64 {
        func offset(_ t: Int64) -> Int64 { Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(t)))) }
        // The offsets in force a day either side of the wall time cover any one transition near it.
        let before = offset(wall - 86_400), later = offset(wall + 86_400)
        let valid = [before, later].compactMap { o -> Int64? in offset(wall - o) == o ? wall - o : nil }
        if let earliest = valid.min() { return earliest }
        // In the gap: the transition lies between the instant read with the later offset and the one read with the
        // earlier offset; find the first second that has the later offset.
        var low = min(wall - later, wall - before), high = max(wall - later, wall - before)
        while low < high {
            let middle = low + (high - low) / 2
            if offset(middle) == later { high = middle } else { low = middle + 1 }
        }
        return low
    }

    static func maxDays(month: Int) -> Int {
        switch month {
        case 2: 29
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static func field(_ text: String, name: String, range: ClosedRange<Int>, names: [String] = [],
                              firstName: Int = 0) throws(ParseError) -> Set<Int> {
        func value(_ raw: Substring) throws(ParseError) -> Int {
            if let number = Int(raw) {
                guard range.contains(number) else {
                    throw ParseError(field: name, message: "\(number) is out of range \(range.lowerBound)-\(range.upperBound)")
                }
                return number
            }
            if let index = names.firstIndex(of: raw.uppercased()) { return index + firstName }
            throw ParseError(field: name, message: "\(raw.isEmpty ? "an empty value" : "\"\(raw)\"") is not a "
                             + (names.isEmpty ? "number" : "number or name"))
        }
        guard !text.isEmpty else { throw ParseError(field: name, message: "is empty") }
        var result: Set<Int> = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            let base = pieces[0]
            var step = 1
            if pieces.count == 2 {
                guard let parsed = Int(pieces[1]), parsed > 0 else {
                    throw ParseError(field: name, message: "step \"\(pieces[1])\" is not a positive number")
                }
                step = parsed
            }
            let lower: Int, upper: Int
            if base == "*" {
                (lower, upper) = (range.lowerBound, range.upperBound)
            } else if let dash = base.firstIndex(of: "-") {
                lower = try value(base[..<dash])
                upper = try value(base[base.index(after: dash)...])
                guard lower <= upper else {
                    throw ParseError(field: name, message: "range \(base) runs backwards")
                }
            } else {
                guard pieces.count == 1 else {
                    throw ParseError(field: name, message: "a step needs a range or * before it (\(part))")
                }
                lower = try value(base)
                upper = lower
            }
            result.formUnion(stride(from: lower, through: upper, by: step))
        }
        return result
    }
}

private func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }
private func floorMod(_ a: Int64, _ b: Int64) -> Int64 { a - floorDiv(a, b) * b }
