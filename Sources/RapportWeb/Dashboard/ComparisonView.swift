import Foundation
import RapportCore

/// A before/after comparison on a survey's results page: the metric before and after a change date within the
/// filters' range, and the difference (after − before) with its interval and p-value (docs/methods.md, "Comparing two periods or two groups").
public struct ComparisonView: Sendable {
    public struct Side: Sendable {
        public let label: String
        public let value: String
        public let interval: String?
        public let n: Int
    }

    public let before: Side
    public let after: Side
    public let difference: String?
    public let interval: String?
    public let pValue: String?
    /// Whether the interval of the difference excludes 0.
    public let significant: Bool
    public let verdict: String

    public init(metric: SurveyMetric, comparison: MetricComparison, change: String, fromDay: String, toDay: String) {
        func side(_ label: String, _ estimate: Estimate?) -> Side {
            Side(label: label, value: estimate.map { MetricStyle.value($0.value, metric) } ?? "no answers",
                 interval: estimate.flatMap { MetricStyle.interval($0, metric) }, n: estimate?.n ?? 0)
        }
        before = side("Before \(change) (from \(fromDay))", comparison.estimateA)
        after = side("From \(change) (to \(toDay))", comparison.estimateB)
        let decimals = MetricStyle.decimals(metric)
        if let difference = comparison.difference {
            let sign = difference.difference > 0 ? "+" : ""
            self.difference = sign + ChartText.number(difference.difference, decimals: decimals)
            interval = "\(ChartText.number(difference.level * 100, decimals: 0)) % interval \(ChartText.number(difference.low, decimals: decimals)) "
                + "to \(ChartText.number(difference.high, decimals: decimals))"
            pValue = difference.pValue < 0.001 ? "p < 0.001" : String(format: "p = %.3f", difference.pValue)
            significant = difference.isSignificant
            verdict = significant
                ? "The change is larger than noise: the interval of the difference does not include 0."
                : "The difference is within noise: its interval includes 0, so these answers do not show a change."
        } else {
            (difference, interval, pValue, significant) = (nil, nil, nil, false)
            verdict = "There are not enough answers on both sides to compare."
        }
    }
}

/// The change-date form of the results page: the date and the page's other filters as hidden fields.
public struct ChangeForm: Sendable {
    public let action: String
    public let change: String
    public let hidden: [FilterForm.Hidden]
}
