import Foundation

/// The UTC offset in force from an instant on (milliseconds), one span of a time zone's offsets over a range.
public struct UTCOffsetSpan: Sendable, Equatable {
    /// The span's first instant (the range's start for the first span).
    public var from: Int64
    public var offset: Int64

    public init(from: Int64, offset: Int64) {
        self.from = from
        self.offset = offset
    }
}

/// Local days in a time zone as whole numbers (days since 1970-01-01 in local time), which the database computes as
/// ⌊(t + offset(t)) / 86 400 000⌋ with the few offsets a range spans (two DST changes a year at most, in the common
/// zones), so that a trend's days, weeks and months are the workspace's, DST included (docs/methods.md).
public enum LocalDay {
    public static let millisPerDay: Int64 = 86_400_000

    /// The offsets in force over [from, to), oldest first: the one at `from`, then one span per change.
    public static func offsets(timeZone: TimeZone, from: Int64, to: Int64) -> [UTCOffsetSpan] {
        func offset(_ date: Date) -> Int64 { Int64(timeZone.secondsFromGMT(for: date)) * 1_000 }
        let end = Date(timeIntervalSince1970: Double(to) / 1_000)
        var cursor = Date(timeIntervalSince1970: Double(from) / 1_000)
        var spans = [UTCOffsetSpan(from: from, offset: offset(cursor))]
        while spans.count < 10_000, let next = timeZone.nextDaylightSavingTimeTransition(after: cursor), next < end {
            let millis = Int64((next.timeIntervalSince1970 * 1_000).rounded())
            let value = offset(next)
            if value != spans[spans.count - 1].offset { spans.append(UTCOffsetSpan(from: millis, offset: value)) }
            cursor = next
        }
        return spans
    }

    /// The first instant of a local day in a zone, found from that day's noon (which every day has, whatever its DST
    /// change): local midnight, or the first instant after it when midnight is skipped.
    public static func start(ofDay day: Int64, timeZone: TimeZone) -> Int64 {
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        let parts = utc.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(day) * 86_400))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        var noon = DateComponents()
        (noon.year, noon.month, noon.day, noon.hour) = (parts.year, parts.month, parts.day, 12)
        guard let date = calendar.date(from: noon) else { return day * millisPerDay }
        return Int64((calendar.startOfDay(for: date).timeIntervalSince1970 * 1_000).rounded())
    }

    /// The whole local days of [from, to) in a zone, as [first, end) of day numbers with the instants where they begin
    /// and end; nil when the range holds no whole day. What lies before `startMillis` and from `endMillis` on is part
    /// of a day.
    public static func wholeDays(from: Int64, to: Int64, timeZone: TimeZone) -> (first: Int64, end: Int64, startMillis: Int64, endMillis: Int64)? {
        guard from < to else { return nil }
        let spans = offsets(timeZone: timeZone, from: from, to: to + 1)
        var first = day(of: from, offsets: spans)
        var startMillis = start(ofDay: first, timeZone: timeZone)
        if startMillis < from {
            first += 1
            startMillis = start(ofDay: first, timeZone: timeZone)
        }
        let end = day(of: to, offsets: spans)
        guard first < end else { return nil }
        return (first, end, startMillis, start(ofDay: end, timeZone: timeZone))
    }

    /// The local day of an instant under `offsets` (those of a range holding it).
    public static func day(of millis: Int64, offsets: [UTCOffsetSpan]) -> Int64 {
        let offset = offsets.last { $0.from <= millis }?.offset ?? offsets.first?.offset ?? 0
        let local = millis + offset
        return local >= 0 ? local / millisPerDay : -((-local + millisPerDay - 1) / millisPerDay)
    }
}

/// What the database counts for a metric (docs/methods.md, "Computing from counts"): completed, scored responses to
/// the surveys (NPS, CSAT, CES) or delivered invitations of them (response rate), in [from, to), with the filters,
/// counted by local day (when a trend is asked for), group and score.
public struct MetricCountRequest: Sendable, Equatable {
    /// The groupings the database answers; the others (team, traits, accounts) are read row by row.
    public enum Grouping: Sendable, Equatable {
        case channel
        case survey
        /// A trigger attribute that is a string (agent, touchpoint, attribute.<name>).
        case attribute(String)
        /// Each segment the customer is a member of now; customers in none (and no customer) in the nil group.
        case segment
    }

    public var surveyIds: [String]
    public var from: Int64
    public var to: Int64
    /// The offsets that make local days; nil when no trend is asked for (no days counted).
    public var dayOffsets: [UTCOffsetSpan]?
    public var grouping: Grouping?
    /// Trigger attributes that must hold these (string) values; never `team` (read row by row).
    public var attributes: [String: String]
    public var channel: String?
    public var segmentId: String?
    /// The zone (IANA) of the local days `dayOffsets` make, for a trend: daily counts kept in that zone may answer.
    public var timeZone: String?
    /// The local days on which the trend's periods start, oldest first (the first on or before `from`'s day): when
    /// set, each count's `localDay` is the first day of its period, so the database returns a row per period, not
    /// per day.
    public var periodStartDays: [Int64]?

    public init(surveyIds: [String], from: Int64, to: Int64, dayOffsets: [UTCOffsetSpan]?, grouping: Grouping?,
                attributes: [String: String], channel: String?, segmentId: String?, timeZone: String? = nil) {
        self.timeZone = timeZone
        self.surveyIds = surveyIds
        self.from = from
        self.to = to
        self.dayOffsets = dayOffsets
        self.grouping = grouping
        self.attributes = attributes
        self.channel = channel
        self.segmentId = segmentId
    }
}

/// One count: how many responses (or delivered invitations) of one local day and group had one score, and whether
/// that score is in the positive band (an invitation's score is 1 when it got a response, else 0).
public struct MetricCountRow: Sendable, Equatable {
    public var localDay: Int64?
    public var key: String?
    public var score: Int
    public var positive: Bool
    public var count: Int

    public init(localDay: Int64?, key: String?, score: Int, positive: Bool, count: Int) {
        self.localDay = localDay
        self.key = key
        self.score = score
        self.positive = positive
        self.count = count
    }
}
