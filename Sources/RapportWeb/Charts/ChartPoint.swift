/// One figure a chart draws: a value with its interval and sample size, or no value (an empty period or group).
public struct ChartPoint: Sendable, Equatable {
    /// What the point is, in words ("week of 2 Mar 2026", "Sam").
    public var label: String
    public var value: Double?
    public var low: Double?
    public var high: Double?
    public var n: Int

    public init(label: String, value: Double?, low: Double? = nil, high: Double? = nil, n: Int = 0) {
        self.label = label
        self.value = value
        self.low = low
        self.high = high
        self.n = n
    }

    /// "12.5 (95 % interval −20 to 40, n = 8)" or "no responses".
    func describe(decimals: Int, level: Double) -> String {
        guard let value else { return "no responses" }
        var text = ChartText.number(value, decimals: decimals)
        if let low, let high {
            text += " (\(ChartText.number(level * 100, decimals: 0)) % interval \(ChartText.number(low, decimals: decimals)) to "
                + "\(ChartText.number(high, decimals: decimals)), n = \(n))"
        } else {
            text += " (n = \(n))"
        }
        return text
    }
}

/// The opening of an accessible SVG chart: `role="img"`, labelled by its title and described by its description,
/// sized by its viewBox so that it scales to any width.
enum SVGFrame {
    static func open(id: String, className: String, width: Double, height: Double, title: String, description: String) -> String {
        let safeId = ChartText.escape(id)
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"\(className)\" viewBox=\"0 0 \(ChartText.coordinate(width)) "
            + "\(ChartText.coordinate(height))\" role=\"img\" aria-labelledby=\"\(safeId)-title\" aria-describedby=\"\(safeId)-desc\" "
            + "preserveAspectRatio=\"xMidYMid meet\" focusable=\"false\">"
            + "<title id=\"\(safeId)-title\">\(ChartText.escape(title))</title>"
            + "<desc id=\"\(safeId)-desc\">\(ChartText.escape(description))</desc>"
    }

    /// Consecutive runs of indices whose value is present: the pieces a line is drawn in, with gaps between them.
    static func runs(_ present: [Bool]) -> [[Int]] {
        var runs: [[Int]] = []
        var current: [Int] = []
        for (index, isPresent) in present.enumerated() {
            if isPresent {
                current.append(index)
            } else if !current.isEmpty {
                runs.append(current)
                current = []
            }
        }
        if !current.isEmpty { runs.append(current) }
        return runs
    }
}
