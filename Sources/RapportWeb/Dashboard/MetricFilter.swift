import Foundation
import RapportCore

/// The filters of the dashboard and of a survey's results, read from and written back to the URL query so that a
/// view can be shared: a date range (the last 30, 90 or 365 days, or from and to dates in the workspace's time zone),
/// survey, segment, channel, the breakdown's grouping and metric, its sort and the trend's interval.
public struct MetricFilter: Sendable, Equatable {
    public static let presets = ["30", "90", "365"]
    public static let groupings = ["agent", "team", "touchpoint", "channel", "survey", "segment"]
    public static let sorts = ["-n", "n", "-value", "value"]

    /// "30", "90", "365" or "custom" (from and to dates).
    public var range = "90"
    public var fromDay: String?
    public var toDay: String?
    public var surveyId: String?
    public var segmentId: String?
    public var channel: String?
    public var by = "agent"
    public var metric = SurveyMetric.nps
    public var sort = "-n"
    /// The trend's interval as asked; nil: chosen from the range's length.
    public var interval: MetricPeriod?
    /// The instants the range resolves to: [from, to) in milliseconds.
    public var from: Int64 = 0
    public var to: Int64 = 0

    public init() {}

    /// Reads the filters from a URL query. An empty value is absent; anything else that does not fit is a
    /// `validation` error naming the field, in words a person can act on.
    public static func parse(_ query: [String: String], now: Int64, timeZone: TimeZone) throws(RapportError) -> MetricFilter {
        func value(_ name: String) -> String? {
            guard let raw = query[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }
        var filter = MetricFilter()
        if let range = value("range") {
            guard presets.contains(range) || range == "custom" else {
                throw RapportError.invalid("range", "The period must be the last 30, 90 or 365 days, or custom dates.")
            }
            filter.range = range
        }
        let fromDay = try value("from").map { text throws(RapportError) in try day(text, field: "from", timeZone: timeZone) }
        let toDay = try value("to").map { text throws(RapportError) in try day(text, field: "to", timeZone: timeZone) }
        if fromDay != nil || toDay != nil { filter.range = "custom" }
        filter.fromDay = value("from")
        filter.toDay = value("to")
        if filter.range == "custom" {
            filter.to = toDay.map { $0.next } ?? now + 1
            filter.from = fromDay?.start ?? filter.to - Int64(MetricQuery.defaultDays) * 86_400_000
            guard filter.from < filter.to else {
                throw RapportError.invalid("from", "The start date must be on or before the end date.")
            }
        } else {
            filter.to = now + 1
            filter.from = filter.to - Int64(filter.range)! * 86_400_000
        }
        if let survey = value("survey") {
            guard IDGenerator.isUUID(survey) else { throw RapportError.invalid("survey", "Choose a survey from the list.") }
            filter.surveyId = survey.lowercased()
        }
        if let segment = value("segment") {
            guard IDGenerator.isUUID(segment) else { throw RapportError.invalid("segment", "Choose a segment from the list.") }
            filter.segmentId = segment.lowercased()
        }
        if let channel = value("channel") {
            guard SurveyResponse.channels.contains(channel) else {
                throw RapportError.invalid("channel", "The channel must be one of: \(SurveyResponse.channels.joined(separator: ", ")).")
            }
            filter.channel = channel
        }
        if let by = value("by") {
            guard groupings.contains(by) else {
                throw RapportError.invalid("by", "Break down by agent, team, touchpoint, channel, survey or segment.")
            }
            filter.by = by
        }
        if let metric = value("metric") {
            guard let known = SurveyMetric(rawValue: metric), DashboardPage.metrics.contains(known) else {
                throw RapportError.invalid("metric", "The metric must be NPS, CSAT, CES or the response rate.")
            }
            filter.metric = known
        }
        if let sort = value("sort") {
            guard sorts.contains(sort) else { throw RapportError.invalid("sort", "Sort by value or by n.") }
            filter.sort = sort
        }
        if let interval = value("interval") {
            guard let period = MetricPeriod(rawValue: interval) else {
                throw RapportError.invalid("interval", "The interval must be day, week or month.")
            }
            filter.interval = period
        }
        return filter
    }

    /// A `YYYY-MM-DD` date's start and the next day's start in `timeZone`.
    public static func day(_ text: String, field: String, timeZone: TimeZone) throws(RapportError) -> (start: Int64, next: Int64) {
        let parts = text.split(separator: "-")
        guard text.count == 10, parts.count == 3, let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (2000...2100).contains(year), ISO8601.millis(text) != nil else {
            throw RapportError.invalid(field, "\(field == "from" ? "The start" : "The end") date must be a date like 2026-03-14.")
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        guard let start = calendar.date(from: DateComponents(year: year, month: month, day: day)),
              let next = calendar.date(byAdding: .day, value: 1, to: start) else {
            throw RapportError.invalid(field, "\(field == "from" ? "The start" : "The end") date must be a date like 2026-03-14.")
        }
        return (Int64((start.timeIntervalSince1970 * 1000).rounded()), Int64((next.timeIntervalSince1970 * 1000).rounded()))
    }

    /// The trend's interval: as asked, else days up to a month, weeks up to about half a year, months beyond.
    public var period: MetricPeriod {
        if let interval { return interval }
        let days = Double(to - from) / 86_400_000
        return days <= 31 ? .day : days <= 190 ? .week : .month
    }

    /// The metric query these filters ask for.
    public func query(_ metric: SurveyMetric, surveyId: String? = nil, groupBy: MetricGrouping? = nil, trend: Bool = true) -> MetricQuery {
        var query = MetricQuery(metric: metric, surveyId: surveyId ?? self.surveyId, from: from, to: to, period: trend ? period : nil,
                                groupBy: groupBy, segmentId: segmentId)
        query.channel = channel
        return query
    }

    /// The filters as URL query pairs, in a stable order, leaving out defaults; `changing` overrides some.
    public func url(_ path: String, changing: [String: String?] = [:]) -> String {
        let parts = pairs(changing: changing).map { key, value in
            "\(key)=\(value.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? "")"
        }
        return parts.isEmpty ? path : path + "?" + parts.joined(separator: "&")
    }

    /// The filters' non-default values as query pairs, in a stable order; `changing` overrides some (nil removes).
    public func pairs(changing: [String: String?] = [:]) -> [(String, String)] {
        var values: [(String, String?)] = [
            ("range", range == "90" || range == "custom" ? nil : range),
            ("from", range == "custom" ? fromDay : nil), ("to", range == "custom" ? toDay : nil),
            ("survey", surveyId), ("segment", segmentId), ("channel", channel), ("by", by == "agent" ? nil : by),
            ("metric", metric == .nps ? nil : metric.rawValue), ("sort", sort == "-n" ? nil : sort), ("interval", interval?.rawValue),
        ]
        for (index, pair) in values.enumerated() where changing.keys.contains(pair.0) { values[index].1 = changing[pair.0] ?? nil }
        return values.compactMap { key, value -> (String, String)? in
            guard let value, !value.isEmpty else { return nil }
            return (key, value)
        }
    }

    /// The responses behind a figure of one survey: the same range (as instants), channel and segment, completed and
    /// scored as the metrics count them, plus a group's attribute (`agent=sam`) or channel.
    public func responsesURL(surveyId: String, by grouping: String? = nil, key: String? = nil) -> String {
        var pairs: [(String, String?)] = [("status", "completed"), ("scored", "true"), ("from", Timestamp.iso8601(from)),
                                          ("to", Timestamp.iso8601(to - 1)), ("channel", channel), ("segment", segmentId)]
        if let grouping, let key, grouping != "survey" {
            // A channel or segment group replaces the filter's (a segment group within a segment filter lists the group's).
            switch grouping {
            case "channel": pairs[4].1 = key
            case "segment": pairs[5].1 = key
            default: pairs.append((grouping, key))
            }
        }
        let parts = pairs.compactMap { key, value -> String? in
            guard let value, !value.isEmpty else { return nil }
            return "\(key)=\(value.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? "")"
        }
        return "/surveys/\(surveyId)?" + parts.joined(separator: "&") + "#responses"
    }

    /// The range in words: "the last 90 days" or "1 Mar 2026 to 31 Mar 2026".
    public func rangeText(timeZone: TimeZone) -> String {
        if range != "custom" { return "the last \(range) days" }
        return "\(ChartText.day(from, timeZone: timeZone)) to \(ChartText.day(to - 1, timeZone: timeZone))"
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
