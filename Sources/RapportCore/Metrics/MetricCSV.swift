/// Metric tables as CSV (RFC 4180, `CSVText`): one row per group × period, the whole range first (`period_start`
/// empty), then each period of the trend; the overall figure is the group `All …` with an empty `key`
/// (docs/api.md "Metrics", CSV).
public enum MetricCSV {
    public static let reportHeader = ["metric", "group_by", "group", "key", "period_start", "value", "low", "high", "level", "n",
                                      "small_sample", "open"]

    /// The report's overall figure, then each group; each with its whole-range row and one row per period.
    public static func report(_ report: SurveyMetricService.Report) -> String {
        var text = CSVText.line(reportHeader)
        let metric = report.query.metric.rawValue, groupBy = report.query.groupBy?.parameter ?? ""
        for group in [report.overall] + report.groups {
            let key = group.isWhole ? "" : group.key ?? ""
            let open = group.open.map { String($0) } ?? ""
            text += CSVText.line([metric, groupBy, group.label, key, ""] + fields(group.estimate, level: report.query.level) + [open])
            for point in group.series {
                text += CSVText.line([metric, groupBy, group.label, key, Timestamp.iso8601(point.start)]
                                     + fields(point.estimate, level: report.query.level) + [""])
            }
        }
        return text
    }

    public static let comparisonHeader = ["metric", "row", "from", "to", "group_by", "group", "value", "low", "high", "level", "n",
                                          "small_sample", "p_value"]

    /// Three rows: side A, side B, and the difference B − A with its interval and p-value.
    public static func comparison(_ comparison: MetricComparison) -> String {
        let metric = comparison.query.metric.rawValue, level = comparison.query.level
        let groupBy = comparison.query.groupBy?.parameter ?? ""
        func side(_ name: String, _ side: MetricSide, _ estimate: Estimate?) -> String {
            var range = [Timestamp.iso8601(comparison.query.from), Timestamp.iso8601(comparison.query.to)], group = ""
            switch side {
            case .period(let from, let to): range = [Timestamp.iso8601(from), Timestamp.iso8601(to)]
            case .group(let key): group = key
            }
            return CSVText.line([metric, name] + range + [groupBy, group] + fields(estimate, level: level) + [""])
        }
        var text = CSVText.line(comparisonHeader)
        text += side("a", comparison.a, comparison.estimateA)
        text += side("b", comparison.b, comparison.estimateB)
        let difference = comparison.difference
        text += CSVText.line([metric, "b_minus_a", "", "", groupBy, "", difference.map { number($0.difference) } ?? "",
                              difference.map { number($0.low) } ?? "", difference.map { number($0.high) } ?? "", number(level),
                              "", "", difference.map { number($0.pValue) } ?? ""])
        return text
    }

    /// value, low, high, level, n, small_sample; an empty group has empty fields but its level.
    static func fields(_ estimate: Estimate?, level: Double) -> [String] {
        guard let estimate else { return ["", "", "", number(level), "0", ""] }
        return [number(estimate.value), estimate.low.map(number) ?? "", estimate.high.map(number) ?? "", number(estimate.level),
                String(estimate.n), estimate.smallSample ? "true" : "false"]
    }

    /// Shortest round-trip decimal text, without a trailing ".0" for whole numbers.
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
