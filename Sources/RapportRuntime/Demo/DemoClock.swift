import Foundation
import RapportCore

/// The demo's calendar: the 365 days before `now` in the workspace's time zone, so that every demo shows the last
/// twelve months, with times of day that make sense (support during working hours, shopping in the evening).
struct DemoCalendar {
    let now: Int64
    /// Local midnight of each day, index 0 = today, 364 = a year ago.
    private let midnights: [Int64]
    /// Weekday of each day (1 = Sunday … 7 = Saturday, Foundation's numbering).
    private let weekdays: [Int]
    static let days = 365
    static let minute: Int64 = 60_000
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000

    init(now: Int64, timeZone: TimeZone) {
        self.now = now
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let today = calendar.startOfDay(for: Date(timeIntervalSince1970: Double(now) / 1_000))
        var midnights: [Int64] = [], weekdays: [Int] = []
        for offset in 0..<Self.days {
            let date = calendar.date(byAdding: .day, value: -offset, to: today) ?? today
            midnights.append(Int64((date.timeIntervalSince1970 * 1_000).rounded()))
            weekdays.append(calendar.component(.weekday, from: date))
        }
        self.midnights = midnights
        self.weekdays = weekdays
    }

    /// Local midnight `daysAgo` days before today (clamped to the year).
    func midnight(daysAgo: Int) -> Int64 { midnights[min(max(daysAgo, 0), Self.days - 1)] }

    func isWeekend(daysAgo: Int) -> Bool {
        let weekday = weekdays[min(max(daysAgo, 0), Self.days - 1)]
        return weekday == 1 || weekday == 7
    }

    /// Which day (days ago) an instant falls on; 0 for today or later.
    func daysAgo(of instant: Int64) -> Int {
        var low = 0, high = Self.days - 1
        if instant >= midnights[0] { return 0 }
        if instant < midnights[high] { return high }
        while low < high { // midnights decrease with the index: the first whose midnight is at or before `instant`.
            let middle = (low + high) / 2
            if midnights[middle] <= instant { high = middle } else { low = middle + 1 }
        }
        return low
    }

    /// A time between `fromHour` and `toHour` (local) on the day `daysAgo`, never after now.
    func time(daysAgo: Int, fromHour: Double, toHour: Double, using rng: inout SeededGenerator) -> Int64 {
        let minutes = Double.random(in: fromHour * 60..<toHour * 60, using: &rng)
        return min(midnight(daysAgo: daysAgo) + Int64(minutes) * Self.minute + Int64.random(in: 0..<60_000, using: &rng),
                   now - Int64.random(in: 60_000...3_600_000, using: &rng))
    }

    /// A working-hours time (08:30–17:30) on a weekday: a weekend day moves to the Friday before it.
    func workingTime(daysAgo: Int, using rng: inout SeededGenerator) -> Int64 {
        var day = daysAgo
        while isWeekend(daysAgo: day), day < Self.days - 1 { day += 1 }
        return time(daysAgo: day, fromHour: 8.5, toHour: 17.5, using: &rng)
    }

    /// A time people shop or browse: mostly evenings, some lunch breaks.
    func leisureTime(daysAgo: Int, using rng: inout SeededGenerator) -> Int64 {
        Double.random(in: 0..<1, using: &rng) < 0.7
            ? time(daysAgo: daysAgo, fromHour: 18, toHour: 22.5, using: &rng)
            : time(daysAgo: daysAgo, fromHour: 7.5, toHour: 18, using: &rng)
    }
}

/// Record ids for the demo: UUID version 7 whose time prefix is the record's own time (lists sort by id, newest
/// first, as they would had the data arrived live), the rest from a seeded generator so every demo is the same.
struct DemoIDs {
    private var rng: SeededGenerator

    init(seed: UInt64) { rng = SeededGenerator(seed: seed ^ 0x5EED_1D5) }

    mutating func next(at millis: Int64) -> String {
        let high = rng.next(), low = rng.next()
        let first = (UInt64(max(0, millis)) & 0xFFFF_FFFF_FFFF) << 16 | 0x7000 | (high & 0x0FFF)
        let second = (low & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        let hex = String(first, radix: 16).leftPadded(to: 16) + String(second, radix: 16).leftPadded(to: 16)
        let characters = Array(hex)
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }.joined(separator: "-")
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}

extension Array {
    /// A random element by the seeded generator (the array is never empty where the demo calls it).
    func pick(_ rng: inout SeededGenerator) -> Element { self[Int.random(in: 0..<count, using: &rng)] }
}

/// A weighted choice: `weights[i]` is the relative chance of index i.
func demoWeighted(_ weights: [Double], _ rng: inout SeededGenerator) -> Int {
    let total = weights.reduce(0, +)
    var u = Double.random(in: 0..<total, using: &rng)
    for (index, weight) in weights.enumerated() {
        if u < weight { return index }
        u -= weight
    }
    return weights.count - 1
}
