import Foundation

/// How a survey metric reads for people, the same on every page and in every email: NPS in whole points with a sign,
/// CSAT and the response rate in per cent, CES as a mean with two decimals, time to close in hours; differences in
/// points (NPS, CSAT, response rate) or in the metric's unit.
public enum MetricText {
    public static func name(_ metric: SurveyMetric) -> String {
        switch metric {
        case .nps: "NPS"
        case .csat: "CSAT"
        case .ces: "CES"
        case .responseRate: "Response rate"
        case .followUpTime: "Time to close"
        }
    }

    public static func value(_ value: Double, _ metric: SurveyMetric) -> String {
        switch metric {
        case .nps: String(format: "%+.0f", value.rounded() == 0 ? 0 : value)
        case .csat, .responseRate: String(format: "%.0f %%", value)
        case .ces: String(format: "%.2f", value)
        case .followUpTime: String(format: "%.1f h", value)
        }
    }

    /// "+7 to +85"; nil when the estimate has no interval.
    public static func interval(_ estimate: Estimate, _ metric: SurveyMetric) -> String? {
        guard let low = estimate.low, let high = estimate.high else { return nil }
        return "\(value(low, metric)) to \(value(high, metric))"
    }

    public static func difference(_ difference: Double, _ metric: SurveyMetric) -> String {
        switch metric {
        case .nps: String(format: "%+.0f points", difference)
        case .csat, .responseRate: String(format: "%+.1f points", difference)
        case .ces: String(format: "%+.2f", difference)
        case .followUpTime: String(format: "%+.1f h", difference)
        }
    }

    /// What a goal's status means, in a sentence.
    public static func status(_ progress: GoalProgress) -> String {
        switch progress.status {
        case .above: "Met: the whole interval is at or above the target."
        case .within: "The target is inside the interval: not yet clear."
        case .below: "Below the target: the whole interval is under it."
        case .noData: "No answers in its window."
        case .unavailable: progress.problem ?? "Unavailable."
        }
    }

    /// "12 days left", "Due today", "Ended on 2026-05-31".
    public static func due(_ progress: GoalProgress, dueDate: String) -> String {
        switch progress.daysLeft {
        case 0: "Due today."
        case 1: "1 day left."
        case 2...: "\(progress.daysLeft) days left."
        default: "Ended on \(dueDate)."
        }
    }
}
