import Foundation

/// A breakdown as horizontal bars drawn on the server: one bar per group from the baseline (0, or the scale's low end
/// for CES) to its value, with the confidence interval as a whisker, on a value axis with nice ticks. Groups without
/// a value get a row that says so rather than a bar of 0.
public struct BreakdownChart: Sendable {
    public var id: String
    public var title: String
    public var bars: [ChartPoint]
    public var domain: ClosedRange<Double>?
    public var decimals: Int
    public var level: Double

    public init(id: String, title: String, bars: [ChartPoint], domain: ClosedRange<Double>?, decimals: Int = 0, level: Double = 0.95) {
        self.id = id
        self.title = title
        self.bars = bars
        self.domain = domain
        self.decimals = decimals
        self.level = level
    }

    static let width = 400.0, labelWidth = 118.0, right = 14.0, top = 24.0, row = 26.0, maxLabel = 16

    public var height: Double { Self.top + Double(Swift.max(bars.count, 1)) * Self.row + 6 }

    public var scale: ValueScale {
        var values = bars.flatMap { [$0.value, $0.low, $0.high].compactMap { $0 } }
        if let domain, domain.contains(0) { values.append(0) }
        return ValueScale(covering: values, domain: domain)
    }

    public var summary: String {
        guard !bars.isEmpty else { return "No groups in this range." }
        return bars.map { "\($0.label): \($0.describe(decimals: decimals, level: level))" }.joined(separator: "; ") + "."
    }

    /// A label short enough for the left column ("A very long team n…"); the whole label is in the row's title.
    static func shortLabel(_ label: String) -> String {
        label.count <= maxLabel ? label : String(label.prefix(maxLabel - 1)) + "…"
    }

    public func svg() -> String {
        let scale = self.scale
        let x = { (value: Double) in scale.position(value, from: Self.labelWidth, to: Self.width - Self.right) }
        let baseValue = Swift.min(Swift.max(0, scale.lower), scale.upper)
        var out = SVGFrame.open(id: id, className: "chart chart-bars", width: Self.width, height: height, title: title,
                                description: summary)
        let bottom = ChartText.coordinate(height - 6)
        for tick in scale.ticks {
            let tx = ChartText.coordinate(x(tick))
            out += "<line class=\"chart-grid\" x1=\"\(tx)\" x2=\"\(tx)\" y1=\"\(ChartText.coordinate(Self.top - 4))\" y2=\"\(bottom)\"/>"
            out += "<text class=\"chart-label\" x=\"\(tx)\" y=\"\(ChartText.coordinate(Self.top - 9))\" text-anchor=\"middle\">"
                + "\(ChartText.escape(scale.label(tick)))</text>"
        }
        guard !bars.isEmpty else {
            out += "<text class=\"chart-empty\" x=\"\(ChartText.coordinate(Self.width / 2))\" y=\"\(ChartText.coordinate(Self.top + 17))\" "
                + "text-anchor=\"middle\">No responses in this range</text></svg>"
            return out
        }
        let base = x(baseValue)
        for (index, bar) in bars.enumerated() {
            let rowTop = Self.top + Double(index) * Self.row
            let middle = rowTop + Self.row / 2
            out += "<g class=\"chart-row\"><title>\(ChartText.escape("\(bar.label): \(bar.describe(decimals: decimals, level: level))"))</title>"
            out += "<text class=\"chart-label\" x=\"\(ChartText.coordinate(Self.labelWidth - 6))\" y=\"\(ChartText.coordinate(middle))\" "
                + "text-anchor=\"end\" dominant-baseline=\"middle\">\(ChartText.escape(Self.shortLabel(bar.label)))</text>"
            if let value = bar.value {
                let end = x(value)
                out += "<rect class=\"chart-bar\" x=\"\(ChartText.coordinate(Swift.min(base, end)))\" y=\"\(ChartText.coordinate(rowTop + 6))\" "
                    + "width=\"\(ChartText.coordinate(Swift.max(abs(end - base), 1)))\" height=\"\(ChartText.coordinate(Self.row - 12))\"/>"
                if let low = bar.low, let high = bar.high {
                    let (lx, hx, my) = (ChartText.coordinate(x(low)), ChartText.coordinate(x(high)), ChartText.coordinate(middle))
                    let (capTop, capBottom) = (ChartText.coordinate(middle - 5), ChartText.coordinate(middle + 5))
                    out += "<path class=\"chart-whisker\" d=\"M\(lx) \(my) L\(hx) \(my) M\(lx) \(capTop) L\(lx) \(capBottom) "
                        + "M\(hx) \(capTop) L\(hx) \(capBottom)\"/>"
                }
            } else {
                out += "<text class=\"chart-empty\" x=\"\(ChartText.coordinate(Self.labelWidth + 4))\" y=\"\(ChartText.coordinate(middle))\" "
                    + "dominant-baseline=\"middle\">no responses</text>"
            }
            out += "</g>"
        }
        let bx = ChartText.coordinate(base)
        out += "<line class=\"chart-axis\" x1=\"\(bx)\" x2=\"\(bx)\" y1=\"\(ChartText.coordinate(Self.top - 4))\" y2=\"\(bottom)\"/>"
        return out + "</svg>"
    }
}
