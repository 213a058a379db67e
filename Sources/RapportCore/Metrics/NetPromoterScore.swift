/// NPS = % promoters (9–10) − % detractors (0–6), on −100…100, with the adjusted-Wald interval that Rocks (2016,
/// "Interval Estimation for the 'Net Promoter Score'", The American Statistician 70(4)) found to keep its coverage best
/// among six methods, as MeasuringU describes it (Lewis and Sauro 2021): add ¾ to the promoters and to the detractors
/// and 3 to n, then
///
///     p̃ = (P + ¾)/(n + 3), d̃ = (D + ¾)/(n + 3), NPS̃ = p̃ − d̃,
///     Var = (p̃ + d̃ − (p̃ − d̃)²) / (n + 3), interval NPS̃ ± z·√Var, clipped to [−100, 100].
///
/// The value shown is the plain NPS; the interval is centred on the adjusted one.
public struct NetPromoterScore: Sendable, Equatable {
    public var promoters: Int
    public var passives: Int
    public var detractors: Int

    public init(promoters: Int, passives: Int, detractors: Int) {
        self.promoters = promoters
        self.passives = passives
        self.detractors = detractors
    }

    /// The counts of a list of 0–10 scores.
    public init(scores: some Sequence<Int>) {
        var counts = (0, 0, 0)
        for score in scores {
            if score >= 9 { counts.0 += 1 } else if score >= 7 { counts.1 += 1 } else { counts.2 += 1 }
        }
        self.init(promoters: counts.0, passives: counts.1, detractors: counts.2)
    }

    public var n: Int { promoters + passives + detractors }

    /// The plain NPS on −100…100; nil without answers.
    public var value: Double? { n == 0 ? nil : 100 * Double(promoters - detractors) / Double(n) }

    /// The adjusted NPS (on −1…1) and its variance.
    var adjusted: (score: Double, variance: Double) {
        let total = Double(n) + 3
        let p = (Double(promoters) + 0.75) / total, d = (Double(detractors) + 0.75) / total
        return (p - d, (p + d - (p - d) * (p - d)) / total)
    }

    /// The NPS with its adjusted-Wald interval; nil for an empty group.
    public func estimate(level: Double = 0.95, smallSampleBelow threshold: Int = Estimate.defaultSmallSample) -> Estimate? {
        guard let value else { return nil }
        let (score, variance) = adjusted
        let half = Distributions.z(level: level) * variance.squareRoot()
        return Estimate(value: value, low: 100 * max(-1, score - half), high: 100 * min(1, score + half), level: level, n: n,
                        smallSampleBelow: threshold)
    }

    /// a − b for two independent groups: the difference of the adjusted scores with the standard error
    /// √(Var_a + Var_b), its interval and the two-sided p-value of the z statistic (Rocks 2016, §5; MeasuringU's
    /// "comparing two Net Promoter Scores"). The difference shown is that of the plain NPS. Nil when a group is empty.
    public static func compare(_ a: NetPromoterScore, _ b: NetPromoterScore, level: Double = 0.95,
                               smallSampleBelow threshold: Int = Estimate.defaultSmallSample) -> Comparison? {
        guard let estimateA = a.estimate(level: level, smallSampleBelow: threshold),
              let estimateB = b.estimate(level: level, smallSampleBelow: threshold) else { return nil }
        let (scoreA, varianceA) = a.adjusted, (scoreB, varianceB) = b.adjusted
        let difference = scoreA - scoreB, standardError = (varianceA + varianceB).squareRoot()
        let half = Distributions.z(level: level) * standardError
        let p = 2 * (1 - Distributions.normalCDF(abs(difference) / standardError))
        return Comparison(difference: estimateA.value - estimateB.value, low: 100 * max(-2, difference - half),
                          high: 100 * min(2, difference + half), level: level, pValue: min(1, p), a: estimateA, b: estimateB)
    }
}
