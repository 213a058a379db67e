import Foundation
import RapportCore

/// A metric over time as SVG drawn on the server: the value as a line through the periods that have responses (a
/// gap where a period has none, never a 0), its confidence interval as a shaded band, a value axis with nice ticks
/// and period labels in the workspace's time zone. Colours come from CSS classes (`chart-line`, `chart-band`…), so a
/// stylesheet (dark mode) restyles them.
public struct TrendChart: Sendable {
    public var id: String
    public var title: String
    /// Periods oldest first: `ChartPoint.label` is ignored, the label comes from `starts`.
    public var starts: [Int64]
    public var points: [ChartPoint]
    public var period: MetricPeriod
    public var timeZone: TimeZone
    public var domain: ClosedRange<Double>?
    public var decimals: Int
    public var level: Double

    public init(id: String, title: String, starts: [Int64], points: [ChartPoint], period: MetricPeriod, timeZone: TimeZone,
                domain: ClosedRange<Double>?, decimals: Int = 0, level: Double = 0.95) {
        precondition(starts.count == points.count, "one start per point")
        self.id = id
        self.title = title
        self.starts = starts
        self.points = points
        self.period = period
        self.timeZone = timeZone
        self.domain = domain
        self.decimals = decimals
        self.level = level
    }

    static let width = 400.0, height = 220.0
    static let left = 40.0, right = 12.0, top = 12.0, bottom = 30.0

    /// The scale the chart draws on: covering the values and their intervals.
    public var scale: ValueScale {
        let values = points.flatMap { [$0.value, $0.low, $0.high].compactMap { $0 } }
        return ValueScale(covering: values, domain: domain)
    }

    /// The x of the `index`-th period: evenly spaced, one period in the middle.
    func x(_ index: Int) -> Double {
        let plot = Self.width - Self.left - Self.right
        guard points.count > 1 else { return Self.left + plot / 2 }
        return Self.left + Double(index) * plot / Double(points.count - 1)
    }

    /// The periods that get an axis label: every k-th from the first, at most six, the last one moved to the end.
    var labelledIndices: [Int] {
        guard !points.isEmpty else { return [] }
        let every = Swift.max(1, Int((Double(points.count) / 6).rounded(.up)))
        var indices = Array(stride(from: 0, to: points.count, by: every))
        indices[indices.count - 1] = points.count - 1
        return indices
    }

    public var summary: String {
        let named = points.indices.map { ChartText.periodName(starts[$0], period: period, timeZone: timeZone) }
        guard let first = named.first, let last = named.last else { return "No periods in this range." }
        let filled = points.filter { $0.value != nil }.count
        var text = "From \(first) to \(last): \(points.count) \(period.rawValue)s, \(filled) with responses."
        if let latest = points.indices.last(where: { points[$0].value != nil }) {
            text += " Latest, \(named[latest]): \(points[latest].describe(decimals: decimals, level: level))."
        }
        text += " The shaded band is the \(ChartText.number(level * 100, decimals: 0)) % confidence interval; a gap is a "
            + "\(period.rawValue) without responses."
        return text
    }

    public func svg() -> String {
        let scale = self.scale
        let y = { (value: Double) in scale.position(value, from: Self.height - Self.bottom, to: Self.top) }
        var out = SVGFrame.open(id: id, className: "chart chart-trend", width: Self.width, height: Self.height, title: title,
                                description: summary)
        // Grid lines and value labels.
        for tick in scale.ticks {
            let ty = ChartText.coordinate(y(tick))
            out += "<line class=\"chart-grid\" x1=\"\(ChartText.coordinate(Self.left))\" x2=\"\(ChartText.coordinate(Self.width - Self.right))\" "
                + "y1=\"\(ty)\" y2=\"\(ty)\"/>"
            out += "<text class=\"chart-label\" x=\"\(ChartText.coordinate(Self.left - 6))\" y=\"\(ty)\" text-anchor=\"end\" "
                + "dominant-baseline=\"middle\">\(ChartText.escape(scale.label(tick)))</text>"
        }
        let baseline = ChartText.coordinate(Self.height - Self.bottom)
        out += "<line class=\"chart-axis\" x1=\"\(ChartText.coordinate(Self.left))\" x2=\"\(ChartText.coordinate(Self.width - Self.right))\" "
            + "y1=\"\(baseline)\" y2=\"\(baseline)\"/>"
        // Period labels: at most six, evenly spread, the last one always.
        for index in labelledIndices {
            let anchor = points.count == 1 ? "middle" : index == 0 ? "start" : index == points.count - 1 ? "end" : "middle"
            out += "<text class=\"chart-label\" x=\"\(ChartText.coordinate(x(index)))\" y=\"\(ChartText.coordinate(Self.height - 10))\" "
                + "text-anchor=\"\(anchor)\">\(ChartText.escape(ChartText.periodLabel(starts[index], period: period, timeZone: timeZone)))</text>"
        }
        guard points.contains(where: { $0.value != nil }) else {
            out += "<text class=\"chart-empty\" x=\"\(ChartText.coordinate(Self.width / 2))\" y=\"\(ChartText.coordinate(Self.height / 2))\" "
                + "text-anchor=\"middle\">No responses in this range</text></svg>"
            return out
        }
        // The interval as a band over each run of periods that have one; a lone period gets a whisker.
        for run in SVGFrame.runs(points.map { $0.low != nil && $0.high != nil && $0.value != nil }) {
            if run.count == 1, let index = run.first, let low = points[index].low, let high = points[index].high {
                out += "<line class=\"chart-whisker\" x1=\"\(ChartText.coordinate(x(index)))\" x2=\"\(ChartText.coordinate(x(index)))\" "
                    + "y1=\"\(ChartText.coordinate(y(low)))\" y2=\"\(ChartText.coordinate(y(high)))\"/>"
                continue
            }
            let upper = run.map { "\(ChartText.coordinate(x($0))),\(ChartText.coordinate(y(points[$0].high ?? 0)))" }
            let lower = run.reversed().map { "\(ChartText.coordinate(x($0))),\(ChartText.coordinate(y(points[$0].low ?? 0)))" }
            out += "<polygon class=\"chart-band\" points=\"\((upper + lower).joined(separator: " "))\"/>"
        }
        // The value as a line with a gap at each empty period.
        for run in SVGFrame.runs(points.map { $0.value != nil }) where run.count > 1 {
            let path = run.enumerated().map { offset, index in
                "\(offset == 0 ? "M" : "L")\(ChartText.coordinate(x(index))) \(ChartText.coordinate(y(points[index].value ?? 0)))"
            }.joined(separator: " ")
            out += "<path class=\"chart-line\" d=\"\(path)\"/>"
        }
        for (index, point) in points.enumerated() {
            guard let value = point.value else { continue }
            let name = ChartText.periodName(starts[index], period: period, timeZone: timeZone)
            out += "<circle class=\"chart-point\" cx=\"\(ChartText.coordinate(x(index)))\" cy=\"\(ChartText.coordinate(y(value)))\" r=\"3\">"
                + "<title>\(ChartText.escape("\(name): \(point.describe(decimals: decimals, level: level))"))</title></circle>"
        }
        return out + "</svg>"
    }
}
