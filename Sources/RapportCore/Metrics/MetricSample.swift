import Foundation

/// The sufficient statistics of one metric over one group and period (docs/methods.md, "Computing from counts"):
/// the number of answers of each score (NPS, CSAT, CES; 0 and 1 for a delivered invitation without and with a
/// response), how many of them are in the positive band (CSAT's satisfied answers, CES's easy ones), and for the
/// follow-up time the durations themselves (a median needs the values). Both the database's counts and the row path's
/// observations fill one, so that every estimate comes from the same arithmetic whichever path read the data.
struct MetricSample: Sendable, Equatable {
    var scoreCounts: [Int: Int] = [:]
    var positive = 0
    /// Follow-up time: closed cases' durations in milliseconds, and the open cases.
    var durations: [Double] = []
    var open = 0

    var n: Int { scoreCounts.values.reduce(0, +) + durations.count + open }

    mutating func add(score: Int, positive isPositive: Bool, count: Int = 1) {
        scoreCounts[score, default: 0] += count
        if isPositive { positive += count }
    }

    mutating func add(_ observation: MetricObservation, metric: SurveyMetric) {
        switch metric {
        case .followUpTime:
            if let duration = observation.duration { durations.append(duration) } else { open += 1 }
        case .responseRate:
            add(score: observation.score, positive: observation.score == 1)
        case .nps, .csat, .ces:
            add(score: observation.score, positive: observation.band == .positive)
        }
    }

    mutating func merge(_ other: MetricSample) {
        for (score, count) in other.scoreCounts { scoreCounts[score, default: 0] += count }
        positive += other.positive
        durations += other.durations
        open += other.open
    }

    /// Answers (or delivered invitations), the sum of their scores and of their squares, as exact integers.
    var moments: (count: Int, sum: Int, squares: Int) {
        scoreCounts.reduce(into: (0, 0, 0)) { total, entry in
            total.0 += entry.value
            total.1 += entry.key * entry.value
            total.2 += entry.key * entry.key * entry.value
        }
    }

    var netPromoterScore: NetPromoterScore {
        var counts = NetPromoterScore(promoters: 0, passives: 0, detractors: 0)
        for (score, count) in scoreCounts {
            if score >= 9 { counts.promoters += count } else if score >= 7 { counts.passives += count } else { counts.detractors += count }
        }
        return counts
    }

    /// The metric, and for CES the share of easy answers; nil for none.
    func estimate(_ query: MetricQuery) -> (Estimate?, Estimate?) {
        let level = query.level, threshold = query.smallSampleBelow
        switch query.metric {
        case .nps:
            return (netPromoterScore.estimate(level: level, smallSampleBelow: threshold), nil)
        case .csat:
            return (Proportions.estimate(successes: positive, trials: moments.count, level: level, smallSampleBelow: threshold), nil)
        case .ces:
            let (count, sum, squares) = moments
            return (MeanAndMedian.mean(count: count, sum: sum, squares: squares, level: level, smallSampleBelow: threshold),
                    Proportions.estimate(successes: positive, trials: count, level: level, smallSampleBelow: threshold))
        case .responseRate:
            return (Proportions.estimate(successes: scoreCounts[1] ?? 0, trials: moments.count, level: level, smallSampleBelow: threshold), nil)
        case .followUpTime:
            return (MeanAndMedian.median(durations.map { $0 / 3_600_000 }, level: level, smallSampleBelow: threshold), nil)
        }
    }

    /// self − other by the metric's method; nil where it gives none.
    func difference(minus other: MetricSample, _ query: MetricQuery) -> Comparison? {
        let level = query.level, threshold = query.smallSampleBelow
        switch query.metric {
        case .nps:
            return NetPromoterScore.compare(netPromoterScore, other.netPromoterScore, level: level, smallSampleBelow: threshold)
        case .csat:
            return Proportions.compare(successesA: positive, trialsA: moments.count, successesB: other.positive,
                                       trialsB: other.moments.count, level: level, smallSampleBelow: threshold)
        case .responseRate:
            return Proportions.compare(successesA: scoreCounts[1] ?? 0, trialsA: moments.count, successesB: other.scoreCounts[1] ?? 0,
                                       trialsB: other.moments.count, level: level, smallSampleBelow: threshold)
        case .ces:
            let a = moments, b = other.moments
            return MeanAndMedian.compareMeans(count: a.count, sum: a.sum, squares: a.squares, count: b.count,
                                              sum: b.sum, squares: b.squares, level: level, smallSampleBelow: threshold)
        case .followUpTime:
            return nil
        }
    }
}
