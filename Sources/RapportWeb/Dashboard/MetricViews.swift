import Foundation
import RapportCore

/// How each survey metric is written on a page: its name, scale, decimals and the domain its charts are drawn in.
public enum MetricStyle {
    public static func name(_ metric: SurveyMetric) -> String { MetricText.name(metric) }

    public static func decimals(_ metric: SurveyMetric) -> Int {
        switch metric {
        case .nps: 0
        case .csat, .responseRate, .followUpTime: 1
        case .ces: 2
        }
    }

    public static func domain(_ metric: SurveyMetric) -> ClosedRange<Double> {
        switch metric {
        case .nps: -100...100
        case .csat, .responseRate: 0...100
        case .ces: 1...7
        case .followUpTime: 0...168
        }
    }

    public static func scale(_ metric: SurveyMetric) -> String {
        switch metric {
        case .nps: "% promoters − % detractors, −100 to 100"
        case .csat: "% satisfied (top two boxes)"
        case .ces: "mean effort score, 1 (hard) to 7 (easy)"
        case .responseRate: "% of delivered invitations answered"
        case .followUpTime: "median hours from opening to close of a follow-up case"
        }
    }

    /// "12", "82.5 %", "5.43".
    public static func value(_ value: Double, _ metric: SurveyMetric) -> String {
        ChartText.number(value, decimals: decimals(metric)) + ([.csat, .responseRate].contains(metric) ? " %" : metric == .followUpTime ? " h" : "")
    }

    /// "95 % interval −5 to 28", or nil without bounds.
    public static func interval(_ estimate: Estimate, _ metric: SurveyMetric) -> String? {
        guard let low = estimate.low, let high = estimate.high else { return nil }
        return "\(ChartText.number(estimate.level * 100, decimals: 0)) % interval \(ChartText.number(low, decimals: decimals(metric))) "
            + "to \(ChartText.number(high, decimals: decimals(metric)))"
    }

    static func point(_ label: String, _ estimate: Estimate?) -> ChartPoint {
        ChartPoint(label: label, value: estimate?.value, low: estimate?.low, high: estimate?.high, n: estimate?.n ?? 0)
    }
}

/// A headline tile: the value with its interval, n (a link to the responses behind it), a small-sample badge and a
/// sparkline of the trend; "no responses" rather than 0 when there are none.
public struct MetricTile: Sendable {
    public let key: String
    public let name: String
    public let scale: String
    public let value: String?
    /// The value unrounded, for machines and tests (`data-value`).
    public let exactValue: String?
    public let interval: String?
    public let n: Int
    public let nURL: String?
    public let smallSample: Bool
    public let sparkline: String?
    /// CES: the share of easy answers.
    public let extra: String?
    /// Why there is no value ("No responses in the last 90 days.").
    public let note: String?
    public let resultsURL: String?

    public init(metric: SurveyMetric, report: SurveyMetricService.Report?, note: String?, nURL: String?, resultsURL: String?,
                timeZone: TimeZone, idPrefix: String = "") {
        key = metric.rawValue
        name = MetricStyle.name(metric)
        scale = MetricStyle.scale(metric)
        let estimate = report?.overall.estimate
        value = estimate.map { MetricStyle.value($0.value, metric) }
        exactValue = estimate.map { String($0.value) }
        interval = estimate.flatMap { MetricStyle.interval($0, metric) }
        n = estimate?.n ?? 0
        self.nURL = estimate == nil ? nil : nURL
        smallSample = estimate?.smallSample ?? false
        extra = report?.overall.easyShare.map { "\(ChartText.number($0.value, decimals: 0)) % easy (5–7)" }
        self.note = estimate == nil ? (note ?? "No responses in this range.") : nil
        self.resultsURL = resultsURL
        if let report, let period = report.query.period {
            let points = report.overall.series.map {
                MetricStyle.point(ChartText.periodName($0.start, period: period, timeZone: timeZone), $0.estimate)
            }
            sparkline = Sparkline(id: "\(idPrefix)\(metric.rawValue)-spark", title: "\(MetricStyle.name(metric)) by \(period.rawValue)",
                                  points: points, decimals: MetricStyle.decimals(metric)).svg()
        } else {
            sparkline = nil
        }
    }
}

/// A metric's trend over the range as a chart with its interval band.
public struct TrendSection: Sendable {
    public let id: String
    public let title: String
    public let svg: String

    public init(metric: SurveyMetric, report: SurveyMetricService.Report, timeZone: TimeZone, idPrefix: String = "") {
        let period = report.query.period ?? .week
        id = "\(idPrefix)\(metric.rawValue)-trend"
        title = "\(MetricStyle.name(metric)) by \(period.rawValue)"
        svg = TrendChart(id: id + "-chart", title: title, starts: report.overall.series.map(\.start),
                         points: report.overall.series.map { MetricStyle.point("", $0.estimate) }, period: period,
                         timeZone: timeZone, domain: MetricStyle.domain(metric), decimals: MetricStyle.decimals(metric),
                         level: report.query.level).svg()
    }
}

/// A breakdown as bars with whiskers and as a table sortable by value and by n (links, so it works without
/// JavaScript); each n links to the responses behind it when they are one survey's.
public struct BreakdownTable: Sendable {
    public struct Row: Sendable {
        public let label: String
        public let value: String?
        public let exactValue: String?
        public let interval: String?
        public let n: Int
        public let nURL: String?
        public let smallSample: Bool
    }

    public struct SortLink: Sendable {
        public let url: String
        /// `aria-sort` of the column: ascending, descending or none.
        public let ariaSort: String
        public let arrow: String
    }

    public let id: String
    public let title: String
    public let chart: String
    public let rows: [Row]
    public let hasRows: Bool
    public let valueSort: SortLink
    public let nSort: SortLink
    public let otherGroups: Int
    public let groupHeading: String

    /// `sortURL` makes the link for a `sort` value; `responsesURL` the link for a group's n (nil: none).
    public init(metric: SurveyMetric, report: SurveyMetricService.Report, grouping: String, sort: String, idPrefix: String = "",
                sortURL: (String) -> String, responsesURL: (SurveyMetricService.Group) -> String?) {
        id = "\(idPrefix)\(metric.rawValue)-by-\(grouping)"
        title = "\(MetricStyle.name(metric)) by \(grouping)"
        groupHeading = grouping.prefix(1).uppercased() + grouping.dropFirst()
        let groups = Self.sorted(report.groups, by: sort)
        rows = groups.map { group in
            Row(label: group.label, value: group.estimate.map { MetricStyle.value($0.value, metric) },
                exactValue: group.estimate.map { String($0.value) }, interval: group.estimate.flatMap { MetricStyle.interval($0, metric) },
                n: group.estimate?.n ?? 0, nURL: group.key == nil ? nil : responsesURL(group), smallSample: group.estimate?.smallSample ?? false)
        }
        hasRows = !rows.isEmpty
        otherGroups = report.otherGroups
        let shown = Array(groups.prefix(Self.chartRows))
        var chartTitle = title
        if groups.count > shown.count { chartTitle += " (the first \(shown.count) of \(groups.count) as sorted)" }
        chart = BreakdownChart(id: id + "-chart", title: chartTitle, bars: shown.map { MetricStyle.point($0.label, $0.estimate) },
                               domain: MetricStyle.domain(metric), decimals: MetricStyle.decimals(metric), level: report.query.level).svg()
        func link(_ column: String) -> SortLink {
            let descending = "-\(column)"
            if sort == descending { return SortLink(url: sortURL(column), ariaSort: "descending", arrow: "↓") }
            if sort == column { return SortLink(url: sortURL(descending), ariaSort: "ascending", arrow: "↑") }
            return SortLink(url: sortURL(descending), ariaSort: "none", arrow: "")
        }
        valueSort = link("value")
        nSort = link("n")
    }

    static let chartRows = 12

    /// `-n`/`n` by sample size, `-value`/`value` by the figure (groups without one last); ties by label.
    public static func sorted(_ groups: [SurveyMetricService.Group], by sort: String) -> [SurveyMetricService.Group] {
        groups.sorted { a, b in
            let (na, nb) = (a.estimate?.n ?? 0, b.estimate?.n ?? 0)
            switch sort {
            case "n": return na != nb ? na < nb : a.label < b.label
            case "-value", "value":
                guard let va = a.estimate?.value else { return false }
                guard let vb = b.estimate?.value else { return true }
                if va != vb { return sort == "value" ? va < vb : va > vb }
                return a.label < b.label
            default: return na != nb ? na > nb : a.label < b.label
            }
        }
    }
}
