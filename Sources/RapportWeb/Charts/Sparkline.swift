import Foundation

/// A small trend without axes for a tile: the values as a line with gaps for empty periods and a dot on the latest,
/// scaled to their own range. Its title says what it shows, so it is not a picture without words.
public struct Sparkline: Sendable {
    public var id: String
    public var title: String
    public var points: [ChartPoint]
    public var decimals: Int

    public init(id: String, title: String, points: [ChartPoint], decimals: Int = 0) {
        self.id = id
        self.title = title
        self.points = points
        self.decimals = decimals
    }

    static let width = 120.0, height = 32.0, pad = 3.0

    public var summary: String {
        let values = points.compactMap(\.value)
        guard let first = values.first, let last = values.last else { return "No responses in this range." }
        let label = points.last(where: { $0.value != nil })?.label ?? ""
        return "\(values.count) of \(points.count) periods with responses, from \(ChartText.number(first, decimals: decimals)) to "
            + "\(ChartText.number(last, decimals: decimals)) (\(label))."
    }

    /// The SVG, or nil when no period has a value (the tile says "no responses" instead).
    public func svg() -> String? {
        let values = points.compactMap(\.value)
        guard !values.isEmpty else { return nil }
        let scale = ValueScale(covering: values, tickCount: 2)
        let step = points.count > 1 ? (Self.width - 2 * Self.pad) / Double(points.count - 1) : 0
        let x = { (index: Int) in points.count > 1 ? Self.pad + Double(index) * step : Self.width / 2 }
        let y = { (value: Double) in scale.position(value, from: Self.height - Self.pad, to: Self.pad) }
        var out = SVGFrame.open(id: id, className: "chart chart-spark", width: Self.width, height: Self.height, title: title,
                                description: summary)
        for run in SVGFrame.runs(points.map { $0.value != nil }) where run.count > 1 {
            let path = run.enumerated().map { offset, index in
                "\(offset == 0 ? "M" : "L")\(ChartText.coordinate(x(index))) \(ChartText.coordinate(y(points[index].value ?? 0)))"
            }.joined(separator: " ")
            out += "<path class=\"chart-line\" d=\"\(path)\"/>"
        }
        if let last = points.indices.last(where: { points[$0].value != nil }), let value = points[last].value {
            out += "<circle class=\"chart-point\" cx=\"\(ChartText.coordinate(x(last)))\" cy=\"\(ChartText.coordinate(y(value)))\" r=\"2.5\"/>"
        }
        return out + "</svg>"
    }
}
